// Forked contexts fed different continuations against unforked contexts fed the same tokens:
// the logits after each must be the same.
import {Context, Logits, Model} from 'inferlet';

async function logitsAfter(ctx, tokens) {
  const fwd = ctx.forward();
  fwd.input(tokens);
  const h = fwd.probe(tokens.length - 1, Logits());
  return Array.from((await fwd.execute()).logitValues(h));
}

export async function main(input) {
  const model = Model.load('default');
  const parent = new Context(model);
  parent.append(input.prefix);
  await parent.flush();
  const parentBefore = parent.forward();
  const hb = parentBefore.probe(0, Logits());
  const before = Array.from((await parentBefore.execute()).logitValues(hb));

  const results = [];
  for (const continuation of input.continuations) {
    const branch = parent.fork();
    const forked = await logitsAfter(branch, continuation);
    const fresh = new Context(model);
    const unforked = await logitsAfter(fresh, [...input.prefix, ...continuation]);
    results.push({forked, unforked, branchLength: branch.seqLen, freshLength: fresh.seqLen});
    branch.release();
    fresh.release();
  }
  const parentAfter = parent.forward();
  const ha = parentAfter.probe(0, Logits());
  const after = Array.from((await parentAfter.execute()).logitValues(ha));
  return {results, before, after, parentLength: parent.seqLen};
}
