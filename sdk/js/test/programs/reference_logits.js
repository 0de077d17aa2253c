// Logits probes at the prompt's rows, and greedy decoding step by step with raw Forward
// passes (one token per pass), for exactness.test.mjs to compare with llama2.c and `weft run`.
import {Context, Logits, Model, Sampler} from 'inferlet';

export async function main(input) {
  const model = Model.load('default');
  const ctx = new Context(model);
  const fwd = ctx.forward();
  fwd.input(input.promptTokens);
  const probes = input.promptTokens.map((_, row) => fwd.probe(row, Logits()));
  let h = fwd.sample([input.promptTokens.length - 1], Sampler.argmax());
  let out = await fwd.execute();
  const logits = probes.map((p) => {
    const values = out.logitValues(p);
    let argmax = 0;
    for (let i = 1; i < values.length; i++)
      if (values[i] > values[argmax]) argmax = i;
    return {
      first8: Array.from(values.slice(0, 8)),
      argmax,
      max: values[argmax],
      bytes: out.logits(p).length
    };
  });
  const generated = [];
  const stops = new Set(model.stopTokens);
  for (let step = 0; step < input.maxTokens; step++) {
    const token = out.token(h);
    if (stops.has(token)) break;
    generated.push(token);
    if (ctx.seqLen + 1 >= model.contextLength) break;
    const next = ctx.forward();
    if (next.startPosition() !== ctx.seqLen)
      throw new Error('startPosition is not the context length');
    next.input([token]);
    h = next.sample([0], Sampler.argmax());
    out = await next.execute();
  }
  return {logits, generated, text: model.tokenizer().decode(generated), vocabSize: model.vocabSize};
}
