// Runs every ```sh block of docs/http.md that calls curl against a real server, so the
// documented examples cannot rot. The examples talk to 127.0.0.1:11435 (the default of
// `--http`) and name the stub backend's model; each run here rewrites the address to the
// test server's own port. A block passes when bash exits 0 and, where it prints JSON (a
// document, NDJSON lines or SSE `data:` lines), every value parses.
//
// Error answers: blocks under a heading that says "Error" are there to show one, and must
// print an error. Anywhere else an error answer is accepted only when the same example, run
// against the real stories260K model (its model name swapped in), then succeeds: that is how
// the embeddings examples, which the stub backend refuses by design, are checked.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {fileURLToPath} from 'node:url';

import {startServer, storiesModel} from './harness.mjs';

const docsPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/http.md');
const documentedAddress = /(127\.0\.0\.1|localhost):11435/g;
const stubModelField = /"model"\s*:\s*"stub"/g;
const nativeModelName = path.basename(storiesModel, '.gguf');

export function curlBlocks(markdown) {
  const blocks = [];
  const fence = /^```(sh|bash|shell)[^\n]*\n([\s\S]*?)^```/gm;
  for (const match of markdown.matchAll(fence)) {
    if (!/\bcurl\b/.test(match[2])) continue;
    const before = markdown.slice(0, match.index);
    const headings = before.match(/^#+ .*$/gm) ?? [];
    blocks.push({
      line: before.split('\n').length,
      heading: (headings.at(-1) ?? '').replace(/^#+\s*/, ''),
      code: match[2],
    });
  }
  return blocks;
}

// The JSON values the output holds, or null when it is not meant as JSON; throws when it
// looks like JSON but does not parse.
export function jsonValues(output) {
  const text = output.trim();
  if (text === '') return null;
  if (text.startsWith('data:')) {
    return text.split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .filter((data) => data !== '[DONE]')
        .map((data) => JSON.parse(data));
  }
  if (!text.startsWith('{') && !text.startsWith('[')) return null;
  try {
    return [JSON.parse(text)];
  } catch {
    return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line));
  }
}

const isErrorAnswer = (values) =>
    (values ?? []).some((value) => value !== null && typeof value === 'object' && 'error' in value);

function runExample(code, port) {
  const script = code.replace(documentedAddress, `127.0.0.1:${port}`);
  const result = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const context = `\n--- example ---\n${script}\n--- stdout ---\n${result.stdout}` +
      `\n--- stderr ---\n${result.stderr}`;
  assert.equal(result.status, 0, `exit status${context}`);
  let values = null;
  assert.doesNotThrow(() => {
    values = jsonValues(result.stdout);
  }, `JSON output${context}`);
  return {values, context};
}

const blocks = curlBlocks(readFileSync(docsPath, 'utf8'));

describe('docs/http.md curl examples', () => {
  let stub;
  let native;

  before(async () => {
    [stub, native] = await Promise.all([
      startServer({args: ['--backend', 'stub'], env: {WEFT_STUB_DELAY_MS: '1'}}),
      startServer({args: ['--model', storiesModel]}),
    ]);
  });
  after(async () => Promise.all([stub?.stop(), native?.stop()]));

  it('docs/http.md has curl examples', () => {
    assert.ok(blocks.length >= 10, `found ${blocks.length} curl blocks`);
  });

  for (const block of blocks) {
    it(`docs/http.md:${block.line} (${block.heading})`, () => {
      const {values, context} = runExample(block.code, stub.port);
      if (/error/i.test(block.heading)) {
        assert.ok(isErrorAnswer(values), `an example of an error prints one${context}`);
        return;
      }
      if (!isErrorAnswer(values)) return;
      const onModel = runExample(
          block.code.replace(stubModelField, `"model":"${nativeModelName}"`), native.port);
      assert.ok(
          !isErrorAnswer(onModel.values),
          `an error answer on the stub, and on ${nativeModelName} too${onModel.context}`);
    });
  }
});
