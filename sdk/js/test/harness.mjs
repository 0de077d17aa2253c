// Runs programs with the real `weft program run` (WEFT_BINARY, set by ctest) on stories260K
// from WEFT_SHARED_DIR (the weights of the llama2.c references) at its trained context of 512
// (the GGUF says 128; the KV pool holds one full context), with this SDK (WEFT_SDK_DIR).
import {execFile} from 'node:child_process';
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

function requiredEnvironment(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(
        `${name} is not set: run these tests through ctest (tests/CMakeLists.txt sets it), or ` +
        'export it (WEFT_BINARY=build/weft, WEFT_SHARED_DIR=../shared)');
  }
  return value;
}

export const weftBinary = requiredEnvironment('WEFT_BINARY');
export const sharedDir = requiredEnvironment('WEFT_SHARED_DIR');
export const sdkDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = path.resolve(sdkDir, '..', '..');
export const programsDir = path.join(sdkDir, 'test', 'programs');
export const examplesDir = path.join(repoDir, 'examples', 'programs');
export const storiesModel = path.join(sharedDir, 'models/stories260K/stories260K-f32.gguf');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'weft-programs-'));

// Runs weft with `args`; `stdin` (text) is written to its standard input, which is then closed.
export function runWeft(args, {timeoutMs = 120_000, stdin = ''} = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(
        weftBinary, args, {
          env: {...process.env, WEFT_SDK_DIR: sdkDir},
          encoding: 'utf8',
          timeout: timeoutMs,
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') {
            reject(
                new Error(`weft ${args.join(' ')} did not finish (${error.message}):\n${stderr}`));
            return;
          }
          resolve({status: error ? error.code : 0, stdout, stderr});
        });
    child.stdin.end(stdin);
  });
}

// Runs a program file (or program source, written to a scratch file) and returns
// {status, value (the parsed result line, undefined on failure), stdout, stderr}.
export async function runProgram(
    program, {input, seed, args = [], model = storiesModel, timeoutMs, stdin} = {}) {
  let file = program;
  if (program.includes('\n')) {
    file = path.join(scratch, `program-${Math.random().toString(36).slice(2)}.js`);
    writeFileSync(file, program);
  }
  const context = args.includes('--ctx') ? [] : ['--ctx', '512'];
  // WEFT_TEST_NODE: the Node.js that runs the programs (default: weft's, node on PATH).
  // WEFT_TEST_SANDBOX: its --sandbox (default: auto).
  const node = process.env.WEFT_TEST_NODE ? ['--node', process.env.WEFT_TEST_NODE] : [];
  // A test that names its own --sandbox keeps it.
  if (process.env.WEFT_TEST_SANDBOX && !args.includes('--sandbox')) {
    node.push('--sandbox', process.env.WEFT_TEST_SANDBOX);
  }
  const command = ['program', 'run', file, '--model', model, ...context, ...node, ...args];
  if (input !== undefined) command.push('--input', JSON.stringify(input));
  if (seed !== undefined) command.push('--seed', String(seed));
  const result = await runWeft(command, {timeoutMs, stdin});
  const lines = result.stdout.split('\n').filter((line) => line.trim() !== '');
  result.value = result.status === 0 && lines.length > 0 ? JSON.parse(lines.at(-1)) : undefined;
  return result;
}

// Runs a program that must succeed; returns its value.
export async function programValue(program, options) {
  const result = await runProgram(program, options);
  if (result.status !== 0) {
    throw new Error(`${program.includes('\n') ? 'program' : program} failed (${result.status}):\n${
        result.stderr}`);
  }
  return result.value;
}

// The llama2.c reference run for one prompt (../shared/models/stories260K/reference-llama2c).
export function llama2cReference(n) {
  const dir = path.join(sharedDir, 'models/stories260K/reference-llama2c');
  const prompt = readFileSync(path.join(dir, `ref${n}.prompt.txt`), 'utf8').replace(/\n$/, '');
  const text = readFileSync(path.join(dir, `ref${n}.tokens.txt`), 'utf8');
  const promptTokens = text.match(/^prompt_tokens: (.*)$/m)[1].trim().split(/\s+/).map(Number);
  const logits = [
    ...text.matchAll(/^logits pos=(\d+) input_token=(\d+) first8: (.*) argmax=(\d+) max=(\S+)$/gm)
  ].map((m) => ({
          pos: Number(m[1]),
          input: Number(m[2]),
          first8: m[3].trim().split(/\s+/).map(Number),
          argmax: Number(m[4]),
          max: Number(m[5])
        }));
  const sequence =
      text.match(/^sequence_after_pos0[^:]*: (.*)$/m)[1].trim().split(/\s+/).map(Number);
  return {prompt, promptTokens, logits, sequence};
}
