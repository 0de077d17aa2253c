// Times a program's own generation loop: `steps` greedy steps through the Generator (one
// round trip per step), the same through raw Forward passes, and a round trip alone. bench/program_overhead.sh
// compares the per-step time with `weft bench`'s built-in generation on the same model.
import {Context, Forward, Model, Sampler} from 'inferlet';

async function timeGenerator(model, prompt, steps) {
  const ctx = new Context(model);
  ctx.append(prompt);
  await ctx.flush();
  const g = ctx.generate(Sampler.argmax(), {maxTokens: steps, stop: [], autoFlush: false});
  const start = performance.now();
  const tokens = await g.collectTokens();
  const elapsed = performance.now() - start;
  ctx.release();
  return {tokens: tokens.length, usPerStep: (elapsed * 1000) / tokens.length};
}

async function timeForward(model, prompt, steps) {
  const ctx = new Context(model);
  ctx.append(prompt);
  await ctx.flush();
  let next = undefined;
  const start = performance.now();
  for (let i = 0; i < steps; ++i) {
    const fwd = ctx.forward();
    if (next !== undefined) fwd.input([next]);
    const h = fwd.sample([0], Sampler.argmax());
    next = (await fwd.execute()).token(h);
  }
  const elapsed = performance.now() - start;
  ctx.release();
  return {tokens: steps, usPerStep: (elapsed * 1000) / steps};
}

// A pass with no input samples from the logits the context already has: no model call, so
// its time is what the program protocol, the SDK and the sampler cost per step.
async function timeRoundTrip(model, prompt, steps) {
  const ctx = new Context(model);
  ctx.append(prompt);
  await ctx.flush();
  const start = performance.now();
  for (let i = 0; i < steps; ++i) {
    const fwd = ctx.forward();
    const h = fwd.sample([0], Sampler.argmax());
    (await fwd.execute()).token(h);
  }
  const elapsed = performance.now() - start;
  ctx.release();
  return {tokens: steps, usPerStep: (elapsed * 1000) / steps};
}

export async function main(input) {
  const model = Model.load('default');
  const steps = input.steps ?? 64;
  const prompt = model.tokenizer().encode(input.prompt ?? 'Once upon a time');
  // Warm-up: pages, grammar-free paths, and V8's optimising compiler, which on this path
  // needs about 2,000 round trips before the loop runs at its steady cost (the first ones
  // cost about twice as much).
  await timeGenerator(model, prompt, 8);
  const coldRoundTrip = await timeRoundTrip(model, prompt, 1000);
  await timeRoundTrip(model, prompt, 2000);
  return {
    generator: await timeGenerator(model, prompt, steps),
    forward: await timeForward(model, prompt, steps),
    roundTrip: await timeRoundTrip(model, prompt, 2000),
    coldRoundTrip,
  };
}
