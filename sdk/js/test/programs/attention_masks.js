// Forward.attentionMask through the protocol, for sdk.test.mjs: the Logits of each row as
// base64 bytes, of passes with masks and of the passes without masks that must give the same.
import {Context, Logits, Model} from 'inferlet';

const base64 = (bytes) => Buffer.from(bytes).toString('base64');

// One pass of `tokens` on `ctx` with `masks` (or none); every row's logits.
async function rowLogits(ctx, tokens, masks) {
  const fwd = ctx.forward();
  fwd.input(tokens);
  const probes = tokens.map((_, row) => fwd.probe(row, Logits()));
  if (masks) fwd.attentionMask(masks);
  const out = await fwd.execute();
  return probes.map((probe) => base64(out.logits(probe)));
}

export async function main(input) {
  const model = Model.load('default');
  const base = new Context(model);
  base.append(input.promptTokens);
  await base.flush();
  const start = base.seqLen;
  const added = input.added;

  // Masks equal to the causal ones (one allowed run over 0..own), one row left null.
  const causal = added.map((_, i) => (i === 1 ? null : [0, start + i + 1]));
  const plain = base.fork();
  const masked = base.fork();
  const plainLogits = await rowLogits(plain, added, null);
  const causalMaskLogits = await rowLogits(masked, added, causal);

  // Each token seeing only itself (hidden run over 0..own-1, then one allowed), one per pass,
  // and the same token alone in a new context.
  const selfOnly = base.fork();
  const selfOnlyLogits = [];
  const aloneLogits = [];
  for (const token of added) {
    selfOnlyLogits.push((await rowLogits(selfOnly, [token], [[selfOnly.seqLen, 1]]))[0]);
    const alone = new Context(model);
    aloneLogits.push((await rowLogits(alone, [token], null))[0]);
    alone.release();
  }
  // Hiding the prompt but BOS: not the causal logits.
  const hidden = base.fork();
  const hiddenLogits =
      await rowLogits(hidden, added, added.map((_, i) => [0, 1, start - 1, i + 1]));
  for (const ctx of [plain, masked, selfOnly, hidden, base]) ctx.release();
  return {plainLogits, causalMaskLogits, selfOnlyLogits, aloneLogits, hiddenLogits};
}
