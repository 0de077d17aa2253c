// Every program of examples/programs runs on stories260K and shows what it claims.
import assert from 'node:assert/strict';
import path from 'node:path';
import {describe, it} from 'node:test';

import {examplesDir, programValue} from './harness.mjs';

const example = (name) => path.join(examplesDir, name);

describe('examples/programs', () => {
  it('best_of_n.js returns the candidate with the best mean log-probability', async () => {
    const r = await programValue(
        example('best_of_n.js'),
        {input: {prompt: 'Once upon a time', n: 4, maxTokens: 16}, seed: 3});
    assert.equal(r.candidates.length, 4);
    for (const c of r.candidates) {
      assert.ok(c.tokens.length > 0 && c.tokens.length <= 16);
      assert.ok(c.logprob < 0 && Math.abs(c.meanLogprob - c.logprob / c.tokens.length) < 1e-9);
    }
    const best = Math.max(...r.candidates.map((c) => c.meanLogprob));
    assert.equal(r.best, r.candidates.find((c) => c.meanLogprob === best).text);
  });

  it('beam_search.js keeps the most probable beams, best first', async () => {
    const r = await programValue(
        example('beam_search.js'), {input: {prompt: 'Once upon a time', width: 3, steps: 8}});
    assert.equal(r.beams.length, 3);
    for (let i = 1; i < r.beams.length; i++)
      assert.ok(r.beams[i - 1].logprob >= r.beams[i].logprob);
    const keys = new Set(r.beams.map((b) => b.tokens.join()));
    assert.equal(keys.size, 3, 'beams are distinct');
    for (const beam of r.beams)
      assert.ok(beam.tokens.length >= 1 && beam.tokens.length <= 8 && beam.logprob < 0);
  });

  it('tree_of_thought.js branches through snapshots and takes the best leaf', async () => {
    const r = await programValue(
        example('tree_of_thought.js'), {input: {prompt: 'Once upon a time'}, seed: 9});
    assert.equal(r.levels.length, 2);
    assert.equal(r.levels[0].length, 3);
    assert.equal(r.levels[1].length, 2 * 3);
    for (const level of r.levels) {
      for (let i = 1; i < level.length; i++) assert.ok(level[i - 1].score >= level[i].score);
    }
    assert.equal(r.best, r.levels[1][0].text);
    assert.equal(r.snapshotGone, true, 'take removed the snapshot');
  });

  it('json_extraction.js returns JSON that fits its schema', async () => {
    for (const seed of [1, 2]) {
      const r = await programValue(example('json_extraction.js'), {seed});
      assert.equal(r.stopReason, 'stop');
      assert.deepEqual(Object.keys(r.value).sort(), ['age', 'name']);
      assert.equal(typeof r.value.name, 'string');
      assert.ok(r.value.name.length >= 1 && r.value.name.length <= 10);
      assert.ok(Number.isInteger(r.value.age) && r.value.age >= 0 && r.value.age <= 120);
    }
  });

  it('ngram_speculator.js equals plain greedy decoding in fewer passes', async () => {
    const r = await programValue(
        example('ngram_speculator.js'), {input: {prompt: 'Once upon a time', maxTokens: 80}});
    assert.equal(r.identical, true);
    assert.equal(r.text, r.plainText);
    assert.equal(r.plainPasses, r.tokens.length);
    assert.ok(r.drafted > 0, 'the speculator drafted');
    assert.ok(r.passes < r.plainPasses, `${r.passes} passes against ${r.plainPasses}`);
  });

  it('agent_tool.js appends the tool result mid-generation', async () => {
    const r = await programValue(
        example('agent_tool.js'), {input: {prompt: 'Once upon a time', maxTokens: 80}});
    assert.ok(r.calls.length >= 1, 'the tool was called');
    for (const call of r.calls) {
      assert.ok(r.transcript.includes(call.appended.trim()), `${call.appended} in the context`);
    }
    const first = r.calls[0];
    const words = (r.prompt + r.transcript.slice(0, r.transcript.indexOf(first.appended.trim())))
                      .trim()
                      .split(/\s+/)
                      .length;
    assert.equal(Number(first.result), words, 'the tool counted the words before it');
    const after = r.transcript.slice(
        r.transcript.indexOf(first.appended.trim()) + first.appended.trim().length);
    assert.ok(after.trim().length > 0, 'generation continued after the tool result');
  });

  it('shared_prefix.js runs parallel branches on the pages of one prefix', async () => {
    const r = await programValue(example('shared_prefix.js'), {input: {branches: 4}});
    assert.equal(r.branches.length, 4);
    const fullPages = Math.floor(r.prefix.tokens / r.pageSize);
    assert.ok(fullPages >= 1, 'the prefix fills at least one page');
    for (const b of r.branches) {
      assert.ok(b.tokens > r.prefix.tokens);
      assert.equal(b.pages, Math.ceil(b.tokens / r.pageSize));
      assert.ok(b.text.length > 0);
      assert.equal(b.sharedPages, fullPages);
    }
    assert.ok(r.pagesWithSharing < r.pagesWithoutSharing);
  });
});
