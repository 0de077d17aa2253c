// session: messages between the program and whoever runs it (`weft program run` prints sent
// messages on stderr, one line each).
import {notBuilt} from './not_built.js';
import {call, request} from './transport.js';

function text(message) { return typeof message === 'string' ? message : JSON.stringify(message); }

export const session = Object.freeze({
  // Strings go verbatim; anything else JSON-encoded.
  send(message) { call('session_send', {message: text(message)});},
  async receive() { return (await request('session_receive')).message;},
  sendFile() { throw notBuilt('session.sendFile');},
  receiveFile() { throw notBuilt('session.receiveFile');},
});

export {text as messageText};
