// Speculative decoding in the program. A Speculator proposes draft tokens; the Generator
// verifies them in one forward pass with its sampler at the current token and at every draft
// row, keeps the longest prefix of drafts that the samples agree with plus the model's own
// next token, and truncates the rejected drafts out of the context. With Sampler.argmax() the
// output is exactly that of plain decoding, only with fewer passes.
//
// The Speculator interface (any object with these methods):
//   draft(): [tokens, positions]  tokens to follow the current one; positions are their
//                                 offsets after it (0, 1, …). weft verifies a chain: drafts are
//                                 cut at the first offset that is not the next one.
//   accept(tokens): void          tokens now part of the sequence (the context's tokens when the
//                                 generation starts, then each step's accepted tokens).
//   rollback(n): void             the last n drafts were rejected (called before accept).
//   reset(): void                 forget everything (called when a Generator starts).

// The drafter behind `systemSpeculation: true`: finds the latest earlier occurrence of the
// sequence's last `n - 1` tokens (then shorter suffixes, down to one token) and proposes the
// tokens that followed it.
export class NgramSpeculator {
  #history = [];
  #n;
  #maxDraft;

  constructor({n = 3, maxDraft = 4} = {}) {
    if (!Number.isInteger(n) || n < 2)
      throw new RangeError('inferlet: NgramSpeculator needs n >= 2');
    if (!Number.isInteger(maxDraft) || maxDraft < 1)
      throw new RangeError('inferlet: NgramSpeculator needs maxDraft >= 1');
    this.#n = n;
    this.#maxDraft = maxDraft;
  }

  draft() {
    const h = this.#history;
    for (let size = Math.min(this.#n - 1, h.length - 1); size >= 1; size--) {
      const suffixStart = h.length - size;
      for (let start = suffixStart - 1; start >= 0; start--) {
        let match = true;
        for (let i = 0; i < size && match; i++) match = h[start + i] === h[suffixStart + i];
        if (!match) continue;
        const follow = h.slice(start + size, Math.min(start + size + this.#maxDraft, h.length));
        if (follow.length === 0) continue;
        return [Uint32Array.from(follow), Uint32Array.from(follow.map((_, i) => i))];
      }
    }
    return [new Uint32Array(), new Uint32Array()];
  }

  accept(tokens) { this.#history.push(...tokens); }

  rollback() {
    // Drafts never enter the history: nothing to undo.
  }

  reset() { this.#history = []; }
}

export function isSpeculator(value) {
  return value !== null && typeof value === 'object' &&
      ['draft', 'accept', 'rollback', 'reset'].every((m) => typeof value[m] === 'function');
}

// The drafts as a chain of token ids (see the interface comment).
export function draftChain(draft) {
  if (!Array.isArray(draft) || draft.length !== 2) {
    throw new TypeError('inferlet: Speculator.draft() must return [tokens, positions]');
  }
  const tokens = Array.from(draft[0] ?? []);
  const positions = Array.from(draft[1] ?? []);
  const chain = [];
  for (let i = 0; i < tokens.length; i++) {
    if (positions.length > 0 && positions[i] !== i) break;
    if (!Number.isInteger(tokens[i]) || tokens[i] < 0)
      throw new TypeError('inferlet: a drafted token is an id >= 0');
    chain.push(tokens[i]);
  }
  return chain;
}
