// Constraints: Schema builders, GrammarConstraint, Matcher, and a custom Constraint composed
// with a server matcher, for sdk.test.mjs.
import {anyJson, brle, Context, ebnf, grammar, Grammar, GrammarConstraint, jsonSchema, Matcher, Model, regex, Sampler,} from 'inferlet';

async function generateWith(
    model, prompt, constrain, maxTokens = 200, sampler = Sampler.topK(1.0, 40)) {
  const ctx = new Context(model);
  ctx.append(prompt);
  const g = ctx.generate(sampler, {maxTokens, constrain});
  const text = await g.collectText();
  ctx.release();
  return {text, stopReason: g.stopReason, tokens: g.tokensGenerated};
}

// Allows only tokens whose text has no letter 'e' (a constraint written in the program).
class NoLetterE {
  constructor(model) {
    const [ids, pieces] = model.tokenizer().vocabs();
    this.mask = brle.fromAllowed(Array.from(ids).filter(
        (id, i) => !Buffer.from(pieces[i]).toString('latin1').includes('e')));
    this.seen = [];
  }
  step(accepted) {
    this.seen.push(accepted.length);
    return this.mask;
  }
}

export async function main(input) {
  const model = Model.load('default');
  const tk = model.tokenizer();
  const r = {};
  r.regex = await generateWith(model, input.prompt, regex('[a-z]{3,8}( [a-z]{2,6}){1,3}'));
  r.ebnf = await generateWith(model, input.prompt, ebnf('root ::= "yes" | "no" | "maybe"'));
  r.grammar = await generateWith(model, input.prompt, grammar(Grammar.fromRegex('[0-9]{4}')));
  r.jsonSchema = await generateWith(model, input.prompt, jsonSchema(input.schema), 1500);
  r.anyJson = await generateWith(model, input.prompt, anyJson(), 1500);
  r.grammarConstraint = await generateWith(
      model, input.prompt, GrammarConstraint.fromRegex('(ab|cd){1,4}!', model), 30);
  r.custom = await generateWith(model, input.prompt, new NoLetterE(model), 20);
  // A Schema of the program's own (anything with buildConstraint), and a GrammarConstraint
  // over a Matcher made by hand.
  const twoDigits = {buildConstraint: (m) => GrammarConstraint.fromRegex('[0-9]{2}', m)};
  r.customSchema = await generateWith(model, input.prompt, twoDigits, 10);
  const handMade = new GrammarConstraint(new Matcher(Grammar.fromRegex('(yes|no)!'), tk));
  r.matcherConstraint = await generateWith(model, input.prompt, handMade, 10);
  handMade.matcher.free();
  const both = new NoLetterE(model);
  r.composed = await generateWith(model, input.prompt, [both, regex('[a-z ]{5,40}\\.')], 60);
  r.composedSteps = both.seen;
  {
    const ctx = new Context(model);
    ctx.append(input.prompt);
    r.collectJson = await ctx.generate(Sampler.topK(1.0, 40), {maxTokens: 1500}).collectJson({
      schema: input.schema
    });
    r.collectJsonParsed = await ctx.generate(Sampler.topK(1.0, 40), {maxTokens: 1500}).collectJson({
      schema: JSON.stringify(input.schema),
      parse: (v) => ({wrapped: v})
    });
    ctx.release();
  }

  // Matcher by hand over a regex.
  const m = new Matcher(Grammar.fromRegex('ab'), tk);
  const [vocabIds, pieces] = tk.vocabs();
  const idOf = (text) =>
      vocabIds[pieces.findIndex((p) => Buffer.from(p).toString('latin1') === text)];
  const a = [idOf('a')];
  r.matcher = {aId: a[0], bId: idOf('b'), zId: idOf('z')};
  const mask0 = m.nextTokenLogitMask();
  const allowed0 = Array.from(brle.allowed(mask0));
  Object.assign(r.matcher, {
    allowsA: allowed0.includes(a.at(-1)),
    allowedCount: allowed0.length,
    acceptedBad: m.acceptTokens([idOf('z')]),
    acceptedA: m.acceptTokens(a),
    terminatedAfterA: m.isTerminated(),
  });
  m.acceptTokens([idOf('b')]);
  r.matcher.afterB = {
    terminated: m.isTerminated(),
    state: m.state(),
    mask: Array.from(m.nextTokenLogitMask())
  };
  m.rollback(1);
  r.matcher.afterRollback = m.state();
  m.acceptTokens([idOf('b')]);
  r.matcher.acceptedStop = m.acceptTokens(model.stopTokens.subarray(0, 1));
  r.matcher.terminatedAfterStop = m.isTerminated();
  m.reset();
  r.matcher.afterReset = m.isTerminated();
  r.matcher.maskAfterReset = Array.from(m.nextTokenLogitMask());
  r.matcher.mask0 = Array.from(mask0);
  m.free();
  // Any JSON, walked by hand: '{' '}' is a whole value, '}' cannot start one.
  const json = GrammarConstraint.json(model).matcher;
  r.anyJsonMatcher = {
    refused: json.acceptTokens([idOf('}')]),
    accepted: json.acceptTokens([idOf('{'), idOf('}')]),
    state: json.state()
  };
  json.free();
  const gc = GrammarConstraint.json(model);
  r.grammarConstraintStep = Array.from(brle.allowed(gc.step(new Uint32Array()))).length;
  gc.matcher.free();
  r.schemaObjects = [
    GrammarConstraint.fromJsonSchema(input.schema, model),
    GrammarConstraint.fromEbnf('root ::= "x"', model),
    GrammarConstraint.fromGrammar(Grammar.json(), model)
  ].map((c) => {
    c.matcher.free();
    return c instanceof GrammarConstraint;
  });
  return r;
}
