// The program protocol's two channels (docs/programs.md, "The wire"): lock-step calls on
// fd 3 with blocking reads, pipelined requests with ids on fd 4.
import fs from 'node:fs';
import net from 'node:net';

const CALL_FD = 3;
const ASYNC_FD = 4;

function unwrap(op, response) {
  if (response.ok) return response.result ?? {};
  throw new Error(`${op}: ${response.error.message} (${response.error.code})`);
}

let unread = Buffer.alloc(0);
const chunk = Buffer.alloc(1 << 16);

function readLine() {
  for (;;) {
    const newline = unread.indexOf(0x0a);
    if (newline >= 0) {
      const line = unread.subarray(0, newline).toString('utf8');
      unread = unread.subarray(newline + 1);
      return line;
    }
    const count = fs.readSync(CALL_FD, chunk, 0, chunk.length, null);
    if (count === 0) throw new Error('the host closed the call channel');
    unread = Buffer.concat([unread, chunk.subarray(0, count)]);
  }
}

export function call(op, args = {}) {
  fs.writeSync(CALL_FD, JSON.stringify({op, ...args}) + '\n');
  return unwrap(op, JSON.parse(readLine()));
}

let socket = null;
let partial = '';
let nextId = 1;
const waiting = new Map();

function onData(text) {
  partial += text;
  let newline;
  while ((newline = partial.indexOf('\n')) >= 0) {
    const response = JSON.parse(partial.slice(0, newline));
    partial = partial.slice(newline + 1);
    const waiter = waiting.get(response.id);
    waiting.delete(response.id);
    if (waiting.size === 0) socket.unref();
    try {
      waiter.resolve(unwrap(waiter.op, response));
    } catch (error) {
      waiter.reject(error);
    }
  }
}

function request(op, args = {}) {
  if (!socket) {
    socket = new net.Socket({fd: ASYNC_FD, readable: true, writable: true});
    socket.setEncoding('utf8');
    socket.on('data', onData);
  }
  socket.ref();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, {op, resolve, reject});
    socket.write(JSON.stringify({op, id, ...args}) + '\n');
  });
}

function text(message) {
  return typeof message === 'string' ? message : JSON.stringify(message);
}

export const session = {
  send(message) { call('session_send', {message: text(message)}); },
};

export const messaging = {
  push(topic, message) { call('push', {topic, message: text(message)}); },
  async pull(topic) { return (await request('pull', {topic})).message; },
};

export const Model = {
  load(name = 'default') {
    call('model', {name});
    return {
      tokenizer() {
        return {encode: (value) => Uint32Array.from(call('encode', {text: value}).tokens)};
      },
    };
  },
};

export class Context {
  #handle;
  #pending = [];

  constructor() { this.#handle = call('context_new').context; }

  appendText(value) { this.#pending.push(...call('encode', {text: value}).tokens); }

  async flush() {
    const tokens = this.#pending;
    this.#pending = [];
    await request('context_append', {context: this.#handle, tokens});
  }
}
