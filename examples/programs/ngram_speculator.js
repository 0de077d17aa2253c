// A custom speculator: an n-gram table built in the program drafts the tokens that followed
// the current context the last time it occurred; weft verifies all drafts in one pass. Greedy
// speculative decoding gives exactly the text of plain greedy decoding in fewer passes.
//
//   weft program run examples/programs/ngram_speculator.js --input '{"prompt": "Once upon a time",
//   "maxTokens": 64}'
import {Context, Model, Sampler} from 'inferlet';

class BigramSpeculator {
  #history = [];
  #next = new Map();  // "a,b" → the token that followed the bigram last time
  drafted = 0;
  rejected = 0;

  #key(i) { return `${this.#history[i - 1]},${this.#history[i]}`; }

  draft() {
    const tokens = [];
    const walk = [...this.#history];
    while (tokens.length < 4 && walk.length >= 2) {
      const following = this.#next.get(`${walk.at(-2)},${walk.at(-1)}`);
      if (following === undefined) break;
      tokens.push(following);
      walk.push(following);
    }
    this.drafted += tokens.length;
    return [Uint32Array.from(tokens), Uint32Array.from(tokens.map((_, i) => i))];
  }

  accept(tokens) {
    for (const token of tokens) {
      this.#history.push(token);
      const i = this.#history.length - 2;
      if (i >= 1) this.#next.set(this.#key(i), token);
    }
  }

  rollback(n) { this.rejected += n; }

  reset() {
    this.#history = [];
    this.#next.clear();
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
