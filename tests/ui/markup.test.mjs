// Model output that carries markup, in headless Chromium: a streamed answer with <script>,
// <img onerror> and a javascript: link is shown as text (the stub streams it: WEFT_STUB_TEXT);
// the page's Markdown renderer (/ui/markdown.js) turns chosen inputs into exactly the DOM
// written below; and a daemon with an API key is usable once the key is typed in.
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';

import {startServer} from '../clients/harness.mjs';

import {lastAnswerText, launchBrowser, openPage, readMessages, sendMessage, setSettings, startTogether} from './browser.mjs';

const kHostileAnswer = [
  'Here is <script>window.__pwned = 1</script> and <img src=x onerror="window.__pwned = 2"> inline.',
  '',
  '```html',
  '<script>window.__pwned = 3</script>',
  '```',
  '',
  'A [bad link](javascript:window.__pwned=4) and a [good one](https://example.com/docs).',
].join('\n');

const kApiKey = 'ui-test-key-7f3a';

let hostile;
let keyed;
let browser;

before(async () => {
  [hostile, keyed, browser] = await startTogether([
    startServer({args: ['--backend', 'stub'], env: {WEFT_STUB_TEXT: kHostileAnswer}}),
    startServer({args: ['--backend', 'stub', '--api-key', kApiKey]}),
    launchBrowser(),
  ]);
});

after(async () => {
  await browser?.close();
  await hostile?.stop();
  await keyed?.stop();
});

test('a streamed answer with <script> and <img onerror> is shown as text', async () => {
  const page = await openPage(browser);
  await page.goto(`${hostile.url}/ui`);
  await page.waitForFunction(() => document.getElementById('model').textContent === 'stub');
  await sendMessage(page, 'Show me some HTML');
  await page.waitForFunction(
      () => document.querySelector('#messages > article:last-child').dataset.state === 'done');

  const text = await lastAnswerText(page);
  assert.ok(text.includes('<script>window.__pwned = 1</script>'), text);
  assert.ok(text.includes('<img src=x onerror="window.__pwned = 2">'), text);
  assert.ok(text.includes('[bad link](javascript:window.__pwned=4)'), text);
  const answer = '#messages > article.assistant .content';
  assert.equal(await page.$$eval(`${answer} script, ${answer} img`, (found) => found.length), 0);
  assert.deepEqual(
      await page.$$eval(
          `${answer} pre code`, (codes) => codes.map((code) => [code.className, code.textContent])),
      [['language-html', '<script>window.__pwned = 3</script>']]);
  assert.deepEqual(
      await page.$$eval(
          `${answer} a`,
          (links) => links.map((link) => [link.getAttribute('href'), link.textContent])),
      [['https://example.com/docs', 'good one']]);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(page.problems, []);
  await page.close();
});

// Each case: Markdown in, the DOM it must become (elements with their attributes, text as
// JSON strings), written by hand.
const kLink = 'rel=noopener noreferrer nofollow target=_blank';
const kRendererCases = [
  ['Hello **world** and *you*', 'p("Hello " strong("world") " and " em("you"))'],
  ['Use `a<b>` and ``x`y``', 'p("Use " code("a<b>") " and " code("x`y"))'],
  [
    '```js\nlet x = "<b>";\n```\nafter',
    'pre(code[class=language-js]("let x = \\"<b>\\";")) p("after")'
  ],
  ['```\nunclosed <i>', 'pre(code("unclosed <i>"))'],
  ['```" onclick="x\ncode\n```', 'pre(code("code"))'],
  ['a\n- one\n- two\n\n1. x\n2. y', 'p("a") ul(li("one") li("two")) ol(li("x") li("y"))'],
  ['3. three\n\n4. four\n   more', 'ol[start=3](li("three") li("four" br() "more"))'],
  ['# Title\nline one\nline two', 'h3("Title") p("line one" br() "line two")'],
  [
    '[ok](https://example.com/a?b=1) [bad](javascript:alert(1)) [rel](/v1/models)',
    `p(a[href=https://example.com/a?b=1 ${
        kLink}]("ok") " [bad](javascript:alert(1)) [rel](/v1/models)")`,
  ],
  ['[d](data:text/html,<b>x</b>)', 'p("[d](data:text/html,<b>x</b>)")'],
  [
    'see http://example.org/x.',
    `p("see " a[href=http://example.org/x ${kLink}]("http://example.org/x") ".")`
  ],
  [
    '**[x](https://a.example/)** [https://b.example/](https://a.example/)',
    `p(strong(a[href=https://a.example/ ${kLink}]("x")) " " a[href=https://a.example/ ${
        kLink}]("https://b.example/"))`,
  ],
  ['snake_case_name and _emphasis_', 'p("snake_case_name and " em("emphasis"))'],
  ['<script>alert(1)</script>', 'p("<script>alert(1)</script>")'],
  ['<img src=x onerror=alert(1)>\n\n&lt;b&gt;', 'p("<img src=x onerror=alert(1)>") p("&lt;b&gt;")'],
];

test('the Markdown renderer builds exactly the expected DOM', async () => {
  const page = await openPage(browser);
  await page.goto(`${hostile.url}/ui`);
  const shapes = await page.evaluate(async (inputs) => {
    const {renderMarkdown} = await import('/ui/markdown.js');
    const shape = (node) => {
      if (node.nodeType === Node.TEXT_NODE) return JSON.stringify(node.data);
      const attributes = [...node.attributes].map((a) => `${a.name}=${a.value}`).join(' ');
      const children = [...node.childNodes].map(shape).join(' ');
      return `${node.localName}${attributes ? `[${attributes}]` : ''}(${children})`;
    };
    return inputs.map((input) => {
      const holder = document.createElement('div');
      holder.appendChild(renderMarkdown(input));
      holder.normalize();
      return [...holder.childNodes].map(shape).join(' ');
    });
  }, kRendererCases.map(([input]) => input));
  kRendererCases.forEach(([input, expected], i) => {
    assert.equal(shapes[i], expected, `input ${JSON.stringify(input)}`);
  });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('an out-of-range setting is refused before any request', async () => {
  const page = await openPage(browser);
  await page.goto(`${hostile.url}/ui`);
  await page.evaluate(() => localStorage.clear());  // the first test's conversation
  await page.reload();
  await page.waitForFunction(() => document.getElementById('model').textContent === 'stub');
  const chatRequests = () =>
      hostile.log().split('\n').filter((line) => /path=\/api\/chat /.test(line)).length;
  const requestsBefore = chatRequests();
  await setSettings(page, {'temperature': 5});
  await sendMessage(page, 'Hello');
  await page.waitForFunction(() => document.getElementById('status').textContent !== '');
  assert.match(await page.$eval('#status', (status) => status.textContent), /^Temperature: /);
  assert.equal(await page.$eval('#status', (status) => status.className), 'status error');
  assert.deepEqual(await readMessages(page), []);
  assert.equal(
      await page.$eval('#prompt', (prompt) => prompt.value), 'Hello', 'kept to send again');
  assert.equal(chatRequests(), requestsBefore);
  await setSettings(page, {'temperature': 0.5});
  await page.focus('#prompt');
  await page.keyboard.press('Enter');
  await page.waitForFunction(
      () => document.querySelector('#messages > article:last-child')?.dataset.state === 'done');
  assert.equal((await readMessages(page)).length, 2);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a daemon with an API key: the page asks for it, keeps it and sends it', async () => {
  const page = await openPage(browser);
  const response = await page.goto(`${keyed.url}/ui`);
  assert.equal(response.status(), 200, 'the page itself needs no key');
  await page.waitForFunction(
      () => document.getElementById('model').textContent === 'API key needed');
  assert.equal(await page.$eval('#settings', (details) => details.open), true);
  // The failed /v1/models is the browser's console error; nothing else may be.
  page.problems = page.problems.filter((problem) => !/status of 401/.test(problem));

  await setSettings(page, {'api-key': kApiKey});
  await page.keyboard.press('Tab');  // `change`: the page stores the key and asks again
  await page.waitForFunction(() => document.getElementById('model').textContent === 'stub');
  await sendMessage(page, 'Hi');
  await page.waitForFunction(
      () => document.querySelector('#messages > article:last-child').dataset.state === 'done');
  assert.match(await lastAnswerText(page), /^This is weft's stub backend/);

  await page.reload();
  await page.waitForFunction(() => document.getElementById('model').textContent === 'stub');
  assert.equal(await page.$eval('#api-key', (input) => input.value), kApiKey);
  assert.equal((await readMessages(page)).length, 2);
  assert.deepEqual(page.problems, []);
  await page.close();
});
