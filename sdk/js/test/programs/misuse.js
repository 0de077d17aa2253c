// Each misuse of the API, with the error it gets (code and message), for misuse.test.mjs.
import {Context, Grammar, Logprob, Matcher, Model, ProtocolError, Sampler} from 'inferlet';

async function outcome(action) {
  try {
    const value = await action();
    return {ok: true, value: value === undefined ? null : value};
  } catch (error) {
    return {
      ok: false,
      protocol: error instanceof ProtocolError,
      code: error.code ?? null,
      message: error.message
    };
  }
}

// Runs `action` on a fork of `ctx` and releases the fork.
async function onFork(ctx, action) {
  const fork = ctx.fork();
  try {
    return await action(fork);
  } finally {
    fork.release();
  }
}

export async function main() {
  const model = Model.load('default');
  const cases = {};
  const live = new Context(model);
  live.append([1, 403, 407]);
  await live.flush();

  const released = new Context(model);
  released.append([1, 403]);
  await released.flush();
  const releasedHandle = released.handle;
  released.release();
  cases.releasedHandle = releasedHandle;
  cases.forwardAfterRelease = await outcome(() => {
    const fwd = released.forward();
    fwd.input([407]);
    return fwd.execute().then(() => 'ran');
  });
  cases.appendAfterRelease = await outcome(() => released.append([407]).flush());
  cases.forkAfterRelease = await outcome(() => released.fork() && 'forked');
  cases.saveAfterRelease = await outcome(() => released.save('misuse-released'));
  cases.infoAfterRelease = await outcome(() => released.info());
  cases.truncateAfterRelease = await outcome(() => released.truncate(1));
  cases.releaseTwice = await outcome(() => released.release());

  cases.appendOutOfRange =
      await outcome(() => onFork(live, (ctx) => ctx.append([model.vocabSize]).flush()));
  cases.forwardOutOfRange = await outcome(() => {
    const fwd = live.forward();  // refused before it runs: live stays as it was
    fwd.input([model.vocabSize + 7]);
    return fwd.execute().then(() => 'ran');
  });
  cases.decodeOutOfRange = await outcome(() => model.tokenizer().decode([model.vocabSize]));
  cases.logprobOutOfRange = await outcome(() => onFork(live, (ctx) => {
                                            const fwd = ctx.forward();
                                            fwd.probe(0, Logprob(model.vocabSize));
                                            return fwd.execute().then(() => 'ran');
                                          }));
  cases.sampleRowOutOfRange = await outcome(() => onFork(live, (ctx) => {
                                              const fwd = ctx.forward();
                                              fwd.input([261]);
                                              fwd.sample([3], Sampler.argmax());
                                              return fwd.execute().then(() => 'ran');
                                            }));
  cases.maskPastVocabulary = await outcome(() => onFork(live, (ctx) => {
                                             const fwd = ctx.forward();
                                             fwd.mask([0, model.vocabSize + 1]);
                                             fwd.sample([0], Sampler.argmax());
                                             return fwd.execute().then(() => 'ran');
                                           }));
  cases.wrongPositions = await outcome(() => onFork(live, (ctx) => {
                                         const fwd = ctx.forward();
                                         fwd.inputAt([261], [ctx.seqLen + 2]);
                                         return fwd.execute().then(() => 'ran');
                                       }));
  cases.positionsBehind = await outcome(() => onFork(live, (ctx) => {
                                          const fwd = ctx.forward();
                                          fwd.inputAt([261, 378], [1, 2]);
                                          return fwd.execute().then(() => 'ran');
                                        }));
  cases.rightPositions = await outcome(() => onFork(live, (ctx) => {
                                         const fwd = ctx.forward();
                                         fwd.inputAt([261, 378], [ctx.seqLen, ctx.seqLen + 1]);
                                         return fwd.execute().then((out) => out.raw.length);
                                       }));
  cases.truncatePastLength =
      await outcome(() => onFork(live, (ctx) => ctx.truncate(live.seqLen + 5)));
  cases.openUnknown = await outcome(() => Context.open(model, 'no-such-snapshot') === undefined);
  cases.takeUnknown = await outcome(() => Context.take(model, 'no-such-snapshot') === undefined);
  cases.deleteUnknown = await outcome(() => Context.delete(model, 'no-such-snapshot'));
  cases.badRegex =
      await outcome(() => new Matcher(Grammar.fromRegex('(unclosed'), model.tokenizer()));
  cases.unknownModel = await outcome(() => Model.load('no-such-model'));
  // attentionMask: one BRLE per input token over positions 0..own (live has 3 tokens).
  const masked = (masks) => onFork(live, (ctx) => {
    const fwd = ctx.forward();
    fwd.input([261, 378]);
    fwd.attentionMask(masks);
    return fwd.execute().then((out) => out.raw.length);
  });
  cases.attentionMaskFuture = await outcome(() => masked([[0, 5], null]));
  cases.attentionMaskPastContext = await outcome(() => masked([null, [0, 6]]));
  cases.attentionMaskHidesAll = await outcome(() => masked([null, [5]]));
  cases.attentionMaskNegativeRun = await outcome(() => masked([[-1, 2], null]));
  cases.attentionMaskCount = await outcome(() => masked([null]));
  cases.attentionMaskNotArray = await outcome(() => masked(7));
  cases.attentionMaskRight = await outcome(() => masked([[2, 2], [0, 1, 3, 1]]));
  cases.liveStillWorks = await outcome(
      () => onFork(live, (ctx) => ctx.forward().execute().then((out) => out.raw.length)));
  live.release();
  return cases;
}
