// Generator: the sampling loop over a context, one forward pass per step, driven by a
// collector, by `for await (const step of g)`, or step by step with accept().
//
// Tokens: every accepted token ends up in the context. The newest one is buffered in the
// context (ctx.buffer()) and goes into the next step's pass, so appending to the context
// between steps (a tool's result) lands after it. Stop tokens end the generation and are
// neither accepted nor appended.
//
// Rows: each step flushes the context's buffered fills but the last raw token, which the
// step's pass carries at row 0 (the sampled row; a pass with no input samples after the
// context's last token, also row 0). Drafts of a speculator follow at rows 1, 2, …. So a
// probe at row 0 (probeEachStep(0, …), step.probe(0, …)) reads the distribution the step's
// token is sampled from.
import {brle} from './brle.js';
import {Decoder as ChatDecoder} from './chat_decoder.js';
import {anyJson, jsonSchema} from './constraints.js';
import {Forward, ProbeHandle} from './forward.js';
import * as I from './internal.js';
import {toTokenArray} from './model.js';
import {notBuilt} from './not_built.js';
import {probeSpec} from './probes.js';
import {samplerSpec} from './sampler.js';
import {draftChain, isSpeculator, NgramSpeculator} from './speculator.js';
import {call} from './transport.js';

function constraintList(value) {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? [...value] : [value];
}

// One step of a Generator: add probes, or drop the automatic sampler (then choose tokens
// yourself and pass them to g.accept), then execute().
export class GenStep {
  #run;
  #forward;
  #clear = false;
  #executed = false;

  constructor(run, forward) {
    this.#run = run;
    this.#forward = forward;
  }

  clearSampler() {
    this.#clear = true;
    return this;
  }

  probe(idx, probe) { return this.#forward.probe(idx, probe); }

  get executed() { return this.#executed; }

  // weft extension: the step's Forward, for samplers of your own (e.g. at other rows).
  get forward() { return this.#forward; }

  async execute() {
    if (this.#executed) throw new Error('inferlet: this GenStep was already executed');
    this.#executed = true;
    return this.#run(this.#forward, this.#clear);
  }
}

export class Generator {
  #ctx;
  #sampler;
  #max;
  #stop;
  #constraintSpecs;
  #logitMask = null;
  #speculator = null;
  #horizon = undefined;
  #eachStepProbes = [];
  #tokens = [];
  #lastAccepted = [];
  #done = false;
  #stopReason = undefined;
  #started = false;
  #server = [];
  #custom = [];
  #owned = [];

  constructor(ctx, sampler, options = {}) {
    if (options === null || typeof options !== 'object')
      throw new TypeError('inferlet: generate options are an object');
    if (options.adapter !== undefined) throw notBuilt('the adapter option (LoRA adapters)');
    if (options.zoSeed !== undefined)
      throw notBuilt('the zoSeed option (Evolution Strategies seeds)');
    samplerSpec(sampler);
    if (options.speculator !== undefined && options.systemSpeculation) {
      throw new TypeError('inferlet: speculator and systemSpeculation are mutually exclusive');
    }
    if (options.speculator !== undefined && !isSpeculator(options.speculator)) {
      throw new TypeError(
          'inferlet: a speculator has draft(), accept(tokens), rollback(n) and reset()');
    }
    this.#ctx = ctx;
    this.#sampler = sampler;
    this.#max = Infinity;
    if (options.maxTokens !== undefined) this.maxTokens(options.maxTokens);
    this.#stop = new Set(
        options.stop !== undefined ? toTokenArray(options.stop, 'stop') : ctx.model.stopTokens);
    this.#constraintSpecs = constraintList(options.constrain);
    if (options.logitMask !== undefined) this.#logitMask = Uint32Array.from(options.logitMask);
    this.#speculator =
        options.speculator ?? (options.systemSpeculation ? new NgramSpeculator() : null);
    this.#horizon = options.horizon;
    if ((options.autoFlush ?? true) && ctx[I.hasConversation]() && !ctx[I.endsWithCue]()) ctx.cue();
  }

  #checkNotStarted(what) {
    if (this.#started) throw new Error(`inferlet: ${what} after the generation started`);
  }

  maxTokens(n) {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`inferlet: maxTokens must be an integer >= 0 (got ${n})`);
    this.#max = n;
    return this;
  }

  stop(tokens) {
    this.#stop = new Set(toTokenArray(tokens, 'stop'));
    return this;
  }

  addStop(tokens) {
    for (const id of toTokenArray(tokens, 'stop')) this.#stop.add(id);
    return this;
  }

  constrain(constraint) {
    this.#checkNotStarted('constrain()');
    this.#constraintSpecs.push(constraint);
    return this;
  }

  // A hint only: weft's scheduler does not use it.
  horizon(n) {
    this.#horizon = n;
    return this;
  }

  adapter() { throw notBuilt('Generator.adapter (LoRA adapters)'); }

  zoSeed() { throw notBuilt('Generator.zoSeed (Evolution Strategies seeds)'); }

  // A probe at row `idx` of every step's pass; read it from each step's Output.
  probeEachStep(idx, probe) {
    const spec = probeSpec(probe);
    const handle = new ProbeHandle(this, this.#eachStepProbes.length, idx, spec.kind);
    this.#eachStepProbes.push({handle, probe});
    return handle;
  }

  get tokensGenerated() { return this.#tokens.length; }

  get isDone() { return this.#done; }

  // weft extension: why the generation ended: 'stop' (a stop token, or a constraint's grammar
  // completed), 'length' (maxTokens or the context length), undefined while running.
  get stopReason() { return this.#stopReason; }

  #finish(reason) {
    if (this.#done) return;
    this.#done = true;
    this.#stopReason = reason;
  }

  #outOfRoom() {
    if (this.#max === 0 || this.#ctx.seqLen >= this.#ctx.model.contextLength)
      this.#finish('length');
    return this.#done;
  }

  async * [Symbol.asyncIterator]() {
    try {
      while (!this.#done && !this.#outOfRoom()) {
        const step =
            new GenStep((forward, clear) => this.#step(forward, clear), new Forward(this.#ctx));
        yield step;
        if (!step.executed) await step.execute();
      }
    } finally {
      this.#finish(this.#stopReason ?? 'length');
      this.#release();
    }
  }

  async collectTokens() {
    for await (const step of this) await step.execute();
    return Uint32Array.from(this.#tokens);
  }

  async collectText() {
    const tokens = await this.collectTokens();
    const decoder = new ChatDecoder(this.#ctx.model);
    decoder.feed(tokens);
    return decoder.text;
  }

  // Constrains the generation to JSON (to `schema` when given), drains it and parses it.
  async collectJson(options = {}) {
    this.constrain(options.schema !== undefined ? jsonSchema(options.schema) : anyJson());
    const text = await this.collectText();
    if (this.#stopReason === 'length') {
      throw new Error(`inferlet: collectJson: the generation reached ${
          this.#tokens.length >= this.#max ? 'maxTokens' :
                                             'the context length'} before the JSON ended: ${text}`);
    }
    let value;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new Error(
          `inferlet: collectJson: the generated text is not JSON (${error.message}): ${text}`);
    }
    return options.parse ? options.parse(value) : value;
  }

  // Registers tokens chosen by the program (after step.clearSampler()); returns those
  // accepted (a stop token or maxTokens ends the list).
  accept(tokens) {
    const accepted = this.#admit(toTokenArray(tokens));
    this.#ctx.append(accepted);
    if (accepted.length > 0) {
      for (const constraint of this.#server)
        call('matcher_accept', {matcher: constraint[I.matcherHandle](), tokens: accepted});
      this.#speculator?.accept(accepted);
    }
    this.#lastAccepted = accepted;
    return Uint32Array.from(accepted);
  }

  #admit(tokens) {
    const accepted = [];
    for (const token of tokens) {
      if (this.#done) break;
      if (this.#stop.has(token)) {
        this.#finish('stop');
        break;
      }
      accepted.push(token);
      this.#tokens.push(token);
      if (this.#tokens.length >= this.#max) this.#finish('length');
    }
    return accepted;
  }

  #start(ctxTokens) {
    this.#started = true;
    for (const spec of this.#constraintSpecs) {
      let built = spec;
      if (typeof spec?.buildConstraint === 'function') {
        built = spec.buildConstraint(this.#ctx.model);
        this.#owned.push(built);
      }
      if (typeof built?.[I.matcherHandle] === 'function')
        this.#server.push(built);
      else if (typeof built?.step === 'function')
        this.#custom.push(built);
      else
        throw new TypeError(
            'inferlet: a constraint is a Schema (buildConstraint), a GrammarConstraint or has step(accepted)');
    }
    if (this.#speculator && this.#constraintSpecs.length > 0) {
      throw new Error(
          'inferlet: a speculator with constraints is not supported (each drafted row would need its own mask)');
    }
    if (this.#speculator) {
      this.#speculator.reset();
      this.#speculator.accept(ctxTokens());
    }
  }

  #release() {
    for (const built of this.#owned) {
      const matcher = built.matcher ?? built;
      if (typeof matcher.free === 'function') matcher.free();
    }
    this.#owned = [];
  }

  #drafts(inputLength) {
    if (!this.#speculator || inputLength === 0) return [];
    const room = Math.min(
        this.#ctx.model.contextLength - this.#ctx.committedLength - inputLength,
        this.#max - this.#tokens.length - 1);
    return room > 0 ? draftChain(this.#speculator.draft()).slice(0, room) : [];
  }

  #mask() {
    const masks = this.#logitMask ? [this.#logitMask] : [];
    for (const constraint of this.#custom) {
      const mask = constraint.step(Uint32Array.from(this.#lastAccepted));
      if (mask && mask.length > 0) masks.push(mask);
    }
    if (masks.length === 0) return null;
    return masks.length === 1 ? masks[0] : brle.and(...masks);
  }

  async #step(forward, clear) {
    if (this.#done) throw new Error('inferlet: the generator is done');
    const ctx = this.#ctx;
    const input = ctx[I.takeTrailingTokens]();
    await ctx.flush();
    if (!this.#started) this.#start(() => [...ctx.info().tokens, ...input]);
    const committedBefore = ctx.committedLength;
    const drafts = clear ? [] : this.#drafts(input.length);
    forward.input([...input, ...drafts]);
    const mask = this.#mask();
    if (mask) forward.mask(mask);
    if (this.#server.length > 0) forward.constrain(...this.#server);
    const aliases = new Map();
    for (const {handle, probe} of this.#eachStepProbes)
      aliases.set(handle, forward.probe(handle.row, probe));
    const base = Math.max(input.length - 1, 0);
    const rows = Array.from({length: drafts.length + 1}, (_, i) => base + i);
    const autoSampler = clear ? undefined : forward.sample(rows, this.#sampler);
    const out = await forward[I.sendPass]({autoSampler, aliases});
    if (clear) return out;

    const draws = this.#sampler.draws;
    const sampled = out.tokensAt(autoSampler).filter((_, i) => i % draws === 0);
    let agreed = 0;
    while (agreed < drafts.length && sampled[agreed] === drafts[agreed]) agreed++;
    const accepted = this.#admit([...drafts.slice(0, agreed), sampled[agreed]]);
    const kept = Math.min(accepted.length, agreed);
    if (drafts.length > kept) {
      const length = committedBefore + input.length + kept;
      ctx[I.setCommittedLength](
          call('context_truncate', {context: ctx[I.handleOf](), length}).length);
    }
    ctx.append(accepted.slice(kept));
    if (this.#speculator) {
      if (drafts.length > kept) this.#speculator.rollback(drafts.length - kept);
      this.#speculator.accept(accepted);
    }
    this.#lastAccepted = accepted;
    // A grammar ends by accepting the model's end token, which is normally a stop token and
    // ends the generation above; only when the stop set leaves it out is the matcher asked
    // (so a constrained step stays one round trip).
    const endTokens = this.#ctx.model.stopTokens;
    if (!this.#done && this.#server.length > 0 && accepted.some((t) => endTokens.includes(t)) &&
        this.#server.some((c) => (c.matcher ?? c).isTerminated())) {
      this.#finish('stop');
    }
    out.tokens = Uint32Array.from(accepted);
    return out;
  }
}
