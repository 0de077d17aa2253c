// The chat page (/ui) in headless Chromium against `weft serve --http --backend stub`: the
// page and its headers, an answer streamed in piece by piece with its tokens/s, the stop
// button cancelling the generation on the server, the conversation surviving a reload and
// cleared by "New chat", and a stored conversation read back as untrusted data.
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';

import {startServer, stubText, stubWords} from '../clients/harness.mjs';

import {lastAnswerText, launchBrowser, openPage, readMessages, sendMessage, startTogether, watchStreaming} from './browser.mjs';

// 150 ms a word: the canned answer takes about 4.5 s, long enough to watch and to stop.
const kDelayMs = 150;

let server;
let browser;
let page;

before(async () => {
  [server, browser] = await startTogether([
    startServer({args: ['--backend', 'stub'], env: {WEFT_STUB_DELAY_MS: String(kDelayMs)}}),
    launchBrowser(),
  ]);
  page = await openPage(browser);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('/ui serves the page under a strict CSP; / is still Ollama\'s', async () => {
  const response = await fetch(`${server.url}/ui`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/html/);
  const policy = response.headers.get('content-security-policy');
  assert.match(policy, /script-src 'self'(;|$)/);
  assert.match(policy, /default-src 'none'/);
  assert.doesNotMatch(policy, /unsafe/);
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  const html = await response.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');

  const script = await fetch(`${server.url}/ui/chat.js`);
  assert.match(script.headers.get('content-type'), /^text\/javascript/);
  const etag = script.headers.get('etag');
  assert.ok(etag, 'an ETag');
  await script.arrayBuffer();
  const again = await fetch(`${server.url}/ui/chat.js`, {headers: {'If-None-Match': etag}});
  assert.equal(again.status, 304);
  assert.equal((await fetch(`${server.url}/ui/missing.js`)).status, 404);
  assert.equal(await (await fetch(`${server.url}/`)).text(), 'Ollama is running');
  assert.ok(server.log().includes(`chat page: ${server.url}/ui`), 'the log says where the page is');

  const loaded = await page.goto(`${server.url}/ui`);
  assert.equal(loaded.status(), 200);
  await page.waitForFunction(() => document.getElementById('model').textContent === 'stub');
  assert.deepEqual(page.problems, []);
});

test('an answer streams in piece by piece and shows its tokens/s', async () => {
  await sendMessage(page, 'Hello there');
  const seen = await watchStreaming(page);
  assert.ok(seen.length >= 3, `the answer appeared in at least 3 steps: ${JSON.stringify(seen)}`);
  for (let i = 0; i < seen.length; ++i) {
    assert.ok(stubText.startsWith(seen[i]), `a prefix of the answer: ${seen[i]}`);
    if (i > 0) assert.ok(seen[i].length > seen[i - 1].length, 'growing');
  }
  const messages = await readMessages(page);
  assert.deepEqual(messages.map(({role, state, text}) => ({role, state, text})), [
    {role: 'user', state: 'done', text: 'Hello there'},
    {role: 'assistant', state: 'done', text: stubText},
  ]);
  // The server measured the generation: one word per token, at most one per kDelayMs.
  const meta = /^(\d+) tokens · ([\d.]+) tokens\/s$/.exec(messages[1].meta);
  assert.ok(meta, `tokens and tokens/s: ${messages[1].meta}`);
  assert.equal(Number(meta[1]), stubWords.length);
  const tokensPerSecond = Number(meta[2]);
  assert.ok(tokensPerSecond > 0.5 && tokensPerSecond <= 1000 / kDelayMs + 0.1, meta[2]);
  assert.deepEqual(page.problems, []);
});

test('stop ends the answer early and the server cancels the generation', async () => {
  await sendMessage(page, 'Tell me more');
  await page.waitForFunction(() => {
    const answers = document.querySelectorAll('#messages > article.assistant');
    return answers.length === 2 &&
        answers[1].querySelector('.content').textContent.split(' ').length > 4;
  });
  await page.click('#stop');
  await page.waitForFunction(
      () => document.querySelector('#messages > article:last-child').dataset.state === 'stopped');
  const stoppedText = await lastAnswerText(page);
  assert.ok(
      stubText.startsWith(stoppedText) && stoppedText.length < stubText.length,
      `a strict prefix: ${stoppedText}`);
  assert.equal(await page.$eval('body', (body) => body.dataset.state), 'idle');
  assert.equal(await page.$eval('#send', (button) => button.disabled), false);
  const messages = await readMessages(page);
  assert.match(messages.at(-1).meta, /^\d+ tokens · (≈[\d.]+ tokens\/s · )?stopped$/);

  // The daemon freed the request at once and logged it as cancelled.
  await server.waitIdle(5_000);
  const deadline = Date.now() + 5_000;
  while (!/path=\/api\/chat status=200 .*stop_reason=cancelled/.test(server.log())) {
    assert.ok(Date.now() < deadline, `no cancelled request in the log:\n${server.log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Nothing more arrives after the stop.
  await new Promise((resolve) => setTimeout(resolve, 5 * kDelayMs));
  assert.equal(await lastAnswerText(page), stoppedText);
  assert.deepEqual(page.problems, []);
});

test('a reload restores the conversation; New chat clears it', async () => {
  const before = await readMessages(page);
  assert.equal(before.length, 4);
  await page.reload();
  await page.waitForFunction(() => document.getElementById('model').textContent === 'stub');
  assert.deepEqual(await readMessages(page), before);

  await page.click('#new-chat');
  assert.deepEqual(await readMessages(page), []);
  await page.reload();
  await page.waitForFunction(() => document.getElementById('model').textContent === 'stub');
  assert.deepEqual(await readMessages(page), []);
  assert.deepEqual(page.problems, []);
});

test(
    'a stored conversation is read back as data: markup stays text, bad entries are dropped',
    async () => {
      const stored = [
        {role: 'user', content: '<img src=x onerror="window.__pwned = 1">'},
        {role: 'assistant', content: 'fine <script>window.__pwned = 2</script>'},
        {role: 'system', content: 'not a chat role the page keeps'},
        {role: 'assistant', content: 42},
        null,
        {role: 'assistant', content: '**bold** [x](javascript:window.__pwned=3)'},
      ];
      await page.evaluate((value) => {
        localStorage.setItem('weft.ui.conversation', value);
      }, JSON.stringify(stored));
      await page.reload();
      await page.waitForSelector('#messages > article');
      const messages = await readMessages(page);
      assert.deepEqual(messages.map(({role, text}) => ({role, text})), [
        {role: 'user', text: '<img src=x onerror="window.__pwned = 1">'},
        {role: 'assistant', text: 'fine <script>window.__pwned = 2</script>'},
        {role: 'assistant', text: 'bold [x](javascript:window.__pwned=3)'},
      ]);
      assert.equal(
          await page.$$eval('#messages img, #messages script, #messages a', (e) => e.length), 0);
      assert.equal(await page.$$eval('#messages strong', (e) => e.length), 1);
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
      await page.click('#new-chat');
      assert.deepEqual(page.problems, []);
    });

test('a reload mid-answer keeps what had arrived, marked stopped', async () => {
  await sendMessage(page, 'Start and leave');
  await page.waitForFunction(() => {
    const answer = document.querySelector('#messages > article.assistant .content');
    return answer && answer.textContent.split(' ').length > 3;
  });
  await page.reload();
  await page.waitForFunction(() => document.getElementById('model').textContent === 'stub');
  const messages = await readMessages(page);
  assert.equal(messages.length, 2);
  assert.equal(messages[1].state, 'stopped');
  assert.ok(messages[1].text.split(' ').length > 3, messages[1].text);
  assert.ok(
      stubText.startsWith(messages[1].text) && messages[1].text.length < stubText.length,
      messages[1].text);
  assert.match(messages[1].meta, /stopped$/);
  // The closed connection cancelled the generation.
  await server.waitIdle(5_000);
  assert.deepEqual(page.problems, []);
});
