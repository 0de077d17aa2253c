// A program's round trip with no model call, cold and warm: `forward` passes without input
// (argmax of the logits a context already has) through the SDK (Context.forward) and through
// the bare transport (request('forward', …)), in blocks of `batches` × `n`; each block's
// median and best batch in µs per pass. The first SDK block runs before V8 has optimised the
// path (cold); the later ones show its steady cost.
//
//   weft program run bench/programs/round_trip.js --model M [--input '{"n":200,"batches":10}']
import {Context, Model, Sampler} from 'inferlet';

import {call, request} from '../../sdk/js/src/transport.js';

function summary(batches) {
  batches.sort((a, b) => a - b);
  return {median: batches[batches.length >> 1], best: batches[0]};
}

async function block(pass, n, batches) {
  const times = [];
  for (let b = 0; b < batches; ++b) {
    const start = performance.now();
    for (let i = 0; i < n; ++i) await pass();
    times.push(((performance.now() - start) * 1000) / n);
  }
  return summary(times);
}

export async function main(input) {
  const model = Model.load('default');
  const n = input.n ?? 200;
  const batches = input.batches ?? 10;
  const prompt = model.tokenizer().encode(input.prompt ?? 'Once upon a time');
  const ctx = new Context(model);
  ctx.append(prompt);
  await ctx.flush();
  const {context} = call('context_new', {});
  await request('context_append', {context, tokens: Array.from(prompt)});
  const argmax = Sampler.argmax();
  const sdk = async () => {
    const fwd = ctx.forward();
    const h = fwd.sample([0], argmax);
    (await fwd.execute()).token(h);
  };
  const bare = () =>
      request('forward', {context, tokens: [], samplers: [{rows: [0], sampler: {kind: 'argmax'}}]});
  const cold = await block(sdk, n, batches);
  await block(bare, n, batches);
  return {
    sdkCold: cold,
    sdk: await block(sdk, n, batches),
    transport: await block(bare, n, batches),
  };
}
