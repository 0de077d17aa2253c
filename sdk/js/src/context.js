// Context: one sequence's KV cache in the host, plus fills buffered in the SDK until flush().
//
// Fills (append, appendText, system/user/assistant, cue, seal) are buffered in order; flush()
// sends them on the async channel: raw tokens as context_append, messages as context_turn,
// cue as context_cue. seal() closes the assistant message generated since the last cue: at
// flush it sends context_turn {role: assistant, content: the text of the tokens after the cue}
// so the chat template adds what closes the turn (its end-of-turn tokens) to the tokens
// already there; if the template renders that text as other tokens, the context is truncated
// back to the cue and the message appended as the template renders it.
import {dispose} from './dispose.js';
import {Forward} from './forward.js';
import {Generator} from './generator.js';
import * as I from './internal.js';
import {Model, toTokenArray} from './model.js';
import {notBuilt} from './not_built.js';
import {call, ProtocolError, request} from './transport.js';

const fromHost = new WeakSet();

function checkName(name) {
  if (typeof name !== 'string' || name === '')
    throw new TypeError('inferlet: a snapshot name is a non-empty string');
  return name;
}

function checkModel(model) {
  if (!(model instanceof Model))
    throw new TypeError('inferlet: expected a Model (Model.load(name))');
  return model;
}

function openedOrUndefined(op, model, name) {
  try {
    const opened = call(op, {name: checkName(name)});
    return new Context(checkModel(model), hostContext(opened.context, opened.length));
  } catch (error) {
    if (error instanceof ProtocolError && error.code === 'not_found') return undefined;
    throw error;
  }
}

const flushed = Promise.resolve();

function hostContext(handle, length) {
  const origin = {handle, length};
  fromHost.add(origin);
  return origin;
}

export class Context {
  #model;
  #handle;
  #length;
  #ops = [];
  #released = false;
  #conversation = false;
  #cueEnd = undefined;  // the committed length right after the last cue
  #flushing = Promise.resolve();
  #unsettledFlushes = 0;

  // A fresh, empty context on `model`.
  constructor(model, origin = undefined) {
    this.#model = checkModel(model);
    if (origin !== undefined) {
      if (!fromHost.has(origin))
        throw new TypeError('inferlet: new Context(model) takes only a Model');
      this.#handle = origin.handle;
      this.#length = origin.length;
      this.#conversation = origin.conversation ?? false;
      this.#cueEnd = origin.cueEnd;
      this.#ops = origin.ops ?? [];
    } else {
      this.#handle = call('context_new').context;
      this.#length = 0;
    }
  }

  // A context cloned from the snapshot `name` (which stays); undefined for an unknown name.
  static open(model, name) { return openedOrUndefined('context_open', model, name); }

  // The snapshot `name` as a context (the snapshot is gone); undefined for an unknown name.
  static take(model, name) { return openedOrUndefined('context_take', model, name); }

  // Drops the snapshot `name`.
  static delete(model, name) {
    checkModel(model);
    call('context_delete', {name: checkName(name)});
  }

  get model() { return this.#model; }

  get pageSize() { return this.#model.pageSize; }

  // Committed tokens plus the raw tokens buffered by append/appendText (messages and cues
  // buffered by system/user/assistant/cue/seal count once flushed).
  get seqLen() { return this.#length + this.#bufferedTokenCount(); }

  // The raw tokens buffered in the SDK, in order (messages and cues excluded).
  buffer() {
    return Uint32Array.from(this.#ops.flatMap((op) => (op.kind === 'tokens' ? op.tokens : [])));
  }

  // weft extension: the host's view of the context (committed tokens only).
  info() {
    const info = call('context_info', {context: this.#handle});
    const result = {
      length: info.length,
      tokens: Uint32Array.from(info.tokens),
      pageSize: info.page_size,
      pages: info.pages
    };
    if (info.shared_pages !== undefined) result.sharedPages = info.shared_pages;
    return result;
  }

  // weft extension: the host's handle of this context.
  get handle() { return this.#handle; }

  get released() { return this.#released; }

  // A copy-on-write clone (full pages shared); buffered fills are copied too.
  fork() {
    const forked = call('context_fork', {context: this.#handle});
    const origin = hostContext(forked.context, this.#length);
    origin.conversation = this.#conversation;
    origin.cueEnd = this.#cueEnd;
    origin.ops = this.#ops.map((op) => ({...op}));
    return new Context(this.#model, origin);
  }

  #checkNothingBuffered(what) {
    if (this.#ops.length > 0) {
      throw new Error(
          `inferlet: ${what}: ${this.#ops.length} fills are buffered; await ctx.flush() first`);
    }
  }

  // Saves the committed tokens as the snapshot `name`.
  save(name) {
    this.#checkNothingBuffered('save');
    call('context_save', {context: this.#handle, name: checkName(name)});
  }

  // Saves the committed tokens under a generated name, which it returns.
  snapshot() {
    this.#checkNothingBuffered('snapshot');
    return call('context_snapshot', {context: this.#handle}).name;
  }

  // Frees the context's pages now; the context cannot be used afterwards.
  release() {
    call('context_release', {context: this.#handle});
    this.#released = true;
    this.#ops = [];
  }

  [dispose]() {
    if (!this.#released) this.release();
  }

  #push(op) {
    this.#ops.push(op);
    return this;
  }

  system(text) { return this.#turn('system', text); }

  user(text) { return this.#turn('user', text); }

  // A pre-filled assistant message (a whole turn).
  assistant(text) { return this.#turn('assistant', text); }

  #turn(role, content) {
    if (typeof content !== 'string') throw new TypeError(`inferlet: ${role}(text) takes a string`);
    this.#conversation = true;
    return this.#push({kind: 'turn', role, content});
  }

  // Appends the chat template's generation prompt: the model answers from here.
  cue() {
    this.#conversation = true;
    return this.#push({kind: 'cue'});
  }

  // Closes the assistant message generated since the last cue (see the file comment).
  seal() { return this.#push({kind: 'seal'}); }

  append(tokens) {
    const list = toTokenArray(tokens);
    if (list.length === 0) return this;
    const last = this.#ops.at(-1);
    if (last?.kind === 'tokens')
      last.tokens.push(...list);
    else
      this.#push({kind: 'tokens', tokens: list});
    return this;
  }

  // Tokenizes and appends text; an empty context starts with the model's BOS token when its
  // vocabulary asks for one (as weft's own prompts do).
  appendText(text) {
    const tokens = Array.from(this.#model.tokenizer().encode(text));
    const bos = this.#model.bosToken;
    if (bos !== null && this.#length === 0 && this.#ops.length === 0 && tokens[0] !== bos)
      tokens.unshift(bos);
    return this.append(tokens);
  }

  // Sends the buffered fills in order; resolves once the model has computed them.
  flush() {
    // Nothing buffered and nothing in flight: a pass's per-step flush costs no promise chain.
    if (this.#ops.length === 0 && this.#unsettledFlushes === 0) return flushed;
    const ops = this.#ops;
    this.#ops = [];
    ++this.#unsettledFlushes;
    const run = this.#flushing.then(() => this.#send(ops));
    this.#flushing = run.catch(() => {}).then(() => {
      --this.#unsettledFlushes;
    });
    return run;
  }

  async #send(ops) {
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      if (op.kind === 'tokens') {
        await this.#apply(request('context_append', {context: this.#handle, tokens: op.tokens}));
      } else if (op.kind === 'turn') {
        const cueNext = ops[i + 1]?.kind === 'cue';
        await this.#apply(request('context_turn', {
          context: this.#handle,
          role: op.role,
          content: op.content,
          generation_prompt: cueNext
        }));
        if (cueNext) {
          this.#cueEnd = this.#length;
          i++;
        }
      } else if (op.kind === 'cue') {
        await this.#apply(request('context_cue', {context: this.#handle}));
        this.#cueEnd = this.#length;
      } else {
        await this.#sendSeal();
      }
    }
  }

  async #apply(pending) { this.#length = (await pending).length; }

  async #sendSeal() {
    if (this.#cueEnd === undefined)
      throw new Error('inferlet: seal() needs a cue() (or generate()) before it');
    const cueEnd = this.#cueEnd;
    const tokens = this.info().tokens.slice(cueEnd);
    let end = tokens.length;
    const stops = new Set(this.#model.stopTokens);
    while (end > 0 && stops.has(tokens[end - 1])) end--;
    const content = this.#model.tokenizer().decode(tokens.subarray(0, end));
    const turn = {context: this.#handle, role: 'assistant', content, generation_prompt: false};
    try {
      await this.#apply(request('context_turn', turn));
    } catch (error) {
      if (!(error instanceof ProtocolError) || error.code !== 'invalid_request') throw error;
      this.#length = call('context_truncate', {context: this.#handle, length: cueEnd}).length;
      await this.#apply(request('context_turn', turn));
    }
    this.#cueEnd = undefined;
  }

  // Drops the trailing n tokens: buffered raw tokens first, then committed ones.
  truncate(n) {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`inferlet: truncate(n) needs an integer n >= 0 (got ${n})`);
    let rest = n;
    while (rest > 0 && this.#ops.at(-1)?.kind === 'tokens') {
      const op = this.#ops.at(-1);
      const dropped = Math.min(rest, op.tokens.length);
      op.tokens.length -= dropped;
      rest -= dropped;
      if (op.tokens.length === 0) this.#ops.pop();
    }
    if (rest > 0 && this.#ops.length > 0) {
      throw new Error('inferlet: truncate() past buffered messages; await ctx.flush() first');
    }
    if (rest > 0) {
      this.#length =
          call('context_truncate', {context: this.#handle, length: this.#length - rest}).length;
    }
    if (this.#cueEnd !== undefined && this.#cueEnd > this.#length) this.#cueEnd = undefined;
  }

  // A Generator of tokens sampled with `sampler` (docs: GenerateOptions).
  generate(sampler, options = {}) { return new Generator(this, sampler, options); }

  // A raw forward pass over this context.
  forward() { return new Forward(this); }

  setBid() { throw notBuilt('Context.setBid (the scheduling market)'); }

  idle() { throw notBuilt('Context.idle (the scheduling market)'); }

  #bufferedTokenCount() {
    let total = 0;
    for (const op of this.#ops)
      if (op.kind === 'tokens') total += op.tokens.length;
    return total;
  }

  [I.handleOf]() { return this.#handle; }

  [I.setCommittedLength](length) { this.#length = length; }

  [I.hasConversation]() { return this.#conversation; }

  [I.endsWithCue]() { return this.#ops.at(-1)?.kind === 'cue'; }

  // Removes and returns the last buffered fill when it is a raw token (so that a Generator's
  // pass carries it, at row 0).
  [I.takeTrailingTokens]() {
    const last = this.#ops.at(-1);
    if (last?.kind !== 'tokens') return [];
    const token = last.tokens.pop();
    if (last.tokens.length === 0) this.#ops.pop();
    return [token];
  }

  // weft extension: the committed length (tokens the host holds).
  get committedLength() { return this.#length; }
}
