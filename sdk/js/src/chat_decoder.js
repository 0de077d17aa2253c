// chat.Decoder: turns sampled tokens into chat events. Visible text streams as 'delta'; a stop
// token ends the turn ('done' with the whole text); any other control token is reported as an
// 'interrupt' and kept out of the text.
import {IncrementalText} from './incremental_text.js';
import {toTokenArray} from './model.js';

export class Decoder {
  #model;
  #visible;
  #stops;
  #special = null;

  constructor(model) {
    this.#model = model;
    this.#visible = new IncrementalText(model);
    this.#stops = new Set(model.stopTokens);
  }

  #isSpecial(token) {
    this.#special ??= new Set(this.#model.tokenizer().specialTokens()[0]);
    return this.#special.has(token);
  }

  // Feeds tokens; returns the event they produce (the first boundary wins: text before a stop
  // or control token in the same call is included in 'done' / released by the next feed).
  feed(tokens) {
    let delta = '';
    for (const token of toTokenArray(tokens)) {
      if (this.#stops.has(token)) return {type: 'done', text: this.#visible.text};
      if (this.#isSpecial(token)) return {type: 'interrupt', token};
      delta += this.#visible.push([token]);
    }
    return delta === '' ? {type: 'idle'} : {type: 'delta', text: delta};
  }

  // The visible text so far.
  get text() { return this.#visible.text; }

  reset() { this.#visible.reset(); }
}
