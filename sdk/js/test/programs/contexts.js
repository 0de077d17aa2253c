// Context lifecycle, filling and inspection, for sdk.test.mjs.
import {Context, Model} from 'inferlet';

export async function main(input) {
  const model = Model.load('default');
  const tk = model.tokenizer();
  const r = {};
  const ctx = new Context(model);
  r.fresh = {
    seqLen: ctx.seqLen,
    pageSize: ctx.pageSize,
    modelIsModel: ctx.model === model,
    buffer: Array.from(ctx.buffer())
  };
  const chained = ctx.append(input.prompt).appendText(input.more);
  r.chainReturnsThis = chained === ctx;
  r.buffered = {
    seqLen: ctx.seqLen,
    buffer: Array.from(ctx.buffer()),
    bufferIsUint32: ctx.buffer() instanceof Uint32Array,
    moreTokens: Array.from(tk.encode(input.more))
  };
  const flushed = ctx.flush();
  r.flushIsPromise = flushed instanceof Promise;
  await flushed;
  const info = ctx.info();
  r.flushed = {
    seqLen: ctx.seqLen,
    buffer: Array.from(ctx.buffer()),
    info: {...info, tokens: Array.from(info.tokens)}
  };

  ctx.truncate(2);
  r.truncated = {seqLen: ctx.seqLen, tokens: Array.from(ctx.info().tokens)};
  ctx.append([261, 378]).truncate(1);
  r.truncatedBuffer = {seqLen: ctx.seqLen, buffer: Array.from(ctx.buffer())};
  await ctx.flush();

  const fork = ctx.fork();
  fork.append([432]);
  await fork.flush();
  r.fork = {
    parent: Array.from(ctx.info().tokens),
    child: Array.from(fork.info().tokens),
    distinct: fork.handle !== ctx.handle
  };
  const bufferedFork = fork.append([383]).fork();
  r.forkCopiesBuffer = Array.from(bufferedFork.buffer());
  await fork.flush();
  await bufferedFork.flush();

  ctx.save(input.name);
  const opened = Context.open(model, input.name);
  r.opened = {tokens: Array.from(opened.info().tokens), seqLen: opened.seqLen};
  opened.append([286]);
  await opened.flush();
  const openedAgain = Context.open(model, input.name);
  r.snapshotUnchanged = Array.from(openedAgain.info().tokens);
  const generated = ctx.snapshot();
  r.generatedName =
      typeof generated === 'string' && generated.length > 0 && generated !== input.name;
  const taken = Context.take(model, generated);
  r.taken = {
    tokens: Array.from(taken.info().tokens),
    gone: Context.open(model, generated) === undefined
  };
  Context.delete(model, input.name);
  r.deleted = Context.open(model, input.name) === undefined;
  let saveWithBuffer;
  try {
    ctx.append([5]).save('buffered');
  } catch (error) {
    saveWithBuffer = error.message;
  }
  r.saveWithBuffer = saveWithBuffer ?? null;

  const disposable = new Context(model);
  disposable[Symbol.dispose]();
  r.disposed = {
    released: disposable.released,
    again: (() => {
      disposable[Symbol.dispose]();
      return 'no error';
    })()
  };
  r.symbolDispose = typeof Symbol.dispose === 'symbol';
  for (const c of [ctx, fork, bufferedFork, opened, openedAgain, taken]) c.release();
  r.releasedFlags = [ctx.released, fork.released];
  return r;
}
