// reasoning.Decoder: splits a <think>…</think> block out of sampled tokens.
import {IncrementalText} from './incremental_text.js';
import {TagScanner} from './tag_scanner.js';

class Decoder {
  #text;
  #scanner = new TagScanner('<think>', '</think>');

  constructor(model) { this.#text = new IncrementalText(model); }

  // 'start' entering the block, 'delta' reasoning text, 'end' with the whole reasoning when
  // the block closes, 'idle' outside it.
  feed(tokens) {
    const found = this.#scanner.push(this.#text.push(tokens));
    if (found.closed) return {type: 'end', text: found.body};
    if (found.opened) return {type: 'start'};
    if (found.inside !== '') return {type: 'delta', text: found.inside};
    return {type: 'idle'};
  }

  reset() {
    this.#text.reset();
    this.#scanner.reset();
  }
}

export const reasoning = Object.freeze({Decoder});
