// Best-of-n: sample n continuations of one prompt on forks of its context, score each by the
// model's log-probability of its tokens, and return the best.
//
//   weft program run examples/programs/best_of_n.js --input '{"prompt": "Once upon a time", "n":
//   4}'
import {Context, Logprobs, Model, Sampler} from 'inferlet';

// Log-probability of `tokens` after `prefix`: one pass over a fork of the prefix without its
// last token, which is fed again so that row i predicts tokens[i].
async function score(prefix, tokens) {
  const scorer = prefix.fork();
  try {
    const last = scorer.info().tokens.at(-1);
    scorer.truncate(1);
    const fwd = scorer.forward();
    fwd.input([last, ...tokens.slice(0, -1)]);
    const probes = tokens.map((token, row) => fwd.probe(row, Logprobs([token])));
    const out = await fwd.execute();
    return probes.reduce((sum, h) => sum + out.logprobs(h)[0], 0);
  } finally {
    scorer.release();
  }
}

export async function main(input) {
  const prompt = input?.prompt ?? 'Once upon a time';
  const n = input?.n ?? 4;
  const maxTokens = input?.maxTokens ?? 24;
  const model = Model.load('default');
  const tokenizer = model.tokenizer();

  const prefix = new Context(model);
  prefix.appendText(prompt);
  await prefix.flush();

  // (With TypeScript >= 5.2, `using branch = prefix.fork()` releases it at the end of scope.)
  const candidates = await Promise.all(Array.from({length: n}, async () => {
    const branch = prefix.fork();
    try {
      const tokens = await branch.generate(Sampler.topP(0.9, 0.95), {maxTokens}).collectTokens();
      if (tokens.length === 0) return {text: '', tokens: [], logprob: 0, meanLogprob: 0};
      const logprob = await score(prefix, Array.from(tokens));
      return {
        text: tokenizer.decode(tokens),
        tokens: Array.from(tokens),
        logprob,
        meanLogprob: logprob / tokens.length
      };
    } finally {
      branch.release();
    }
  }));
  prefix.release();
  const best = candidates.reduce((a, b) => (b.meanLogprob > a.meanLogprob ? b : a));
  return {prompt, best: best.text, candidates};
}
