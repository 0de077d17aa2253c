// The program runner that `weft program run` starts: says hello on the call channel (fd 3),
// imports the program (WEFT_PROGRAM), calls main(input) and reports its value (`return`) or
// its error (`fail`), then exits. Diagnostics go to stderr; stdout is the program's own.
import {pathToFileURL} from 'node:url';

import {call, hello} from './src/transport.js';

let finished = false;

function jsonValue(value) {
  const text = JSON.stringify(value, (key, item) => {
    if (ArrayBuffer.isView(item) && !(item instanceof DataView)) return Array.from(item);
    if (typeof item === 'bigint')
      throw new TypeError(`main() returned a BigInt at "${key}", which JSON cannot hold`);
    return item;
  });
  return text === undefined ? null : JSON.parse(text);
}

function errorMessage(error) {
  if (error instanceof Error) {
    return error.name === 'Error' || !error.name ? error.message :
                                                   `${error.name}: ${error.message}`;
  }
  return `main() threw a non-Error value: ${
      typeof error === 'string' ? error : JSON.stringify(error) ?? String(error)}`;
}

function finish(op, args, status) {
  if (finished) return;
  finished = true;
  try {
    call(op, args);
  } catch (error) {
    process.stderr.write(`inferlet runner: could not report the result: ${error.message}\n`);
    status = 1;
  }
  process.exit(status);
}

function fail(error) {
  if (error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  finish('fail', {message: errorMessage(error)}, 1);
}

process.on('unhandledRejection', (reason) => fail(reason));
process.on('uncaughtException', (error) => fail(error));
process.on('exit', () => {
  if (finished) return;
  finished = true;
  try {
    call('fail', {message: 'main() never settled: it awaited something that can no longer happen'});
  } catch {
    // The host is gone; nothing left to tell.
  }
});

let input;
try {
  input = hello().input;
} catch (error) {
  process.stderr.write(`inferlet runner: ${error.message}\n`);
  finished = true;
  process.exit(1);
}

try {
  const path = process.env.WEFT_PROGRAM;
  if (!path)
    throw new Error('WEFT_PROGRAM is not set: start programs with `weft program run FILE.js`');
  const program = await import(pathToFileURL(path).href);
  if (typeof program.main !== 'function')
    throw new Error(`${path} does not export a function main(input)`);
  const value = await program.main(input);
  let result;
  try {
    result = jsonValue(value);
  } catch (error) {
    throw new TypeError(`main() returned a value that is not JSON: ${error.message}`);
  }
  finish('return', {value: result}, 0);
} catch (error) {
  fail(error);
}
