// session: messages between the program and whoever runs it (`weft program run` prints sent
// messages on stderr, one line each; files: --file and --files-out).
import {call, request} from './transport.js';

function text(message) { return typeof message === 'string' ? message : JSON.stringify(message); }

export const session = Object.freeze({
  // Strings go verbatim; anything else JSON-encoded.
  send(message) { call('session_send', {message: text(message)});},
  async receive() { return (await request('session_receive')).message;},
  // A binary blob (`weft program run --files-out DIR` writes each to a file).
  sendFile(data) {
    if (!(data instanceof Uint8Array)) {
      throw new TypeError('inferlet: session.sendFile takes a Uint8Array');
    }
    call(
        'session_send_file',
        {data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')});
  },
  // The next inbound file (`weft program run --file PATH`, in order); not_found after the last.
  async receiveFile() {
    const {data} = await request('session_receive_file');
    return new Uint8Array(Buffer.from(data, 'base64'));
  },
});

export {text as messageText};
