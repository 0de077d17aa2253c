// Says hello on the call channel, imports the program (WEFT_PROGRAM), runs main(input) and
// reports its value (`return`) or its error (`fail`), then exits.
import {pathToFileURL} from 'node:url';

import {call} from './inferlet.mjs';

function report(op, args, status) {
  try {
    call(op, args);
  } finally {
    process.exit(status);
  }
}

const input = call('hello').input;
try {
  const program = await import(pathToFileURL(process.env.WEFT_PROGRAM).href);
  const value = await program.main(input);
  report('return', {value: value === undefined ? null : value}, 0);
} catch (error) {
  report('fail', {message: error instanceof Error ? error.message : String(error)}, 1);
}
