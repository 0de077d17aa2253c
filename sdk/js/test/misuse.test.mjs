// Misuse gets clear errors through the real protocol (use after release, fork of a released
// context, out-of-range ids, wrong positions, …), and a failing program fails the run with
// its message.
import assert from 'node:assert/strict';
import {existsSync} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {describe, it} from 'node:test';

import {programsDir, programValue, repoDir, runProgram} from './harness.mjs';

function refused(outcome, what, code = 'invalid_request') {
  assert.equal(outcome.ok, false, `${what} must fail`);
  assert.equal(outcome.protocol, true, `${what}: a ProtocolError (${outcome.message})`);
  assert.equal(outcome.code, code, `${what}: ${outcome.message}`);
  assert.ok(outcome.message.length > 20, `${what}: a message that says what: ${outcome.message}`);
}

describe('misuse', () => {
  let r;
  it('runs the misuse program', async () => {
    r = await programValue(path.join(programsDir, 'misuse.js'));
  });

  it('refuses a released context, naming its handle', () => {
    for (const what
             of ['forwardAfterRelease', 'appendAfterRelease', 'forkAfterRelease',
                 'saveAfterRelease', 'infoAfterRelease', 'truncateAfterRelease', 'releaseTwice']) {
      refused(r[what], what);
      assert.match(
          r[what].message, new RegExp(`\\b${r.releasedHandle}\\b`), `${what} names the handle`);
    }
  });

  it('refuses out-of-range ids and rows', () => {
    for (const what
             of ['appendOutOfRange', 'forwardOutOfRange', 'decodeOutOfRange', 'logprobOutOfRange',
                 'sampleRowOutOfRange', 'maskPastVocabulary', 'truncatePastLength']) {
      refused(r[what], what);
    }
  });

  it('refuses positions other than the next ones, accepts the next ones', () => {
    refused(r.wrongPositions, 'wrongPositions');
    refused(r.positionsBehind, 'positionsBehind');
    assert.equal(r.rightPositions.ok, true, r.rightPositions.message);
  });

  it('refuses attention masks that do not fit the pass, naming the mask', () => {
    refused(r.attentionMaskFuture, 'attentionMaskFuture');
    assert.match(
        r.attentionMaskFuture.message,
        /attention_masks\[0\] allows position 4, after the token's own position 3/);
    refused(r.attentionMaskPastContext, 'attentionMaskPastContext');
    assert.match(
        r.attentionMaskPastContext.message,
        /attention_masks\[1\]: run 1 \(6\) goes past the 5 positions/);
    refused(r.attentionMaskHidesAll, 'attentionMaskHidesAll');
    assert.match(r.attentionMaskHidesAll.message, /attention_masks\[1\] allows no position/);
    assert.equal(r.attentionMaskNegativeRun.ok, false);
    assert.match(r.attentionMaskNegativeRun.message, /BRLE run/);
    assert.equal(r.attentionMaskCount.ok, false);
    assert.match(r.attentionMaskCount.message, /1 masks for 2 input tokens/);
    assert.equal(r.attentionMaskNotArray.ok, false);
    assert.match(r.attentionMaskNotArray.message, /one BRLE \(or null\) per input token/);
    assert.deepEqual(r.attentionMaskRight, {ok: true, value: 5});
  });

  it('treats unknown snapshots, grammars and models as errors or undefined', () => {
    assert.deepEqual(r.openUnknown, {ok: true, value: true});
    assert.deepEqual(r.takeUnknown, {ok: true, value: true});
    refused(r.deleteUnknown, 'deleteUnknown', 'not_found');
    refused(r.badRegex, 'badRegex');
    assert.equal(r.unknownModel.ok, false);
    assert.equal(r.liveStillWorks.ok, true, 'errors leave other contexts usable');
  });

  it('fails the run with the message of a thrown error', async () => {
    const result = await runProgram(path.join(programsDir, 'throws.js'));
    assert.equal(result.status, 1);
    assert.match(result.stderr, /the program failed on purpose/);
    assert.equal(result.value, undefined);
  });

  it('fails the run on an unhandled rejection', async () => {
    const result =
        await runProgram(path.join(programsDir, 'throws.js'), {input: {kind: 'rejection'}});
    assert.equal(result.status, 1);
    assert.match(result.stderr, /an unhandled rejection/);
  });

  it('fails the run when main returns what JSON cannot hold', async () => {
    const result =
        await runProgram(path.join(programsDir, 'throws.js'), {input: {kind: 'not-json'}});
    assert.equal(result.status, 1);
    assert.match(result.stderr, /not JSON/);
  });

  it('fails the run when main never settles', async () => {
    const result = await runProgram(path.join(programsDir, 'throws.js'), {input: {kind: 'never'}});
    assert.equal(result.status, 1);
    assert.match(result.stderr, /never settled/);
  });

  it('fails the run of a module without main', async () => {
    const result = await runProgram(path.join(programsDir, 'no_main.js'));
    assert.equal(result.status, 1);
    assert.match(result.stderr, /main\(input\)/);
  });
});

// `--sandbox auto` (the default): each layer weft reports (`-v`) must stop what it is there to
// stop; at least one layer must be on.
describe('the sandbox', () => {
  it('lets a program use its scratch directory and nothing else', async () => {
    const server = net.createServer((socket) => socket.end());
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const writeTarget = path.join(repoDir, 'sandbox-escape.txt');
    try {
      const result = await runProgram(path.join(programsDir, 'sandbox.js'), {
        args: ['--sandbox', 'auto', '-v'],
        input: {
          outsideFile: path.join(repoDir, 'README.md'),
          writeTarget,
          port: server.address().port,
        },
      });
      assert.equal(result.status, 0, result.stderr);
      const layers = result.stderr.match(/sandbox: node permissions (on|off), bubblewrap (on|off)/);
      assert.ok(layers, `weft -v reports the sandbox layers: ${result.stderr}`);
      const nodePermissions = layers[1] === 'on';
      const bubblewrap = layers[2] === 'on';
      assert.ok(nodePermissions || bubblewrap, 'auto turns on at least one layer');
      const r = result.value;
      assert.deepEqual(r.scratch, {ok: true, value: 'kept'});
      assert.equal(r.writeOutside.ok, false, 'writes outside the scratch directory');
      assert.equal(existsSync(writeTarget), false);
      if (nodePermissions) {
        assert.equal(r.readOutside.code, 'ERR_ACCESS_DENIED', JSON.stringify(r.readOutside));
        assert.equal(r.spawn.code, 'ERR_ACCESS_DENIED', JSON.stringify(r.spawn));
      }
      // Node's permission model does not stop the network; bubblewrap's empty network
      // namespace does.
      assert.equal(r.loopback.ok, !bubblewrap, JSON.stringify(r.loopback));
    } finally {
      server.close();
    }
  });
});
