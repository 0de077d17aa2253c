// Runs every ```sh block of docs/http.md that calls curl against a real server, so the
// documented examples cannot rot. The examples talk to 127.0.0.1:11435 (the default of
// `--http`); each run here rewrites that to the test server's own port. A block passes when
// bash exits 0 and, where it prints JSON (a document, NDJSON lines or SSE `data:` lines),
// that output parses. An example meant to show an error must say so in a comment line that
// contains "error"; any other example that prints a JSON object with an "error" key fails.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {fileURLToPath} from 'node:url';

import {startServer, storiesModel} from './harness.mjs';

const docsPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/http.md');
const documentedAddress = /(127\.0\.0\.1|localhost):11435/g;

export function curlBlocks(markdown) {
  const blocks = [];
  const fence = /^```(sh|bash|shell)[^\n]*\n([\s\S]*?)^```/gm;
  for (const match of markdown.matchAll(fence)) {
    if (!/\bcurl\b/.test(match[2])) continue;
    const line = markdown.slice(0, match.index).split('\n').length;
    blocks.push({line, code: match[2]});
  }
  return blocks;
}

// The JSON values the output holds, or null when it is not meant as JSON.
export function jsonValues(output) {
  const text = output.trim();
  if (text === '') return null;
  if (/^data:/m.test(text) && text.startsWith('data:')) {
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

const blocks = curlBlocks(readFileSync(docsPath, 'utf8'));

describe('docs/http.md curl examples', () => {
  let server;

  before(async () => {
    // The native backend on stories260K serves every documented endpoint (embeddings too).
    server = await startServer({args: ['--model', storiesModel]});
  });
  after(async () => server?.stop());

  it('docs/http.md has curl examples', () => {
    assert.ok(blocks.length >= 5, `found ${blocks.length} curl blocks`);
  });

  for (const block of blocks) {
    it(`docs/http.md:${block.line}`, () => {
      const code = block.code.replace(documentedAddress, `127.0.0.1:${server.port}`);
      const result = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', code], {
        encoding: 'utf8',
        timeout: 60_000,
        env: {...process.env},
      });
      const context = `\n--- example ---\n${code}\n--- stdout ---\n${result.stdout}` +
          `\n--- stderr ---\n${result.stderr}`;
      assert.equal(result.status, 0, `exit status${context}`);
      let values;
      assert.doesNotThrow(() => {
        values = jsonValues(result.stdout);
      }, `JSON output${context}`);
      const showsError = /^\s*#.*error/im.test(block.code);
      if (values && !showsError) {
        for (const value of values) {
          assert.ok(
              !(value && typeof value === 'object' && 'error' in value),
              `an error answer${context}`);
        }
      }
    });
  }
});
