// Forward: one forward pass over a context (tokens in; sampled tokens and probe results out),
// and Output, its results. Samplers, masks and probes run in the host.
import {maskRuns} from './brle.js';
import * as I from './internal.js';
import {toTokenArray} from './model.js';
import {notBuilt} from './not_built.js';
import {probeSpec} from './probes.js';
import {samplerSpec} from './sampler.js';
import {request} from './transport.js';

// Returned by Forward.sample; read with out.token(h) / out.tokensAt(h).
export class SampleHandle {
  constructor(pass, index, rows, draws) {
    this.pass = pass;
    this.index = index;
    this.rows = rows;
    this.draws = draws;
    Object.freeze(this);
  }
}

// Returned by Forward.probe; read with the Output accessor of the probe's kind.
export class ProbeHandle {
  constructor(pass, index, row, kind) {
    this.pass = pass;
    this.index = index;
    this.row = row;
    this.kind = kind;
    Object.freeze(this);
  }
}

function checkRow(row, what) {
  if (!Number.isInteger(row) || row < 0) {
    throw new RangeError(`inferlet: ${what} must be a row index >= 0 (got ${row})`);
  }
  return row;
}

const noTokens = new Uint32Array();
const noAliases = new Map();

export class Output {
  #pass;
  #result;
  #aliases;

  constructor(
      pass, result, {tokens = noTokens, autoSampler = undefined, aliases = noAliases} = {}) {
    this.#pass = pass;
    this.#result = result;
    this.#aliases = aliases;
    this.tokens = tokens;
    this.autoSampler = autoSampler;
  }

  #sampled(h) {
    if (!(h instanceof SampleHandle))
      throw new TypeError('inferlet: expected a SampleHandle from fwd.sample()');
    if (h.pass !== this.#pass)
      throw new Error('inferlet: this SampleHandle belongs to another forward pass');
    return this.#result.samples?.[h.index];
  }

  #probed(h, kind) {
    if (!(h instanceof ProbeHandle))
      throw new TypeError('inferlet: expected a ProbeHandle from fwd.probe()');
    h = this.#aliases.get(h) ?? h;  // a Generator's probeEachStep handle
    if (h.pass !== this.#pass)
      throw new Error('inferlet: this ProbeHandle belongs to another forward pass');
    if (h.kind !== kind) return undefined;
    return this.#result.probes?.[h.index];
  }

  // The token sampled by a single-row sampler (the first one, for several rows or draws).
  token(h) {
    const ids = this.#sampled(h);
    return ids && ids.length > 0 ? ids[0] : undefined;
  }

  // Every token of a sampler: one per row (multinomial: `draws` per row, row by row).
  tokensAt(h) { return Uint32Array.from(this.#sampled(h) ?? []); }

  // A Distribution probe's [ids, probabilities], most probable first.
  distribution(h) {
    const result = this.#probed(h, 'distribution');
    return result ? [Uint32Array.from(result.ids), Float32Array.from(result.probs)] : undefined;
  }

  // A Logits probe's bytes: vocab_size float32 values, little-endian (native on x86 and ARM).
  logits(h) {
    const result = this.#probed(h, 'logits');
    return result ? new Uint8Array(Buffer.from(result.logits, 'base64')) : undefined;
  }

  // weft extension: a Logits probe as a Float32Array.
  logitValues(h) {
    const bytes = this.logits(h);
    if (!bytes) return undefined;
    const copy = new Uint8Array(bytes);  // aligned
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }

  // A Logprob / Logprobs probe's values, in the order of its tokens.
  logprobs(h) {
    const result = this.#probed(h, 'logprobs');
    return result ? Float32Array.from(result.logprobs) : undefined;
  }

  // An Entropy probe's value (nats).
  entropy(h) {
    const result = this.#probed(h, 'entropy');
    return result ? result.entropy : undefined;
  }

  // The host's result object ({length, samples, probes}).
  get raw() { return this.#result; }
}

export class Forward {
  #ctx;
  #tokens = [];
  #positions = [];
  #explicitPositions = false;
  #mask = null;
  #attentionMasks = null;
  #samplers = [];
  #probes = [];
  #constraints = [];
  #sent = false;

  constructor(ctx) { this.#ctx = ctx; }

  // Position the first auto-input token will occupy.
  startPosition() { return this.#ctx.seqLen; }

  // Appends token ids at the next positions.
  input(tokens) {
    const list = toTokenArray(tokens);
    const start = this.startPosition() + this.#tokens.length;
    this.#tokens.push(...list);
    this.#positions.push(...list.map((_, i) => start + i));
    return this;
  }

  // Appends token ids at explicit positions (weft accepts only the next positions in order).
  inputAt(tokens, positions) {
    const list = toTokenArray(tokens);
    const at = toTokenArray(positions, 'positions');
    if (at.length !== list.length) {
      throw new RangeError(
          `inferlet: inputAt got ${list.length} tokens but ${at.length} positions`);
    }
    this.#tokens.push(...list);
    this.#positions.push(...at);
    this.#explicitPositions = true;
    return this;
  }

  // Per-input-token attention masks: one BRLE (or null, the causal mask) per input token,
  // over the context's positions, the first run counting hidden ones. A token sees the
  // positions its mask allows, never one after its own (the host refuses such a mask).
  attentionMask(masks) {
    if (masks == null || typeof masks[Symbol.iterator] !== 'function' || typeof masks === 'string')
      throw new TypeError(
          'inferlet: attentionMask takes an array with one BRLE (or null) per input token');
    this.#attentionMasks = Array.from(masks, (mask) => (mask == null ? null : maskRuns(mask)));
    return this;
  }

  adapter() { throw notBuilt('Forward.adapter (LoRA adapters)'); }

  zoSeed() { throw notBuilt('Forward.zoSeed (Evolution Strategies seeds)'); }

  // A logit mask (BRLE) for every sampled row.
  mask(brle) {
    this.#mask = maskRuns(brle);
    return this;
  }

  // weft extension: matchers (GrammarConstraint or Matcher) that restrict every sampled row
  // and accept its token in the host.
  constrain(...matchers) {
    for (const matcher of matchers) {
      const handle = matcher?.[I.matcherHandle]?.();
      if (!Number.isInteger(handle))
        throw new TypeError('inferlet: constrain() takes a Matcher or GrammarConstraint');
      this.#constraints.push(handle);
    }
    return this;
  }

  // Samples a token at each of `indices` (rows of this pass's input; row 0 alone for a pass
  // without input, the context's last token).
  sample(indices, sampler) {
    const rows = (typeof indices === 'number' ? [indices] : Array.from(indices))
                     .map((row) => checkRow(row, 'a sample row'));
    const spec = samplerSpec(sampler);
    const handle = new SampleHandle(this, this.#samplers.length, rows, sampler.draws);
    this.#samplers.push({rows, sampler: spec});
    return handle;
  }

  // Reads a probe at row `idx`.
  probe(idx, probe) {
    const spec = probeSpec(probe);
    const handle =
        new ProbeHandle(this, this.#probes.length, checkRow(idx, 'a probe row'), spec.kind);
    this.#probes.push({row: handle.row, probe: spec});
    return handle;
  }

  // Runs the pass: the context's buffered fills are flushed first.
  async execute() {
    await this.#ctx.flush();
    return this[I.sendPass]();
  }

  async[I.sendPass](outputFields = {}) {
    if (this.#sent)
      throw new Error(
          'inferlet: this Forward was already executed; make a new one with ctx.forward()');
    if (this.#attentionMasks && this.#attentionMasks.length !== this.#tokens.length) {
      throw new RangeError(`inferlet: attentionMask got ${this.#attentionMasks.length} masks for ${
          this.#tokens.length} input tokens`);
    }
    this.#sent = true;
    const args = {context: this.#ctx[I.handleOf](), tokens: this.#tokens};
    if (this.#explicitPositions) args.positions = this.#positions;
    if (this.#mask) args.mask = this.#mask;
    if (this.#attentionMasks) args.attention_masks = this.#attentionMasks;
    if (this.#samplers.length > 0) args.samplers = this.#samplers;
    if (this.#probes.length > 0) args.probes = this.#probes;
    if (this.#constraints.length > 0) args.constraints = this.#constraints;
    const result = await request('forward', args);
    this.#ctx[I.setCommittedLength](result.length);
    return new Output(this, result, outputFields);
  }
}
