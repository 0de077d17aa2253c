// messaging: topics shared by the programs of one weft process. broadcast reaches every
// subscription of the topic; push/pull is a queue (each message pulled once).
import {dispose} from './dispose.js';
import {messageText} from './session.js';
import {call, request} from './transport.js';

function checkTopic(topic) {
  if (typeof topic !== 'string' || topic === '')
    throw new TypeError('inferlet: a topic is a non-empty string');
  return topic;
}

export class Subscription {
  #handle;
  #closed = false;

  constructor(topic) { this.#handle = call('subscribe', {topic: checkTopic(topic)}).subscription; }

  // The next broadcast, or undefined once unsubscribed.
  async next() {
    if (this.#closed) return undefined;
    return (await request('subscription_next', {subscription: this.#handle})).message;
  }

  unsubscribe() {
    if (this.#closed) return;
    this.#closed = true;
    call('unsubscribe', {subscription: this.#handle});
  }

  async * [Symbol.asyncIterator]() {
    for (;;) {
      const message = await this.next();
      if (message === undefined) return;
      yield message;
    }
  }

  [dispose]() { this.unsubscribe(); }
}

export const messaging = Object.freeze({
  broadcast(
      topic,
      message) { call('broadcast', {topic: checkTopic(topic), message: messageText(message)});},
  subscribe(topic) { return new Subscription(topic);},
  push(topic, message) { call('push', {topic: checkTopic(topic), message: messageText(message)});},
  async pull(topic) { return (await request('pull', {topic: checkTopic(topic)})).message;},
});
