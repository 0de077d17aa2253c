// A typed program: `tsc --noEmit` over it checks index.d.ts against the reference API's use,
// `using` included (TypeScript >= 5.2).
import {anyJson, chat, Context, Distribution, Entropy, Generator, GenStep, Grammar, GrammarConstraint, jsonSchema, Logits, Logprob, Logprobs, Matcher, messaging, Model, reasoning, runtime, Sampler, session, tools, type Constraint, type Speculator,} from 'inferlet';

class EvenOnly implements Constraint {
  step(accepted: Uint32Array): Uint32Array {
    return accepted.length > 1000 ? new Uint32Array() : Uint32Array.from([1, 1]);
  }
}

class NoDrafts implements Speculator {
  draft(): [Uint32Array, Uint32Array] { return [new Uint32Array(), new Uint32Array()]; }
  accept(tokens: Uint32Array|number[]): void {}
  rollback(n: number): void {}
  reset(): void {}
}

export async function main(input: {prompt: string}): Promise<{text: string; best: number}> {
  const names: string[] = runtime.models();
  const model = Model.load(names[0] ?? 'default');
  const tk = model.tokenizer();
  const ids: Uint32Array = tk.encode(input.prompt);
  using ctx = new Context(model);
  ctx.append(ids).appendText(' and');
  await ctx.flush();
  {
    using branch = ctx.fork();
    const fwd = branch.forward();
    fwd.input([1, 2]).attentionMask([null, new Uint32Array([0, branch.seqLen + 2])]);
    const h = fwd.sample([1], Sampler.topKTopP(0.7, 20, 0.9));
    const p = fwd.probe(1, Distribution(1, 5));
    const l = fwd.probe(1, Logits());
    const out = await fwd.execute();
    const token: number|undefined = out.token(h);
    const dist = out.distribution(p);
    const bytes: Uint8Array|undefined = out.logits(l);
    void token, dist, bytes;
  }
  const g: Generator = ctx.generate(
      Sampler.topP(0.6, 0.95),
      {maxTokens: 8, constrain: [new EvenOnly()], speculator: new NoDrafts()});
  const entropy = g.probeEachStep(0, Entropy());
  for await (const step of g) {
    const s: GenStep = step.clearSampler();
    const lp = s.probe(0, Logprobs([1, 2]));
    const out = await s.execute();
    const e: number|undefined = out.entropy(entropy);
    const values: Float32Array|undefined = out.logprobs(lp);
    g.accept([e !== undefined && values ? 3 : 4]);
  }
  const json =
      await ctx.generate(Sampler.argmax()).collectJson<{a: number}>({schema: '{"type":"object"}'});
  using m = new Matcher(Grammar.fromRegex('[a-z]+'), tk);
  const c = new GrammarConstraint(m);
  const text = await ctx.generate(Sampler.argmax(), {constrain: [c, jsonSchema('{}'), anyJson()]})
                   .collectText();
  const ev = new chat.Decoder(model).feed(ids);
  if (ev.type === 'delta') session.send(ev.text);
  new reasoning.Decoder(model).feed(ids);
  new tools.Decoder(model).feed(ids);
  using sub = messaging.subscribe('news');
  messaging.broadcast('news', 'hi');
  for await (const message of sub) {
    if (message.length > 0) break;
  }
  void Logprob(1), GrammarConstraint.json(model);
  return {text, best: json.a};
}
