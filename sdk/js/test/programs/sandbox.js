// What the sandbox of `weft program run` lets a program do, for misuse.test.mjs: write and
// read its scratch directory; not read or write other files, start a child process, or
// (under bubblewrap) reach the host's loopback.
import {execFileSync} from 'node:child_process';
import {readFileSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import path from 'node:path';

function attempt(action) {
  try {
    return {ok: true, value: action()};
  } catch (error) {
    return {ok: false, code: error.code ?? null, message: String(error.message)};
  }
}

function connect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({host: '127.0.0.1', port}, () => {
      socket.end();
      resolve({ok: true});
    });
    socket.on('error', (error) => resolve({ok: false, code: error.code ?? null}));
  });
}

export async function main(input) {
  const scratch = process.env.WEFT_SCRATCH_DIR;
  return {
    scratch: attempt(() => {
      writeFileSync(path.join(scratch, 'note.txt'), 'kept');
      return readFileSync(path.join(scratch, 'note.txt'), 'utf8');
    }),
    readOutside: attempt(() => readFileSync(input.outsideFile, 'utf8').length),
    writeOutside: attempt(() => writeFileSync(input.writeTarget, 'escaped')),
    spawn: attempt(() => execFileSync('/bin/echo', ['hi'], {encoding: 'utf8'})),
    loopback: await connect(input.port),
  };
}
