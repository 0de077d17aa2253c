// Greedy decoding step by step with raw Forward passes (the prompt in one pass, then one
// token per pass), with Logits probes at positions 0..3 (prompt rows, then the first steps),
// for exactness.test.mjs to compare with llama2.c and `weft run`.
import {Context, Logits, Model, Sampler} from 'inferlet';

function summary(values) {
  let argmax = 0;
  for (let i = 1; i < values.length; i++)
    if (values[i] > values[argmax]) argmax = i;
  return {first8: Array.from(values.slice(0, 8)), argmax, max: values[argmax]};
}

export async function main(input) {
  const logitPositions = 4;
  const model = Model.load('default');
  const ctx = new Context(model);
  const fwd = ctx.forward();
  fwd.input(input.promptTokens);
  const rows =
      input.promptTokens.slice(0, logitPositions).map((_, row) => fwd.probe(row, Logits()));
  let h = fwd.sample([input.promptTokens.length - 1], Sampler.argmax());
  let out = await fwd.execute();
  const logits = rows.map((p) => ({...summary(out.logitValues(p)), bytes: out.logits(p).length}));
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
    const probe = ctx.seqLen < logitPositions ? next.probe(0, Logits()) : null;
    out = await next.execute();
    if (probe) logits.push({...summary(out.logitValues(probe)), bytes: out.logits(probe).length});
  }
  return {logits, generated, text: model.tokenizer().decode(generated), vocabSize: model.vocabSize};
}
