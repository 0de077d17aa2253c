// Text of a growing token sequence, released as it becomes final: a trailing U+FFFD may be an
// incomplete UTF-8 character that the next token completes, so it is held back.
import {toTokenArray} from './model.js';

export class IncrementalText {
  #tokenizer;
  #tokens = [];
  #released = 0;  // characters of the decoded text already returned

  constructor(model) { this.#tokenizer = model.tokenizer(); }

  // Adds tokens; returns the text that became final.
  push(tokens) {
    const list = toTokenArray(tokens);
    if (list.length === 0) return '';
    this.#tokens.push(...list);
    const text = this.#tokenizer.decode(this.#tokens);
    let end = text.length;
    while (end > this.#released && text[end - 1] === '\uFFFD') end--;
    if (end <= this.#released) return '';
    const delta = text.slice(this.#released, end);
    this.#released = end;
    return delta;
  }

  // Everything decoded so far (incomplete characters included).
  get text() { return this.#tokens.length === 0 ? '' : this.#tokenizer.decode(this.#tokens); }

  reset() {
    this.#tokens = [];
    this.#released = 0;
  }
}
