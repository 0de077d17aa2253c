// Test harness for the client-library tests: starts a real `weft serve --http` process on a
// free loopback port with its own runtime directory, waits until /health answers 200, and
// stops it afterwards. CMake's ctest registration sets WEFT_BINARY and WEFT_SHARED_DIR.
import {execFile, spawn, spawnSync} from 'node:child_process';
import {closeSync, mkdtempSync, openSync, readFileSync, rmSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';

function requiredEnvironment(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(
        `${name} is not set: run these tests through ctest (tests/CMakeLists.txt ` +
        `sets it), or export it (WEFT_BINARY=build/weft, WEFT_SHARED_DIR=../shared)`);
  }
  return value;
}

export const weftBinary = requiredEnvironment('WEFT_BINARY');
export const sharedDir = requiredEnvironment('WEFT_SHARED_DIR');
export const storiesModel = path.join(sharedDir, 'models/stories260K/stories260K-f32.gguf');

// Waits sized for a slow, loaded two-core machine; never asserted as speed.
export const patienceMs = 60_000;

// The stub backend's canned answer (src/backend/stub_backend.hpp), streamed one word (with its
// leading space) per token.
export const stubText =
    'This is weft\'s stub backend: no model is loaded, so this canned answer is streamed ' +
    'one word at a time. Give a model with --model FILE to run real inference.';
export const stubWords = stubText.match(/^\S+|\s+\S+/g);
export const stubAnswer = (maxTokens) => stubWords.slice(0, maxTokens).join('');

// The two targets every client test runs against: the stub backend and the real tiny model.
export const targets = [
  {name: 'stub', args: ['--backend', 'stub'], native: false},
  {name: 'stories260K', args: ['--backend', 'native', '--model', storiesModel], native: true},
];

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address();
      server.close(() => resolve(port));
    });
  });
}

export class WeftServer {
  constructor({child, port, runtimeDir, scratchDir, logPath}) {
    this.child = child;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.openaiBaseURL = `${this.url}/v1`;
    this.runtimeDir = runtimeDir;
    this.scratchDir = scratchDir;
    this.logPath = logPath;
    this.exitCode = null;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitCode = code ?? signal;
        resolve(this.exitCode);
      });
    });
  }

  log() {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  async waitHealthy(timeoutMs = patienceMs) {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (this.exitCode !== null) {
        throw new Error(
            `weft serve exited (${this.exitCode}) before /health was 200:\n${this.log()}`);
      }
      try {
        const response = await fetch(`${this.url}/health`);
        last = `status ${response.status}`;
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch (error) {
        last = error.message;
      }
      await sleep(100);
    }
    throw new Error(`/health was not 200 within ${timeoutMs} ms (last: ${last}):\n${this.log()}`);
  }

  // The daemon's latest admin `stats` frame (docs/protocol.md), read with `weft status --json`.
  adminStats() {
    const result = spawnSync(weftBinary, ['status', '--json'], {
      env: {...process.env, XDG_RUNTIME_DIR: this.runtimeDir},
      encoding: 'utf8',
      timeout: 10_000,
    });
    if (result.status !== 0) {
      throw new Error(`weft status --json failed (${result.status}): ${result.stderr}`);
    }
    const frames = result.stdout.split('\n')
                       .filter((line) => line.trim() !== '')
                       .map((line) => JSON.parse(line));
    return frames.filter((frame) => frame.status === 'stats').at(-1) ?? null;
  }

  // Resolves with the first stats frame that shows no running or waiting generation and, on
  // the native backend, no live sequence and no KV pages held beyond the prefix cache; rejects
  // with the last frame seen after `timeoutMs`. An idle daemon that never ran a request has no
  // stats frame yet, which also counts as idle.
  async waitIdle(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let stats = null;
    for (;;) {
      stats = this.adminStats();
      if (isIdle(stats)) return stats;
      if (Date.now() >= deadline) break;
      await sleep(200);
    }
    throw new Error(`the daemon was not idle within ${timeoutMs} ms: ${JSON.stringify(stats)}`);
  }

  async stop() {
    if (this.exitCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.scratchDir, {recursive: true, force: true});
  }
}

function isIdle(stats) {
  if (!stats) return true;
  const requests = stats.requests ?? {};
  if ((requests.active ?? 0) !== 0 || (requests.queued ?? 0) !== 0) return false;
  const kv = stats.kv;
  if (!kv) return true;
  return kv.live === 0 && kv.waiting === 0 && kv.pages_committed === 0 &&
      kv.pages_in_use === kv.pages_cached;
}

// Starts `weft serve --http 127.0.0.1:PORT ARGS…` with a private XDG_RUNTIME_DIR and waits
// for /health 200. `env` is added to the environment (e.g. WEFT_STUB_DELAY_MS).
export async function startServer({args = ['--backend', 'stub'], env = {}} = {}) {
  const chosenPort = await freePort();
  const scratchDir = mkdtempSync(path.join(os.tmpdir(), 'weft-clients-'));
  const logPath = path.join(scratchDir, 'serve.log');
  const logFd = openSync(logPath, 'w');
  const child = spawn(weftBinary, ['serve', '--http', `127.0.0.1:${chosenPort}`, ...args], {
    // XDG_DATA_HOME too, so that no GGUF of the user's models directory is listed.
    env: {...process.env, XDG_RUNTIME_DIR: scratchDir, XDG_DATA_HOME: scratchDir, ...env},
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const server =
      new WeftServer({child, port: chosenPort, runtimeDir: scratchDir, scratchDir, logPath});
  try {
    await server.waitHealthy();
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

// Runs `weft ARGS…` to completion (no shell); returns status, stdout and stderr.
export function runWeft(args, {env = {}, timeoutMs = patienceMs} = {}) {
  const result = spawnSync(weftBinary, args, {
    env: {...process.env, ...env},
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return {status: result.status, stdout: result.stdout, stderr: result.stderr};
}

// runWeft without blocking the event loop, so that several runs proceed at once.
export function runWeftAsync(args, {env = {}, timeoutMs = 10 * patienceMs} = {}) {
  return new Promise((resolve, reject) => {
    execFile(
        weftBinary, args, {
          env: {...process.env, ...env},
          encoding: 'utf8',
          timeout: timeoutMs,
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') return reject(error);
          resolve({status: error ? error.code : 0, stdout, stderr});
        });
  });
}

export function l2Norm(vector) {
  return Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
}
