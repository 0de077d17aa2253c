// session.sendFile / receiveFile through `weft program run --file … --files-out DIR`, for
// sdk.test.mjs: the files given are received in order and sent back, the second reversed,
// then the last 6 bytes of the first.
import {session} from 'inferlet';

async function failure(action) {
  try {
    await action();
    return 'no error';
  } catch (error) {
    return {name: error.name, code: error.code ?? null, message: error.message};
  }
}

export async function main() {
  const first = await session.receiveFile();
  const second = await session.receiveFile();
  session.sendFile(first);
  session.sendFile(second.slice().reverse());
  session.sendFile(first.subarray(250));  // a view: only its own bytes go
  return {
    received: [first.length, second.length],
    isUint8Array: first instanceof Uint8Array,
    afterLast: await failure(() => session.receiveFile()),
    notBytes: await failure(() => session.sendFile('text')),
  };
}
