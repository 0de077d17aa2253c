// Model and Tokenizer: a loaded model's shape and its tokenizer, from the call channel.
import {call} from './transport.js';

function decodeBase64List(pieces) {
  return pieces.map((piece) => new Uint8Array(Buffer.from(piece, 'base64')));
}

export function toTokenArray(tokens, what = 'tokens') {
  if (tokens instanceof Uint32Array) return Array.from(tokens);
  if (typeof tokens === 'number') tokens = [tokens];
  if (tokens === null || typeof tokens !== 'object' || !(Symbol.iterator in tokens)) {
    throw new TypeError(`inferlet: ${what} must be an array of token ids`);
  }
  const list = Array.from(tokens);
  for (const id of list) {
    if (!Number.isInteger(id) || id < 0) {
      throw new TypeError(`inferlet: ${what} must be non-negative integer token ids (got ${id})`);
    }
  }
  return list;
}

export class Tokenizer {
  #model;
  #vocabulary = null;
  #special = null;

  constructor(model) { this.#model = model; }

  // Text to token ids. Control-token text ("<|im_end|>") stays text unless `special` is true
  // (a weft extension).
  encode(text, special = false) {
    if (typeof text !== 'string') throw new TypeError('inferlet: encode(text) takes a string');
    return Uint32Array.from(call('encode', {text, special}).tokens);
  }

  // Token ids to text (invalid UTF-8 becomes U+FFFD).
  decode(tokens) { return call('decode', {tokens: toTokenArray(tokens)}).text; }

  // The whole vocabulary: [ids, the bytes of each token].
  vocabs() {
    this.#vocabulary ??= call('vocabulary');
    return [Uint32Array.from(this.#vocabulary.ids), decodeBase64List(this.#vocabulary.pieces)];
  }

  // The control and user-defined tokens: [ids, bytes].
  specialTokens() {
    this.#special ??= call('special_tokens');
    return [Uint32Array.from(this.#special.ids), decodeBase64List(this.#special.pieces)];
  }

  // The pre-tokenizer's split pattern ("" when the tokenizer has none).
  splitRegex() { return call('split_regex').pattern; }

  get model() { return this.#model; }
}

export class Model {
  #tokenizer = null;

  constructor(info) {
    if (!info || typeof info.name !== 'string') {
      throw new TypeError('inferlet: use Model.load(name) to get a Model');
    }
    this.name = info.name;
    this.vocabSize = info.vocab_size;
    this.pageSize = info.page_size;
    this.contextLength = info.context_length;
    this.stopTokens = Uint32Array.from(info.stop_tokens ?? []);
    // weft extension: the token an empty context starts with (null when the vocabulary asks
    // for none, or the host does not say).
    this.bosToken = Number.isInteger(info.bos_token) ? info.bos_token : null;
  }

  // Binds to a loaded model: "default" or one of runtime.models().
  static load(name = 'default') { return new Model(call('model', {name})); }

  tokenizer() {
    this.#tokenizer ??= new Tokenizer(this);
    return this.#tokenizer;
  }
}
