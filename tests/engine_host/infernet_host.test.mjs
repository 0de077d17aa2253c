// weft-engine driven through its stdio the way the Infernet host (@infernetprotocol/engine's
// EngineProcess) drives an engine binary: spawned with no arguments, NDJSON v1 lines, `ready`
// awaited after `load`, generations demultiplexed by id, engine-level errors and logs kept
// apart, `shutdown` and a wait for the exit. Written for weft from the protocol's description.
// ctest sets WEFT_ENGINE_BINARY, WEFT_BINARY and WEFT_SHARED_DIR (tests/CMakeLists.txt).
import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import {randomUUID} from 'node:crypto';
import path from 'node:path';
import {test} from 'node:test';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this test through ctest`);
  return value;
}

const engineBinary = required('WEFT_ENGINE_BINARY');
const weftBinary = required('WEFT_BINARY');
const model = path.join(required('WEFT_SHARED_DIR'), 'models/stories260K/stories260K-f32.gguf');
const patienceMs = 60_000;  // a slow, loaded machine; never asserted as speed
const PROTOCOL_VERSION = 1;

// The host's side of the protocol: one engine child, lines decoded with the version check,
// events routed to the generation whose id they carry.
class Host {
  constructor(env) {
    this.child = spawn(engineBinary, [], {stdio: ['pipe', 'pipe', 'pipe'], env});
    this.buffer = '';
    this.lines = [];           // every stdout line, for the "only protocol" check
    this.engineEvents = [];    // ready, error without id, log
    this.waiters = [];
    this.streams = new Map();  // id → {events, resolve}
    this.stderr = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk) => this.onData(chunk));
    this.child.stderr.on('data', (chunk) => { this.stderr += chunk; });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({code, signal})));
  }

  onData(chunk) {
    this.buffer += chunk;
    let newline;
    while ((newline = this.buffer.indexOf('\n')) !== -1) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      if (line.trim() === '') continue;
      this.lines.push(line);
      const message = JSON.parse(line);  // throws (fails the test) on a non-protocol line
      assert.equal(message.v, PROTOCOL_VERSION, `wrong version in ${line}`);
      const stream = message.id === undefined ? undefined : this.streams.get(message.id);
      if (stream) {
        stream.events.push(message);
        if (message.type === 'done' || message.type === 'error') {
          this.streams.delete(message.id);
          stream.resolve(stream.events);
        }
      } else {
        this.engineEvents.push(message);
        this.waiters = this.waiters.filter((waiter) => !waiter(message));
      }
    }
  }

  send(message) {
    this.child.stdin.write(JSON.stringify({v: PROTOCOL_VERSION, ...message}) + '\n');
  }

  // The next engine-level event that `accept` takes.
  next(accept, what) {
    const seen = this.engineEvents.find(accept);
    if (seen) {
      this.engineEvents.splice(this.engineEvents.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${patienceMs} ms; stderr: ${this.stderr}`)), patienceMs);
      this.waiters.push((message) => {
        if (!accept(message)) return false;
        clearTimeout(timer);
        this.engineEvents.splice(this.engineEvents.indexOf(message), 1);
        resolve(message);
        return true;
      });
    });
  }

  generate(request, {cancelAtOnce = false} = {}) {
    const id = randomUUID();
    const done = new Promise((resolve) => this.streams.set(id, {events: [], resolve}));
    this.send({type: 'generate', id, ...request});
    if (cancelAtOnce) this.send({type: 'cancel', id});
    return {id, done};
  }
}

function weftRunGreedy(prompt, maxTokens) {
  const out = execFileSync(weftBinary, ['run', '--model', model, '--ctx', '512', '--temperature', '0',
                                        '-n', String(maxTokens), prompt], {encoding: 'utf8'});
  return out.replace(/\n$/, '');
}

function checkStream(events, id) {
  assert.equal(events[0].type, 'meta', `first event of ${id}: ${JSON.stringify(events[0])}`);
  assert.equal(typeof events[0].started_at, 'string');
  const done = events.at(-1);
  assert.equal(done.type, 'done', JSON.stringify(done));
  const tokens = events.slice(1, -1);
  for (const token of tokens) assert.equal(token.type, 'token');
  assert.equal(tokens.map((token) => token.text).join(''), done.text);
  return done;
}

test('weft-engine serves the Infernet host protocol on the bundled tiny model', async () => {
  const env = {...process.env, WEFT_CTX: '512'};
  delete env.WEFT_MODEL;
  delete env.INFERNET_ENGINE_MODEL;
  const host = new Host(env);

  // The engine announces itself, then answers load with ready for that model.
  await host.next((m) => m.type === 'ready', 'startup ready');
  host.send({type: 'load', model});
  const ready = await host.next((m) => m.type === 'ready' || m.type === 'error', 'ready after load');
  assert.deepEqual([ready.type, ready.model], ['ready', model]);

  // Two generations in flight at once, each its own stream, each weft's greedy text.
  const prompts = ['Once upon a time', 'The little dog'];
  const generations = prompts.map((prompt) => host.generate(
      {messages: [{role: 'user', content: prompt}], max_tokens: 60, temperature: 0}));
  const results = await Promise.all(generations.map((g) => g.done));
  results.forEach((events, i) => {
    const done = checkStream(events, generations[i].id);
    assert.ok(['stop', 'length'].includes(done.reason), done.reason);
    assert.equal(done.text, weftRunGreedy(prompts[i], 60), `prompt ${prompts[i]}`);
    for (const event of events) assert.equal(event.id, generations[i].id);
  });

  // Cancel: the generation ends with done {reason: cancel} and the text so far.
  const full = weftRunGreedy('Once upon a time', 400);
  const cancelled = host.generate(
      {messages: [{role: 'user', content: 'Once upon a time'}], max_tokens: 400, temperature: 0},
      {cancelAtOnce: true});
  const cancelDone = checkStream(await cancelled.done, cancelled.id);
  assert.equal(cancelDone.reason, 'cancel');
  assert.ok(full.startsWith(cancelDone.text));

  // Malformed lines and a wrong version are engine-level errors; the engine keeps serving.
  host.child.stdin.write('this is not json\n');
  const garbage = await host.next((m) => m.type === 'error', 'an error for a malformed line');
  assert.equal(garbage.id, undefined);
  assert.match(garbage.message, /bad ndjson/);
  host.child.stdin.write(JSON.stringify({v: 2, type: 'shutdown'}) + '\n');
  const mismatch = await host.next((m) => m.type === 'error', 'an error for a version mismatch');
  assert.match(mismatch.message, /protocol version mismatch: expected 1, got 2/);

  // A bad request is an error for that id, not for the engine.
  const bad = host.generate({messages: [], max_tokens: 5});
  const badEvents = await bad.done;
  assert.equal(badEvents.length, 1);
  assert.equal(badEvents[0].type, 'error');
  assert.match(badEvents[0].message, /messages/);

  const after = host.generate({messages: [{role: 'user', content: 'Once upon a time'}], max_tokens: 10, temperature: 0});
  assert.equal(checkStream(await after.done, after.id).text, weftRunGreedy('Once upon a time', 10));

  // shutdown: the engine exits 0, and everything it wrote on stdout was a protocol line.
  host.send({type: 'shutdown'});
  const exit = await host.exited;
  assert.deepEqual(exit, {code: 0, signal: null});
  assert.equal(host.buffer, '');
  assert.ok(host.lines.length > 20);
});

test('weft-engine is ready before any load when the model comes from the environment', async () => {
  const env = {...process.env, INFERNET_ENGINE_MODEL: model};
  delete env.WEFT_MODEL;
  const host = new Host(env);
  const ready = await host.next((m) => m.type === 'ready' || m.type === 'error', 'ready');
  assert.deepEqual([ready.type, ready.model], ['ready', model]);
  const generation = host.generate({messages: [{role: 'user', content: 'Once upon a time'}], max_tokens: 12, temperature: 0});
  assert.equal(checkStream(await generation.done, generation.id).text, weftRunGreedy('Once upon a time', 12));
  host.child.stdin.end();  // end of input: the engine finishes and exits
  assert.deepEqual(await host.exited, {code: 0, signal: null});
});

test('weft-engine answers a load it cannot serve with an engine-level error', async () => {
  const env = {...process.env};
  delete env.WEFT_MODEL;
  delete env.INFERNET_ENGINE_MODEL;
  const host = new Host(env);
  await host.next((m) => m.type === 'ready', 'startup ready');
  host.send({type: 'load', model: '/nonexistent/model.gguf'});
  const error = await host.next((m) => m.type === 'error', 'an error for a missing model');
  assert.equal(error.id, undefined);
  assert.match(error.message, /nonexistent/);
  const orphan = host.generate({messages: [{role: 'user', content: 'hi'}]});
  const events = await orphan.done;
  assert.equal(events[0].type, 'error');
  assert.match(events[0].message, /no model is loaded/);
  host.send({type: 'shutdown'});
  assert.deepEqual(await host.exited, {code: 0, signal: null});
});
