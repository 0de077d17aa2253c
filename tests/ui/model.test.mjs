// The chat page (/ui) in headless Chromium against the bundled stories260K on the native
// backend: a greedy answer with a large token budget streams in and is stopped mid-way (the
// scheduler cancels the sequence and frees its KV pages), a complete answer shows the
// server's token count and tokens/s, and a reload restores the conversation.
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';

import {startServer, storiesModel} from '../clients/harness.mjs';

import {lastAnswerText, launchBrowser, openPage, readMessages, sendMessage, setSettings, startTogether} from './browser.mjs';

// Greedy stories260K does not stop on its own within this budget, so there is time to stop it.
const kLongBudget = 4000;
const kShortBudget = 16;

let server;
let browser;
let page;

before(async () => {
  [server, browser] = await startTogether([
    startServer({args: ['--backend', 'native', '--model', storiesModel, '--ctx', '4096']}),
    launchBrowser(),
  ]);
  page = await openPage(browser);
  await page.goto(`${server.url}/ui`);
  await page.waitForFunction(
      () => document.getElementById('model').textContent === 'stories260K-f32');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

function cancelledCompletions(log) {
  return [
    ...log.matchAll(
        /path=\/api\/chat status=200 .*completion_tokens=(\d+) .*stop_reason=cancelled/g)
  ].map((match) => Number(match[1]));
}

test('a streamed answer is stopped mid-way and its sequence freed', async () => {
  await setSettings(page, {'temperature': 0, 'max-tokens': kLongBudget});
  await sendMessage(page, 'Once upon a time');
  // Wait for a few pieces, sampling the text to see it grow.
  const seen = [];
  await page.waitForFunction(() => document.querySelector('#messages > article.assistant'));
  const deadline = Date.now() + 20_000;
  while (seen.length < 4) {
    assert.ok(Date.now() < deadline, `the answer did not grow: ${JSON.stringify(seen)}`);
    const text = await lastAnswerText(page);
    if (text !== '' && text !== seen.at(-1)) seen.push(text);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  for (let i = 1; i < seen.length; ++i) assert.ok(seen[i].startsWith(seen[i - 1]), 'growing');
  await page.click('#stop');
  await page.waitForFunction(
      () => document.querySelector('#messages > article:last-child').dataset.state === 'stopped');
  const stoppedText = await lastAnswerText(page);

  // The native scheduler released the sequence: no live sequence, no KV pages but the
  // prefix cache's, and the request logged as cancelled well before its budget.
  await server.waitIdle(10_000);
  const deadlineLog = Date.now() + 5_000;
  while (cancelledCompletions(server.log()).length === 0) {
    assert.ok(Date.now() < deadlineLog, `no cancelled request in the log:\n${server.log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const [completion] = cancelledCompletions(server.log());
  assert.ok(completion > 0 && completion < kLongBudget, `${completion} tokens`);
  assert.equal(await lastAnswerText(page), stoppedText, 'nothing arrives after the stop');
  assert.match((await readMessages(page)).at(-1).meta, /stopped$/);
  assert.deepEqual(page.problems, []);
});

test('a complete answer shows the server\'s token count and tokens/s', async () => {
  await setSettings(page, {'max-tokens': kShortBudget});
  await sendMessage(page, 'Tell me another one');
  await page.waitForFunction(
      () => document.querySelector('#messages > article:last-child').dataset.state === 'done',
      {timeout: 20_000});
  const messages = await readMessages(page);
  assert.equal(messages.length, 4);
  const meta = /^(\d+) tokens · ([\d.]+) tokens\/s · max tokens reached$/.exec(messages[3].meta);
  assert.ok(meta, messages[3].meta);
  assert.equal(Number(meta[1]), kShortBudget);
  assert.ok(Number(meta[2]) > 0);
  assert.notEqual(messages[3].text.trim(), '');
  const logged = /path=\/api\/chat status=200 .*completion_tokens=(\d+) .*stop_reason=length/.exec(
      server.log());
  assert.ok(logged, server.log());
  assert.equal(Number(logged[1]), kShortBudget);
  assert.deepEqual(page.problems, []);
});

test('a reload restores the conversation and the settings', async () => {
  const before = await readMessages(page);
  await page.reload();
  await page.waitForFunction(
      () => document.getElementById('model').textContent === 'stories260K-f32');
  assert.deepEqual(await readMessages(page), before);
  assert.equal(await page.$eval('#max-tokens', (input) => input.value), String(kShortBudget));
  assert.equal(await page.$eval('#temperature', (input) => input.value), '0');
  assert.deepEqual(page.problems, []);
});
