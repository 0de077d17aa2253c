// The two channels to the program host (docs/programs.md, "The wire"): fd 3 carries lock-step
// calls, which the SDK makes with blocking reads so that the reference API's synchronous
// methods stay synchronous; fd 4 carries pipelined requests with ids, for what the API awaits.
import fs from 'node:fs';
import net from 'node:net';

const CALL_FD = 3;
const ASYNC_FD = 4;

// An error response of the host: `code` is the protocol's error code (invalid_request,
// not_found, resource_exhausted, internal).
export class ProtocolError extends Error {
  constructor(op, code, message) {
    super(`${op}: ${message} (${code})`);
    this.name = 'ProtocolError';
    this.op = op;
    this.code = code;
  }
}

function notConnected(cause) {
  return new Error(
      'inferlet: not connected to a weft program host (file descriptor 3 is not open); ' +
          'run the program with `weft program run FILE.js`',
      {cause});
}

function unwrap(op, response) {
  if (response && response.ok === true) return response.result ?? {};
  const error = response?.error ?? {};
  throw new ProtocolError(op, error.code ?? 'internal', error.message ?? 'malformed response');
}

// Blocks the thread for a moment; used only when fd 3 was left non-blocking by the parent.
function pause(ms) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); }

class CallChannel {
  #pending = Buffer.alloc(0);
  #chunk = Buffer.alloc(1 << 16);
  #closed = false;

  #writeAll(bytes) {
    let offset = 0;
    while (offset < bytes.length) {
      try {
        offset += fs.writeSync(CALL_FD, bytes, offset, bytes.length - offset);
      } catch (error) {
        if (error.code === 'EAGAIN') {
          pause(1);
          continue;
        }
        if (error.code === 'EBADF') throw notConnected(error);
        throw error;
      }
    }
  }

  #readLine() {
    for (;;) {
      const newline = this.#pending.indexOf(0x0a);
      if (newline >= 0) {
        const line = this.#pending.subarray(0, newline).toString('utf8');
        this.#pending = this.#pending.subarray(newline + 1);
        return line;
      }
      let count;
      try {
        count = fs.readSync(CALL_FD, this.#chunk, 0, this.#chunk.length, null);
      } catch (error) {
        if (error.code === 'EAGAIN') {
          pause(1);
          continue;
        }
        if (error.code === 'EBADF') throw notConnected(error);
        throw error;
      }
      if (count === 0) {
        this.#closed = true;
        throw new Error('inferlet: the program host closed the call channel');
      }
      this.#pending = Buffer.concat([this.#pending, this.#chunk.subarray(0, count)]);
    }
  }

  call(op, args = {}) {
    if (this.#closed) throw new Error('inferlet: the program host closed the call channel');
    this.#writeAll(Buffer.from(JSON.stringify({op, ...args}) + '\n', 'utf8'));
    return unwrap(op, JSON.parse(this.#readLine()));
  }
}

class AsyncChannel {
  #socket = null;
  #nextId = 1;
  #waiting = new Map();
  #partial = '';
  #closedError = null;

  #open() {
    if (this.#socket) return this.#socket;
    try {
      fs.fstatSync(ASYNC_FD);
    } catch (error) {
      throw notConnected(error);
    }
    const socket = new net.Socket({fd: ASYNC_FD, readable: true, writable: true});
    socket.setEncoding('utf8');
    socket.on('data', (text) => this.#receive(text));
    socket.on('error', (error) => this.#fail(error));
    socket.on(
        'close',
        () => this.#fail(new Error('inferlet: the program host closed the async channel')));
    socket.unref();  // kept alive only while a request waits (see #track)
    this.#socket = socket;
    return socket;
  }

  #receive(text) {
    this.#partial += text;
    let newline;
    while ((newline = this.#partial.indexOf('\n')) >= 0) {
      const line = this.#partial.slice(0, newline);
      this.#partial = this.#partial.slice(newline + 1);
      if (line.trim() === '') continue;
      let response;
      try {
        response = JSON.parse(line);
      } catch {
        continue;
      }
      const waiter = this.#waiting.get(response.id);
      if (!waiter) continue;
      this.#waiting.delete(response.id);
      this.#track();
      try {
        waiter.resolve(unwrap(waiter.op, response));
      } catch (error) {
        waiter.reject(error);
      }
    }
  }

  #fail(error) {
    this.#closedError ??= error;
    const waiters = [...this.#waiting.values()];
    this.#waiting.clear();
    this.#track();
    for (const waiter of waiters) waiter.reject(error);
  }

  // A pending request keeps Node's event loop alive; an idle channel does not, so a program
  // whose main() never settles ends instead of hanging.
  #track() {
    if (!this.#socket) return;
    if (this.#waiting.size > 0)
      this.#socket.ref();
    else
      this.#socket.unref();
  }

  request(op, args = {}) {
    if (this.#closedError) return Promise.reject(this.#closedError);
    let socket;
    try {
      socket = this.#open();
    } catch (error) {
      return Promise.reject(error);
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, {op, resolve, reject});
      this.#track();
      socket.write(JSON.stringify({op, id, ...args}) + '\n');
    });
  }
}

const callChannel = new CallChannel();
const asyncChannel = new AsyncChannel();
let helloResult = null;

// One synchronous request on the call channel; throws ProtocolError for an error response.
export function call(op, args) { return callChannel.call(op, args); }

// One request on the async channel; the promise rejects with ProtocolError.
export function request(op, args) { return asyncChannel.request(op, args); }

// The host's hello (sent once, by the runner or by the first SDK call that needs it).
export function hello() {
  helloResult ??= call('hello');
  return helloResult;
}
