// Beam search: keep the `width` most probable continuations, extending each by its `width`
// most probable next tokens (a Distribution probe) every step. The beams' passes of a step
// are awaited together, so weft computes them in one model call.
//
//   weft program run examples/programs/beam_search.js --input '{"prompt": "Once upon a time",
//   "width": 3}'
import {Context, Distribution, Model} from 'inferlet';

export async function main(input) {
  const prompt = input?.prompt ?? 'Once upon a time';
  const width = input?.width ?? 3;
  const steps = input?.steps ?? 12;
  const model = Model.load('default');
  const stops = new Set(model.stopTokens);

  const root = new Context(model);
  root.appendText(prompt);
  await root.flush();
  // A beam's context holds its tokens but the newest, which its next pass feeds.
  let beams = [{ctx: root, pending: [], tokens: [], logprob: 0, done: false}];

  for (let step = 0; step < steps && beams.some((b) => !b.done); step++) {
    const expansions = await Promise.all(beams.map(async (beam) => {
      if (beam.done) return [{beam, token: null, logprob: beam.logprob}];
      const fwd = beam.ctx.forward();
      fwd.input(beam.pending);
      const h = fwd.probe(0, Distribution(1, width));
      const [ids, probs] = (await fwd.execute()).distribution(h);
      return Array.from(
          ids, (token, i) => ({beam, token, logprob: beam.logprob + Math.log(probs[i])}));
    }));
    const chosen = expansions.flat().sort((a, b) => b.logprob - a.logprob).slice(0, width);
    const next = chosen.map(({beam, token, logprob}) => {
      if (token === null) return {...beam, ctx: beam.ctx.fork()};
      return {
        ctx: beam.ctx.fork(),
        pending: [token],
        tokens: [...beam.tokens, token],
        logprob,
        done: stops.has(token)
      };
    });
    for (const beam of beams) beam.ctx.release();
    beams = next;
  }
  const tokenizer = model.tokenizer();
  const result = beams.map((b) => ({
                             text: tokenizer.decode(b.tokens.filter((t) => !stops.has(t))),
                             tokens: b.tokens,
                             logprob: b.logprob,
                           }));
  for (const beam of beams) beam.ctx.release();
  return {prompt, beams: result};
}
