// Parallel branches of one prefix: every branch is a fork of the prefix's context, so the
// prefix's full KV pages are held once and shared; the branches' passes, awaited together,
// run in the same model calls. Returns the page counts from context_info.
//
//   weft program run examples/programs/shared_prefix.js --input '{"branches": 4}'
import {Context, Model, Sampler} from 'inferlet';

export async function main(input) {
  const prefixText = input?.prefix ??
      'Once upon a time, there was a little girl named Lily. She loved to play outside in the sun. ' +
          'One day, she saw a big red ball in the park.';
  const endings = input?.endings ?? [' She', ' Her mom', ' The ball', ' Then'];
  const branches = endings.slice(0, input?.branches ?? endings.length);
  const model = Model.load('default');

  const prefix = new Context(model);
  prefix.appendText(prefixText);
  await prefix.flush();
  const prefixInfo = prefix.info();

  const forks = branches.map((ending) => prefix.fork().appendText(ending));
  const texts = await Promise.all(forks.map(
      (ctx) => ctx.generate(Sampler.argmax(), {maxTokens: input?.maxTokens ?? 16}).collectText()));
  for (const ctx of forks) await ctx.flush();
  const branchInfo = forks.map((ctx) => ctx.info());

  // context_fork shares the full pages and copies at most the partly filled last one
  // (docs/programs.md), so each branch holds the prefix's full pages in common with it.
  const prefixFullPages = Math.floor(prefixInfo.length / prefixInfo.pageSize);
  const result = {
    pageSize: prefixInfo.pageSize,
    prefix: {tokens: prefixInfo.length, pages: prefixInfo.pages, fullPages: prefixFullPages},
    branches: branches.map(
        (ending, i) => ({
          ending,
          text: texts[i],
          tokens: branchInfo[i].length,
          pages: branchInfo[i].pages,
          sharedPages: prefixFullPages,
          // What the host reports as shared, when it does (context_info's shared_pages).
          hostSharedPages: branchInfo[i].sharedPages ?? null,
        })),
  };
  // Pages the prefix and the branches span, counted per context, against the distinct pages
  // they hold with the prefix's full pages held once.
  result.pagesWithoutSharing =
      prefixInfo.pages + branchInfo.reduce((sum, info) => sum + info.pages, 0);
  result.pagesWithSharing = result.pagesWithoutSharing - branchInfo.length * prefixFullPages;
  for (const ctx of forks) ctx.release();
  prefix.release();
  return result;
}
