// Receives the session's messages (weft program run: the lines of its stdin) until the input
// ends, for sdk.test.mjs.
import {ProtocolError, session} from 'inferlet';

export async function main() {
  const received = [await session.receive(), await session.receive()];
  try {
    received.push(await session.receive());
  } catch (error) {
    return {received, end: {protocol: error instanceof ProtocolError, code: error.code}};
  }
  return {received, end: null};
}
