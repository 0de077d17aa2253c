// A real headless Chromium (Debian's `chromium` package, or WEFT_CHROMIUM) driven by the pinned
// puppeteer-core, for the chat page tests. A missing browser fails the test with what to
// install; it never skips.
import {execFileSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import puppeteer from 'puppeteer-core';

export function chromiumPath() {
  const configured = process.env.WEFT_CHROMIUM;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`WEFT_CHROMIUM=${configured} does not exist`);
    return configured;
  }
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], {encoding: 'utf8'}).trim();
    } catch {
      // Not on PATH: try the next name.
    }
  }
  throw new Error(
      'no Chromium found: install Debian\'s `chromium` package (scripts/install-deps.sh does), ' +
      'or set WEFT_CHROMIUM to a Chromium or Chrome binary');
}

// Chromium in a container runs without its user-namespace sandbox; --headless=new is the
// full browser without a display.
export async function launchBrowser() {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage'],
    protocolTimeout: 60_000,
  });
}

// Awaits daemons (harness startServer) and browsers started together. When one fails to
// start, the others are stopped before the failure is thrown, so that nothing is left running
// to keep the test process alive.
export async function startTogether(starting) {
  const results = await Promise.allSettled(starting);
  const failure = results.find((result) => result.status === 'rejected');
  if (!failure) return results.map((result) => result.value);
  await Promise.all(results.filter((result) => result.status === 'fulfilled')
                        .map(({value}) => (value.close ? value.close() : value.stop())));
  throw failure.reason;
}

// A page whose script errors (an uncaught exception, a Content-Security-Policy or Trusted
// Types violation reported on the console) are collected in `page.problems`.
export async function openPage(browser) {
  const page = await browser.newPage();
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') page.problems.push(`console error: ${message.text()}`);
  });
  page.setDefaultTimeout(20_000);
  return page;
}

// The page's messages as {role, state, text, meta}, in order.
export function readMessages(page) {
  return page.$$eval(
      '#messages > article',
      (articles) => articles.map((article) => ({
                                   role: article.classList.contains('user') ? 'user' : 'assistant',
                                   state: article.dataset.state,
                                   text: article.querySelector('.content').textContent,
                                   meta: article.querySelector('.meta').textContent,
                                 })));
}

// The text of the last answer on the page ('' when there is none).
export function lastAnswerText(page) {
  return page.$$eval('#messages > article.assistant .content', (contents) => {
    const last = contents.at(-1);
    if (!last) return '';
    // Code blocks carry a copy button once the answer is complete; it is not answer text.
    const clone = last.cloneNode(true);
    for (const button of clone.querySelectorAll('button')) button.remove();
    return clone.textContent;
  });
}

// Types `text` into the composer and sends it with Enter.
export async function sendMessage(page, text) {
  await page.focus('#prompt');
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

// Samples the last answer's text until its message leaves the `streaming` state; returns the
// distinct texts seen while it streamed, in order.
export async function watchStreaming(page, timeoutMs = 20_000) {
  const seen = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await page.$eval('#messages > article:last-child', (a) => a.dataset.state);
    if (state !== 'streaming') return seen;
    const text = await lastAnswerText(page);
    if (text !== '' && text !== seen.at(-1)) seen.push(text);
    if (Date.now() > deadline) throw new Error(`the answer still streams after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Sets the settings form's fields (by element id) as a user types them.
export async function setSettings(page, values) {
  await page.$eval('#settings', (details) => {
    details.open = true;
  });
  for (const [id, value] of Object.entries(values)) {
    await page.$eval(`#${id}`, (input) => {
      input.value = '';
    });
    await page.type(`#${id}`, String(value));
  }
}
