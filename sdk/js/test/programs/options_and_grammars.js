// The GenerateOptions, builders and grammar constructors that generation.js and
// constraints.js leave out: the `stop` option, `g.constrain(...)` (twice: ANDed),
// `Grammar.fromJsonSchema`, `Grammar.fromEbnf`, `Forward.inputAt` with the right positions,
// a custom Constraint's empty mask (no restriction), and `speculator` with
// `systemSpeculation` (refused together), for sdk.test.mjs.
import {Context, grammar, Grammar, GrammarConstraint, Model, NgramSpeculator, regex, Sampler} from 'inferlet';

async function freshContext(model, prompt) {
  const ctx = new Context(model);
  ctx.append(prompt);
  await ctx.flush();
  return ctx;
}

async function constrained(model, prompt, constrain, maxTokens) {
  const ctx = new Context(model);
  ctx.append(prompt);
  const g = ctx.generate(Sampler.topK(1.0, 40), {maxTokens, constrain});
  const text = await g.collectText();
  ctx.release();
  return {text, stopReason: g.stopReason};
}

export async function main(input) {
  const model = Model.load('default');
  const {prompt, stopToken} = input;
  const r = {};

  // The `stop` option replaces the stop set: greedy decoding ends before `stopToken`.
  let ctx = await freshContext(model, prompt);
  const stopped = ctx.generate(Sampler.argmax(), {maxTokens: 12, stop: [stopToken]});
  r.stopOption = {
    tokens: Array.from(await stopped.collectTokens()),
    stopReason: stopped.stopReason
  };
  ctx.release();

  // Constraints added with the builder; two of them compose by AND-ing their masks.
  ctx = new Context(model);
  ctx.append(prompt);
  const built = ctx.generate(Sampler.topK(1.0, 40), {maxTokens: 30})
                    .constrain(regex('[a-z]{2,5}!'))
                    .constrain(regex('[a-m]+!'));
  r.constrainBuilder = {text: await built.collectText(), stopReason: built.stopReason};
  ctx.release();

  // Grammar.fromJsonSchema (object and string forms) and Grammar.fromEbnf.
  const fromObject = Grammar.fromJsonSchema({enum: ['yes', 'no']});
  const fromString = Grammar.fromJsonSchema(JSON.stringify({type: 'boolean'}));
  const fromEbnf = Grammar.fromEbnf('root ::= ("ab" | "cd") "."');
  r.grammarKinds = [fromObject.kind, fromString.kind, fromEbnf.kind];
  r.fromJsonSchemaObject = await constrained(model, prompt, grammar(fromObject), 40);
  r.fromJsonSchemaString = await constrained(model, prompt, grammar(fromString), 40);
  r.fromEbnf = await constrained(model, prompt, GrammarConstraint.fromGrammar(fromEbnf, model), 20);

  // A custom Constraint that returns an empty mask restricts nothing: greedy tokens.
  ctx = await freshContext(model, prompt);
  const free = {
    steps: 0,
    step() {
      this.steps++;
      return new Uint32Array();
    }
  };
  const unrestricted = ctx.generate(Sampler.argmax(), {maxTokens: 6, constrain: free});
  r.emptyMask = {tokens: Array.from(await unrestricted.collectTokens()), steps: free.steps};
  ctx.release();

  // inputAt with the positions input() would derive: the same pass.
  ctx = await freshContext(model, prompt);
  const fwd = ctx.forward();
  const start = fwd.startPosition();
  fwd.inputAt(input.continuation, input.continuation.map((_, i) => start + i));
  const rows = fwd.sample([0, 1], Sampler.argmax());
  const out = await fwd.execute();
  r.inputAt = {tokens: Array.from(out.tokensAt(rows)), length: out.raw.length};
  ctx.release();

  // speculator and systemSpeculation are mutually exclusive.
  ctx = new Context(model);
  try {
    ctx.generate(Sampler.argmax(), {speculator: new NgramSpeculator(), systemSpeculation: true});
    r.bothSpeculators = 'accepted';
  } catch (error) {
    r.bothSpeculators = `${error.name}: ${error.message}`;
  }
  ctx.release();
  return r;
}
