// A custom speculator: an n-gram table built in the program drafts the tokens that followed
// the current context the last time it occurred; weft verifies all drafts in one pass. Greedy
// speculative decoding gives exactly the text of plain greedy decoding in fewer passes.
//
//   weft program run examples/programs/ngram_speculator.js --input '{"prompt": "Once upon a time",
//   "maxTokens": 64}'
import {Context, Model, Sampler} from 'inferlet';

// Drafts what followed the last two tokens the last time they occurred (or, failing that, the
// last token), up to four tokens ahead.
class BigramSpeculator {
  #history = [];
  #afterPair = new Map();   // "a,b" → the token that followed a, b last time
  #afterToken = new Map();  // a → the token that followed a last time
  drafted = 0;
  rejected = 0;

  #guess(walk) {
    return this.#afterPair.get(`${walk.at(-2)},${walk.at(-1)}`) ??
        this.#afterToken.get(walk.at(-1));
  }

  draft() {
    const tokens = [];
    const walk = [...this.#history.slice(-2)];
    while (tokens.length < 4 && walk.length > 0) {
      const next = this.#guess(walk);
      if (next === undefined) break;
      tokens.push(next);
      walk.push(next);
    }
    this.drafted += tokens.length;
    return [Uint32Array.from(tokens), Uint32Array.from(tokens.map((_, i) => i))];
  }

  accept(tokens) {
    for (const token of tokens) {
      const h = this.#history;
      if (h.length >= 1) this.#afterToken.set(h.at(-1), token);
      if (h.length >= 2) this.#afterPair.set(`${h.at(-2)},${h.at(-1)}`, token);
      h.push(token);
    }
  }

  rollback(n) { this.rejected += n; }

  reset() {
    this.#history = [];
    this.#afterPair.clear();
    this.#afterToken.clear();
  }
}

async function greedy(model, prompt, maxTokens, speculator) {
  const ctx = new Context(model);
  ctx.appendText(prompt);
  const g = ctx.generate(Sampler.argmax(), {maxTokens, speculator});
  let passes = 0;
  const tokens = [];
  for await (const step of g) {
    tokens.push(...(await step.execute()).tokens);
    passes++;
  }
  ctx.release();
  return {tokens, passes};
}

export async function main(input) {
  const prompt = input?.prompt ?? 'Once upon a time';
  const maxTokens = input?.maxTokens ?? 64;
  const model = Model.load('default');
  const speculator = new BigramSpeculator();
  const speculative = await greedy(model, prompt, maxTokens, speculator);
  const plain = await greedy(model, prompt, maxTokens, undefined);
  const tokenizer = model.tokenizer();
  return {
    text: tokenizer.decode(speculative.tokens),
    plainText: tokenizer.decode(plain.tokens),
    identical: speculative.tokens.length === plain.tokens.length &&
        speculative.tokens.every((t, i) => t === plain.tokens[i]),
    tokens: speculative.tokens,
    passes: speculative.passes,
    plainPasses: plain.passes,
    drafted: speculator.drafted,
    rejected: speculator.rejected,
  };
}
