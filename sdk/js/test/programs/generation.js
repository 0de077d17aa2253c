// Generator, Forward, Output, samplers and probes, for sdk.test.mjs.
import {Context, Distribution, Entropy, Forward, Generator, GenStep, Logits, Logprob, Logprobs, Model, Output, Sampler} from 'inferlet';

async function freshContext(model, prompt) {
  const ctx = new Context(model);
  ctx.append(prompt);
  await ctx.flush();
  return ctx;
}

export async function main(input) {
  const model = Model.load('default');
  const r = {};
  const prompt = input.prompt;

  // Collectors and options.
  let ctx = await freshContext(model, prompt);
  const g = ctx.generate(Sampler.argmax(), {maxTokens: 12});
  r.generatorIsGenerator = g instanceof Generator;
  r.before = {tokensGenerated: g.tokensGenerated, isDone: g.isDone};
  r.greedy = Array.from(await g.collectTokens());
  r.after = {
    tokensGenerated: g.tokensGenerated,
    isDone: g.isDone,
    stopReason: g.stopReason,
    seqLen: ctx.seqLen,
    buffer: Array.from(ctx.buffer())
  };
  ctx.release();

  ctx = await freshContext(model, prompt);
  r.greedyText = await ctx.generate(Sampler.argmax(), {maxTokens: 12}).collectText();
  ctx.release();

  // Builders: maxTokens, stop (replace), addStop.
  ctx = await freshContext(model, prompt);
  r.stopAtThird = Array.from(
      await ctx.generate(Sampler.argmax()).maxTokens(20).stop([r.greedy[2]]).collectTokens());
  ctx.release();
  ctx = await freshContext(model, prompt);
  const g2 = ctx.generate(Sampler.argmax(), {maxTokens: 20}).addStop([r.greedy[4]]).horizon(8);
  r.addStop = {tokens: Array.from(await g2.collectTokens()), stopReason: g2.stopReason};
  ctx.release();

  // Iteration with probes, clearSampler + accept.
  ctx = await freshContext(model, prompt);
  const g3 = ctx.generate(Sampler.argmax(), {maxTokens: 4});
  const entropyEach = g3.probeEachStep(0, Entropy());
  r.steps = [];
  for await (const step of g3) {
    const isStep = step instanceof GenStep;
    const dist = step.probe(0, Distribution(1, 3));
    const out = await step.execute();
    const [ids, probs] = out.distribution(dist);
    r.steps.push({
      isStep,
      tokens: Array.from(out.tokens),
      entropy: out.entropy(entropyEach),
      ids: Array.from(ids),
      probs: Array.from(probs),
      auto: out.token(out.autoSampler),
      isOutput: out instanceof Output
    });
  }
  ctx.release();

  ctx = await freshContext(model, prompt);
  const g4 = ctx.generate(Sampler.argmax(), {maxTokens: 3});
  r.manual = [];
  for await (const step of g4) {
    const out = await step.clearSampler().execute();
    const chosen = r.manual.length === 0 ? input.forcedToken : r.greedy[0];
    r.manual.push({
      autoSampler: out.autoSampler === undefined,
      tokens: Array.from(out.tokens),
      accepted: Array.from(g4.accept([chosen]))
    });
  }
  r.manualContext = Array.from(ctx.info().tokens).concat(Array.from(ctx.buffer()));
  ctx.release();

  // Raw Forward: every sampler kind, multi-row samplers, every probe kind.
  ctx = await freshContext(model, prompt);
  const fwd = ctx.forward();
  r.forwardIsForward = fwd instanceof Forward;
  r.startPosition = fwd.startPosition();
  fwd.input(input.continuation);
  const rows = input.continuation.map((_, i) => i);
  const last = rows.length - 1;
  const handles = {
    argmax: fwd.sample(rows, Sampler.argmax()),
    topP: fwd.sample([last], Sampler.topP(0.8, 0.9)),
    topK1: fwd.sample([last], Sampler.topK(1.0, 1)),
    minP: fwd.sample([last], Sampler.minP(1.0, 0.05)),
    topKTopP: fwd.sample([last], Sampler.topKTopP(0.7, 5, 0.9)),
    multinomial: fwd.sample([last], Sampler.multinomial(1.0, 5)),
    seeded: fwd.sample([last], Sampler.topK(1.0, 50).withSeed(7)),
    seededAgain: fwd.sample([last], Sampler.topK(1.0, 50).withSeed(7)),
    masked: null,
  };
  const probes = {
    logits: fwd.probe(last, Logits()),
    distribution: fwd.probe(last, Distribution(1, 0)),
    top5: fwd.probe(last, Distribution(0.5, 5)),
    logprob: fwd.probe(last, Logprob(input.continuation[0])),
    logprobs: fwd.probe(last, Logprobs(input.continuation)),
    entropy: fwd.probe(last, Entropy()),
  };
  const out = await fwd.execute();
  r.forward = {
    length: out.raw.length,
    tokensEmpty: out.tokens.length === 0 && out.autoSampler === undefined,
    argmaxRows: Array.from(out.tokensAt(handles.argmax)),
    argmaxToken: out.token(handles.argmax),
    topP: out.token(handles.topP),
    topK1: out.token(handles.topK1),
    minP: out.token(handles.minP),
    topKTopP: out.token(handles.topKTopP),
    multinomial: Array.from(out.tokensAt(handles.multinomial)),
    seeded: [out.token(handles.seeded), out.token(handles.seededAgain)],
    logits: Array.from(out.logitValues(probes.logits)),
    logitsBytes: out.logits(probes.logits).length,
    distribution: out.distribution(probes.distribution).map((a) => Array.from(a)),
    top5: out.distribution(probes.top5).map((a) => Array.from(a)),
    logprob: Array.from(out.logprobs(probes.logprob)),
    logprobs: Array.from(out.logprobs(probes.logprobs)),
    entropy: out.entropy(probes.entropy),
    wrongKind: out.entropy(probes.logits) === undefined,
  };
  // A mask allowing a few ids only.
  const masked = ctx.forward();
  masked.mask(input.maskRuns);
  const hm = masked.sample([0], Sampler.topK(1.0, 100));
  const hmArgmax = masked.sample([0], Sampler.argmax());
  const mo = await masked.execute();
  r.masked = [mo.token(hm), mo.token(hmArgmax)];
  ctx.release();

  // A static logitMask in generate.
  ctx = await freshContext(model, prompt);
  r.logitMask = Array.from(
      await ctx.generate(Sampler.topK(1.0, 50), {maxTokens: 6, logitMask: input.maskRuns})
          .collectTokens());
  ctx.release();

  // systemSpeculation gives the tokens of plain greedy decoding.
  ctx = await freshContext(model, prompt);
  const spec = ctx.generate(Sampler.argmax(), {maxTokens: 40, systemSpeculation: true});
  let specSteps = 0;
  const specTokens = [];
  for await (const step of spec) {
    specTokens.push(...(await step.execute()).tokens);
    specSteps++;
  }
  ctx.release();
  ctx = await freshContext(model, prompt);
  const plain = Array.from(await ctx.generate(Sampler.argmax(), {maxTokens: 40}).collectTokens());
  r.speculation =
      {tokens: specTokens, plain, steps: specSteps, contextTokens: ctx.info().tokens.length};
  ctx.release();
  return r;
}
