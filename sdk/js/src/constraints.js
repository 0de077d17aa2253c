// Constraints: grammars compiled and walked in the host (Matcher, GrammarConstraint, and the
// Schema builders jsonSchema/anyJson/regex/ebnf/grammar), and the shape of a custom Constraint
// (any object with step(accepted) → BRLE mask) that runs in the program.
import {dispose} from './dispose.js';
import * as I from './internal.js';
import {Model, Tokenizer, toTokenArray} from './model.js';
import {call} from './transport.js';

function sourceText(value, what) {
  if (typeof value === 'string') return value;
  if (what === 'JSON Schema' && value !== null && typeof value === 'object')
    return JSON.stringify(value);
  throw new TypeError(
      `inferlet: a ${what} is a string${what === 'JSON Schema' ? ' or an object' : ''}`);
}

// A grammar description: compiled by the host when a Matcher is made from it.
export class Grammar {
  constructor(kind, source) {
    this.kind = kind;
    this.source = source;
    Object.freeze(this);
  }

  static fromJsonSchema(schema) {
    return new Grammar('json_schema', sourceText(schema, 'JSON Schema'));
  }

  static json() { return new Grammar('any_json', ''); }

  static fromRegex(pattern) { return new Grammar('regex', sourceText(pattern, 'regex')); }

  // A GBNF grammar (docs/grammar.md); weft's EBNF dialect is GBNF, not Lark.
  static fromEbnf(source) { return new Grammar('ebnf', sourceText(source, 'grammar')); }
}

function tokenizerOf(value) {
  if (value instanceof Tokenizer || value instanceof Model) return value;
  throw new TypeError('inferlet: new Matcher(grammar, tokenizer) needs the model\'s Tokenizer');
}

// A compiled grammar and the position reached in it (a handle in the host).
export class Matcher {
  #handle;
  #freed = false;

  constructor(grammar, tokenizer) {
    if (!(grammar instanceof Grammar))
      throw new TypeError('inferlet: new Matcher(grammar, …) takes a Grammar');
    tokenizerOf(tokenizer);
    this.#handle = call('matcher_new', {kind: grammar.kind, source: grammar.source}).matcher;
  }

  // Advances over `ids`; returns how many were accepted before the first refused one.
  acceptTokens(ids) {
    return call('matcher_accept', {matcher: this.#handle, tokens: toTokenArray(ids)}).accepted;
  }

  // The BRLE mask of the tokens the grammar allows next.
  nextTokenLogitMask() {
    return Uint32Array.from(call('matcher_mask', {matcher: this.#handle}).mask);
  }

  isTerminated() { return this.state().terminated; }

  // weft extension: {terminated, canEnd, acceptedTokens}.
  state() {
    const state = call('matcher_state', {matcher: this.#handle});
    return {
      terminated: state.terminated,
      canEnd: state.can_end,
      acceptedTokens: state.accepted_tokens
    };
  }

  // weft extension: undoes the last `count` accepted tokens.
  rollback(count) {
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError('inferlet: rollback(count) needs an integer >= 0');
    call('matcher_rollback', {matcher: this.#handle, tokens: count});
  }

  reset() { call('matcher_reset', {matcher: this.#handle}); }

  // weft extension: frees the matcher in the host.
  free() {
    if (this.#freed) return;
    call('matcher_free', {matcher: this.#handle});
    this.#freed = true;
  }

  [dispose]() { this.free(); }

  [I.matcherHandle]() { return this.#handle; }
}

// A Constraint backed by a host Matcher. Given to a Generator, its matcher restricts and
// advances in the host during the pass (no extra round trip); used by hand, step() does the
// same with two calls.
export class GrammarConstraint {
  #matcher;

  constructor(matcher) {
    if (!(matcher instanceof Matcher))
      throw new TypeError('inferlet: new GrammarConstraint(matcher) takes a Matcher');
    this.#matcher = matcher;
  }

  static fromGrammar(grammar, model) {
    return new GrammarConstraint(new Matcher(grammar, model.tokenizer()));
  }
  static fromJsonSchema(schema, model) {
    return GrammarConstraint.fromGrammar(Grammar.fromJsonSchema(schema), model);
  }
  static json(model) { return GrammarConstraint.fromGrammar(Grammar.json(), model); }
  static fromRegex(pattern, model) {
    return GrammarConstraint.fromGrammar(Grammar.fromRegex(pattern), model);
  }
  static fromEbnf(source, model) {
    return GrammarConstraint.fromGrammar(Grammar.fromEbnf(source), model);
  }

  get matcher() { return this.#matcher; }

  step(accepted) {
    if (accepted && accepted.length > 0) this.#matcher.acceptTokens(accepted);
    return this.#matcher.nextTokenLogitMask();
  }

  [I.matcherHandle]() { return this.#matcher[I.matcherHandle](); }
}

function schemaOf(grammarFactory) {
  return Object.freeze({
    buildConstraint(model) { return GrammarConstraint.fromGrammar(grammarFactory(), model); },
  });
}

export function jsonSchema(schema) {
  const source = sourceText(schema, 'JSON Schema');
  return schemaOf(() => Grammar.fromJsonSchema(source));
}

export function anyJson() { return schemaOf(() => Grammar.json()); }

export function regex(pattern) {
  const source = sourceText(pattern, 'regex');
  return schemaOf(() => Grammar.fromRegex(source));
}

export function ebnf(source) {
  const text = sourceText(source, 'grammar');
  return schemaOf(() => Grammar.fromEbnf(text));
}

export function grammar(g) {
  if (!(g instanceof Grammar)) throw new TypeError('inferlet: grammar(g) takes a Grammar');
  return schemaOf(() => g);
}
