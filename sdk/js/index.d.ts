// Types of the inferlet SDK for weft programs (docs/programs.md, sdk/js/README.md).

/**
 * A BRLE logit mask: run lengths over the vocabulary ids, the first run counting disallowed ids.
 */
export type Brle = Uint32Array|number[];
export type TokenIds = Uint32Array|ArrayLike<number>|Iterable<number>;

/** An error response of the program host. */
export class ProtocolError extends Error {
  readonly op: string;
  readonly code: 'invalid_request'|'not_found'|'resource_exhausted'|'internal'|string;
}

export namespace runtime {
  function models(): string[];
  function version(): string;
  function instanceId(): string;
  function username(): string;
  /** weft extension: the run's seed. */
  function seed(): number|null;
}

export class Tokenizer {
  readonly model: Model;
  /** `special`: control-token text becomes control tokens (weft extension; default false). */
  encode(text: string, special?: boolean): Uint32Array;
  decode(tokens: TokenIds): string;
  vocabs(): [Uint32Array, Uint8Array[]];
  specialTokens(): [Uint32Array, Uint8Array[]];
  splitRegex(): string;
}

export class Model {
  private constructor(info: unknown);
  static load(name?: string): Model;
  tokenizer(): Tokenizer;
  readonly name: string;
  readonly vocabSize: number;
  readonly pageSize: number;
  readonly contextLength: number;
  readonly stopTokens: Uint32Array;
  /** weft extension: the token an empty context starts with, or null. */
  readonly bosToken: number|null;
}

export interface ContextInfo {
  length: number;
  tokens: Uint32Array;
  pageSize: number;
  pages: number;
  sharedPages?: number;
}

export class Context implements Disposable {
  constructor(model: Model);
  static open(model: Model, name: string): Context|undefined;
  static take(model: Model, name: string): Context|undefined;
  static delete(model: Model, name: string): void;
  fork(): Context;
  save(name: string): void;
  snapshot(): string;
  release(): void;
  [Symbol.dispose](): void;

  system(text: string): this;
  user(text: string): this;
  assistant(text: string): this;
  cue(): this;
  seal(): this;
  append(tokens: TokenIds|number): this;
  appendText(text: string): this;
  flush(): Promise<void>;

  readonly model: Model;
  readonly pageSize: number;
  readonly seqLen: number;
  buffer(): Uint32Array;
  truncate(n: number): void;

  generate(sampler: Sampler, options?: GenerateOptions): Generator;
  forward(): Forward;

  /** weft extensions. */
  info(): ContextInfo;
  readonly handle: number;
  readonly released: boolean;
  readonly committedLength: number;

  /** Not built (the scheduling market): throw. */
  setBid(value: number): never;
  idle(): never;
}

export class Sampler {
  private constructor(spec: unknown);
  static argmax(): Sampler;
  static topP(temperature: number, p: number): Sampler;
  static topK(temperature: number, k: number): Sampler;
  static minP(temperature: number, p: number): Sampler;
  static topKTopP(temperature: number, k: number, p: number): Sampler;
  static multinomial(temperature: number, draws?: number): Sampler;
  /** weft extension: the same sampler with its own seed. */
  withSeed(seed: number): Sampler;
  readonly draws: number;
  readonly spec: Readonly<Record<string, unknown>>;
}

export interface Probe {
  readonly probe: Readonly<{kind: 'logits' | 'distribution' | 'logprobs' | 'entropy'}>;
}
export function Logits(): Probe;
export function Distribution(temperature?: number, k?: number): Probe;
export function Logprob(token: number): Probe;
export function Logprobs(tokens: TokenIds): Probe;
export function Entropy(): Probe;

export class SampleHandle {
  private constructor();
  readonly index: number;
  readonly rows: number[];
  readonly draws: number;
}
export class ProbeHandle {
  private constructor();
  readonly index: number;
  readonly row: number;
  readonly kind: string;
}

export class Output {
  private constructor();
  token(h: SampleHandle): number|undefined;
  tokensAt(h: SampleHandle): Uint32Array;
  distribution(h: ProbeHandle): [Uint32Array, Float32Array]|undefined;
  logits(h: ProbeHandle): Uint8Array|undefined;
  /** weft extension: a Logits probe as float32 values. */
  logitValues(h: ProbeHandle): Float32Array|undefined;
  logprobs(h: ProbeHandle): Float32Array|undefined;
  entropy(h: ProbeHandle): number|undefined;
  tokens: Uint32Array;
  autoSampler: SampleHandle|undefined;
  readonly raw: {length: number; samples?: number[][]; probes?: unknown[]};
}

export class Forward {
  private constructor();
  startPosition(): number;
  input(tokens: TokenIds): this;
  inputAt(tokens: TokenIds, positions: TokenIds): this;
  mask(brle: Brle): this;
  /** weft extension: host matchers restricting and advancing with every sampled row. */
  constrain(...matchers: Array<Matcher|GrammarConstraint>): this;
  sample(indices: number|Iterable<number>, sampler: Sampler): SampleHandle;
  probe(idx: number, probe: Probe): ProbeHandle;
  execute(): Promise<Output>;
  /**
   * Per-input-token attention masks: one BRLE over the context's positions (first run hidden)
   * or null (causal) per input token; a token never attends to a position after its own.
   */
  attentionMask(masks: Iterable<Brle|null|undefined>): this;
  /** Not built: throw. */
  adapter(a: Adapter): never;
  zoSeed(seed: number): never;
}

export interface Schema {
  buildConstraint(model: Model): Constraint|GrammarConstraint;
}
export interface Constraint {
  /**
   * `accepted`: the tokens accepted since the last step. Return an empty array for no restriction.
   */
  step(accepted: Uint32Array): Uint32Array;
}
export interface Speculator {
  draft(): [Uint32Array, Uint32Array];
  accept(tokens: Uint32Array|number[]): void;
  rollback(n: number): void;
  reset(): void;
}

export interface GenerateOptions {
  maxTokens?: number;
  stop?: Iterable<number>;
  constrain?: Schema|Constraint|Array<Schema|Constraint>;
  logitMask?: Brle;
  speculator?: Speculator;
  systemSpeculation?: boolean;
  horizon?: number;
  autoFlush?: boolean;
  /** Not built: throw. */
  adapter?: never;
  zoSeed?: never;
}

export class GenStep {
  private constructor();
  clearSampler(): this;
  probe(idx: number, probe: Probe): ProbeHandle;
  execute(): Promise<Output>;
  readonly executed: boolean;
  /** weft extension: the step's pass. */
  readonly forward: Forward;
}

export class Generator implements AsyncIterable<GenStep> {
  private constructor();
  maxTokens(n: number): this;
  stop(tokens: Iterable<number>): this;
  addStop(tokens: Iterable<number>): this;
  constrain(c: Schema|Constraint): this;
  horizon(n: number): this;
  probeEachStep(idx: number, probe: Probe): ProbeHandle;
  readonly tokensGenerated: number;
  readonly isDone: boolean;
  /** weft extension. */
  readonly stopReason: 'stop'|'length'|undefined;
  collectTokens(): Promise<Uint32Array>;
  collectText(): Promise<string>;
  collectJson<T = unknown>(opts?: {schema?: string|object; parse?: (value: unknown) => T}):
      Promise<T>;
  accept(tokens: TokenIds): Uint32Array;
  [Symbol.asyncIterator](): AsyncIterator<GenStep>;
  /** Not built: throw. */
  adapter(a: Adapter): never;
  zoSeed(seed: number): never;
}

export class Grammar {
  private constructor();
  readonly kind: 'json_schema'|'any_json'|'regex'|'ebnf';
  readonly source: string;
  static fromJsonSchema(schema: string|object): Grammar;
  static json(): Grammar;
  static fromRegex(pattern: string): Grammar;
  /** GBNF (docs/grammar.md). */
  static fromEbnf(source: string): Grammar;
}

export class Matcher implements Disposable {
  constructor(grammar: Grammar, tokenizer: Tokenizer);
  acceptTokens(ids: TokenIds): number;
  nextTokenLogitMask(): Uint32Array;
  isTerminated(): boolean;
  reset(): void;
  /** weft extensions. */
  state(): {terminated: boolean; canEnd: boolean; acceptedTokens: number};
  rollback(count: number): void;
  free(): void;
  [Symbol.dispose](): void;
}

export class GrammarConstraint implements Constraint {
  constructor(matcher: Matcher);
  static fromGrammar(g: Grammar, model: Model): GrammarConstraint;
  static fromJsonSchema(s: string|object, model: Model): GrammarConstraint;
  static json(model: Model): GrammarConstraint;
  static fromRegex(p: string, model: Model): GrammarConstraint;
  static fromEbnf(g: string, model: Model): GrammarConstraint;
  readonly matcher: Matcher;
  step(accepted: Uint32Array): Uint32Array;
}

export function jsonSchema(s: string|object): Schema;
export function anyJson(): Schema;
export function regex(p: string): Schema;
export function ebnf(g: string): Schema;
export function grammar(g: Grammar): Schema;

/** weft extension: the drafter behind systemSpeculation. */
export class NgramSpeculator implements Speculator {
  constructor(options?: {n?: number; maxDraft?: number});
  draft(): [Uint32Array, Uint32Array];
  accept(tokens: Uint32Array|number[]): void;
  rollback(n: number): void;
  reset(): void;
}

/** weft extension: BRLE helpers. */
export namespace brle {
  function fromAllowed(ids: Iterable<number>): Uint32Array;
  function all(vocabSize: number): Uint32Array;
  function allows(mask: Brle, id: number): boolean;
  function allowed(mask: Brle): Uint32Array;
  function and(...masks: Brle[]): Uint32Array;
}

export type ChatEvent =|{type: 'idle'}|{
  type: 'delta';
  text: string
}
|{
  type: 'done';
  text: string
}
|{
  type: 'interrupt';
  token: number
};
export type ReasoningEvent =|{type: 'idle'}|{type: 'start'}|{
  type: 'delta';
  text: string
}
|{
  type: 'end';
  text: string
};
export type ToolEvent =|{type: 'idle'}|{type: 'start'}|{
  type: 'call';
  name: string;
  args: string
}
|{
  type: 'error';
  message: string
};

export namespace chat {
  class Decoder {
    constructor(model: Model);
    feed(tokens: TokenIds): ChatEvent;
    readonly text: string;
    reset(): void;
  }
  function system(model: Model, message: string): Uint32Array;
  function user(model: Model, message: string): Uint32Array;
  function assistant(model: Model, message: string): Uint32Array;
  function cue(model: Model): Uint32Array;
  function seal(model: Model): Uint32Array;
  function stopTokens(model: Model): Uint32Array;
}

export namespace reasoning {
  class Decoder {
    constructor(model: Model);
    feed(tokens: TokenIds): ReasoningEvent;
    reset(): void;
  }
}

export namespace tools {
  class Decoder {
    constructor(model: Model);
    feed(tokens: TokenIds): ToolEvent;
    reset(): void;
  }
  function equipPrefix(model: Model, schemas: Iterable<string|object>): Uint32Array;
  function answerPrefix(model: Model, name: string, value: unknown): Uint32Array;
  function nativeMatcher(model: Model, schemas: Iterable<string|object>): Matcher|undefined;
}

export namespace session {
  function send(message: unknown): void;
  function receive(): Promise<string>;
  /** A binary blob for the client (`weft program run --files-out DIR`). */
  function sendFile(data: Uint8Array): void;
  /** The next inbound file (`weft program run --file PATH`); not_found after the last. */
  function receiveFile(): Promise<Uint8Array>;
}

export class Subscription implements AsyncIterable<string>, Disposable {
  private constructor();
  next(): Promise<string|undefined>;
  unsubscribe(): void;
  [Symbol.asyncIterator](): AsyncIterator<string>;
  [Symbol.dispose](): void;
}

export namespace messaging {
  function broadcast(topic: string, message: unknown): void;
  function subscribe(topic: string): Subscription;
  function push(topic: string, message: unknown): void;
  function pull(topic: string): Promise<string>;
}

/** Not built in weft: every member throws an Error naming it. */
export class Adapter implements Disposable {
  private constructor();
  static create(model: Model, name: string): never;
  static open(model: Model, name: string): never;
  [Symbol.dispose](): void;
}
export class McpSession {
  private constructor();
}
export namespace mcp {
  function availableServers(): never;
  function connect(name: string): never;
}
export namespace scheduling {
  function balance(model: Model): never;
  function rent(ctx: Context): never;
  function dividend(model: Model): never;
  function latency(ctx: Context): never;
  function price(): never;
}
