// Tree-of-thought style branching with snapshots: the prompt is saved once; each level opens
// the kept nodes' snapshots, samples a few "thoughts" from each, scores them by mean
// log-probability, keeps the best as new snapshots and deletes the rest. The best leaf is
// taken (the snapshot becomes its context) and continued.
//
//   weft program run examples/programs/tree_of_thought.js --input '{"prompt": "Once upon a time"}'
import {Context, Logits, Model, Sampler} from 'inferlet';

function logSoftmaxAt(logits, token) {
  let max = -Infinity;
  for (const value of logits) max = Math.max(max, value);
  let sum = 0;
  for (const value of logits) sum += Math.exp(value - max);
  return logits[token] - max - Math.log(sum);
}

// Samples one thought; its score is the mean log-probability of its tokens (a Logits probe at
// the sampled row of every step).
async function think(ctx, maxTokens) {
  const g = ctx.generate(Sampler.topK(1.0, 8), {maxTokens});
  const logits = g.probeEachStep(0, Logits());
  let total = 0;
  const tokens = [];
  for await (const step of g) {
    const out = await step.execute();
    for (const token of out.tokens) {
      total += logSoftmaxAt(out.logitValues(logits), token);
      tokens.push(token);
    }
  }
  return {tokens, score: tokens.length ? total / tokens.length : -Infinity};
}

export async function main(input) {
  const prompt = input?.prompt ?? 'Once upon a time';
  const branching = input?.branching ?? 3;
  const keep = input?.keep ?? 2;
  const depth = input?.depth ?? 2;
  const thoughtTokens = input?.thoughtTokens ?? 8;
  const model = Model.load('default');
  const tokenizer = model.tokenizer();

  const root = new Context(model);
  root.appendText(prompt);
  await root.flush();
  let frontier = [{snapshot: root.snapshot(), tokens: [], text: '', score: 0}];
  root.release();

  const levels = [];
  for (let level = 0; level < depth; level++) {
    const children = [];
    for (const node of frontier) {
      for (let i = 0; i < branching; i++) {
        const ctx = Context.open(model, node.snapshot);
        const thought = await think(ctx, thoughtTokens);
        await ctx.flush();  // the thought's last token
        children.push({
          snapshot: ctx.snapshot(),
          tokens: [...node.tokens, ...thought.tokens],
          // Decoded whole: a SentencePiece decode drops the first token's leading space.
          text: tokenizer.decode([...node.tokens, ...thought.tokens]),
          score: thought.score
        });
        ctx.release();
      }
      Context.delete(model, node.snapshot);
    }
    children.sort((a, b) => b.score - a.score);
    for (const dropped of children.slice(keep)) Context.delete(model, dropped.snapshot);
    frontier = children.slice(0, keep);
    levels.push(children.map(({text, score}) => ({text, score})));
  }

  const [best, ...others] = frontier;
  for (const node of others) Context.delete(model, node.snapshot);
  const leaf = Context.take(model, best.snapshot);
  const ending = await leaf.generate(Sampler.argmax(), {maxTokens: thoughtTokens}).collectText();
  leaf.release();
  return {
    prompt,
    levels,
    best: best.text,
    ending,
    snapshotGone: Context.open(model, best.snapshot) === undefined
  };
}
