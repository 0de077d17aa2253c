// Every SDK method through the real protocol: test programs (test/programs/) run with
// `weft program run` on stories260K, their observations checked against references weft did
// not produce (llama2.c's tokens for stories260K, the math of softmax/entropy on the logits
// the program read, the grammars' own definitions).
import assert from 'node:assert/strict';
import {mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {before, describe, it} from 'node:test';

import {llama2cReference, programsDir, programValue, runProgram, runWeft, sharedDir} from './harness.mjs';

const reference = llama2cReference(2);                       // "Once upon a time"
const prompt = reference.promptTokens;                       // BOS first
const greedy = reference.sequence.slice(prompt.length - 1);  // llama2.c's greedy continuation
const program = (name) => path.join(programsDir, name);

function logSoftmax(logits, temperature = 1) {
  const scaled = logits.map((v) => v / temperature);
  const max = Math.max(...scaled);
  const log = Math.log(scaled.reduce((sum, v) => sum + Math.exp(v - max), 0));
  return scaled.map((v) => v - max - log);
}

function argmax(values, allowed = null) {
  let best = -1;
  values.forEach((v, i) => {
    if ((allowed === null || allowed.has(i)) && (best < 0 || v > values[best])) best = i;
  });
  return best;
}

function close(actual, expected, tolerance, what) {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);
}

describe('Model, Tokenizer and runtime', () => {
  let r;
  it('runs the model program', async () => {
    r = await programValue(
        program('model_and_tokenizer.js'),
        {input: {text: reference.prompt, pieceIds: [403, 378]}, seed: 4242});
  });

  it('reports the split regex (stories260K\'s SentencePiece vocabulary has none)', () => {
    assert.deepEqual(r.splitRegex, {pattern: ''});
  });

  it('reports the model and tokenizes as llama2.c does', async () => {
    assert.deepEqual(r.encoded.slice(-4), prompt.slice(1), 'encode matches llama2.c (BOS aside)');
    assert.ok(
        r.encoded.length === 4 || (r.encoded.length === 5 && r.encoded[0] === 1),
        `encode: ${r.encoded}`);
    assert.equal(r.encodedIsUint32, true);
    assert.equal(r.decoded.trim(), reference.prompt);
    assert.equal(r.decodedUint32, r.decoded);
    assert.equal(r.model.vocabSize, 512);
    assert.ok(r.model.pageSize > 0 && r.model.contextLength >= 128, JSON.stringify(r.model));
    assert.ok(r.model.stopTokens.includes(2), `EOS is a stop token: ${r.model.stopTokens}`);
    assert.equal(r.model.sameByName, true);
    assert.equal(r.vocabulary.count, 512);
    assert.equal(r.vocabulary.idsAreUint32, true);
    assert.equal(r.vocabulary.piecesAreBytes, true);
    assert.match(r.vocabulary.pieces[0], /Once/);
    assert.match(r.vocabulary.pieces[1], /time/);
    assert.ok(r.special.ids.includes(1) && r.special.ids.includes(2), `special: ${r.special.ids}`);
    assert.equal(r.special.count, r.special.ids.length);
    assert.ok(r.runtime.models.length >= 1 && r.runtime.models.every((m) => typeof m === 'string'));
    assert.ok(r.runtime.instanceId.length > 0);
    assert.equal(r.runtime.seed, 4242);
    assert.equal(r.runtime.username, os.userInfo().username);
    const version = await runWeft(['--version']);
    assert.ok(
        version.stdout.includes(r.runtime.version), `${r.runtime.version} in ${version.stdout}`);
  });
});

describe('Context', () => {
  it('buffers, flushes, truncates, forks, saves, opens, takes, deletes and releases', async () => {
    const base = prompt.slice(0, 4);
    const r = await programValue(
        program('contexts.js'), {input: {prompt: base, more: ' time', name: 'sdk-test-snapshot'}});
    const more = r.buffered.moreTokens;
    const all = [...base, ...more];
    assert.deepEqual(
        r.fresh, {seqLen: 0, pageSize: r.fresh.pageSize, modelIsModel: true, buffer: []});
    assert.ok(r.fresh.pageSize > 0);
    assert.equal(r.chainReturnsThis, true);
    assert.deepEqual(r.buffered.buffer, all);
    assert.equal(r.buffered.seqLen, all.length);
    assert.equal(r.buffered.bufferIsUint32, true);
    assert.equal(r.flushIsPromise, true);
    assert.equal(r.flushed.seqLen, all.length);
    assert.deepEqual(r.flushed.buffer, []);
    assert.deepEqual(r.flushed.info.tokens, all);
    assert.equal(r.flushed.info.length, all.length);
    assert.equal(r.flushed.info.pageSize, r.fresh.pageSize);
    assert.equal(r.flushed.info.pages, Math.ceil(all.length / r.fresh.pageSize));
    const kept = all.slice(0, -2);
    assert.deepEqual(r.truncated, {seqLen: kept.length, tokens: kept});
    assert.deepEqual(r.truncatedBuffer, {seqLen: kept.length + 1, buffer: [261]});
    const parent = [...kept, 261];
    assert.deepEqual(r.fork, {parent, child: [...parent, 432], distinct: true});
    assert.deepEqual(r.forkCopiesBuffer, [383]);
    assert.deepEqual(r.opened, {tokens: parent, seqLen: parent.length});
    assert.deepEqual(r.snapshotUnchanged, parent);
    assert.equal(r.generatedName, true);
    assert.deepEqual(r.taken, {tokens: parent, gone: true});
    assert.equal(r.deleted, true);
    assert.match(r.saveWithBuffer, /flush/);
    assert.deepEqual(r.disposed, {released: true, again: 'no error'});
    assert.equal(r.symbolDispose, true);
    assert.deepEqual(r.releasedFlags, [true, true]);
  });
});

describe('Generator, Forward, samplers and probes', () => {
  let r;
  const continuation = greedy.slice(0, 2);
  const maskRuns = [300, 3];  // ids 300, 301, 302
  const masked = new Set([300, 301, 302]);

  it('runs the generation program', async () => {
    r = await programValue(
        program('generation.js'),
        {input: {prompt, continuation, forcedToken: 300, maskRuns}, seed: 11});
  });

  it('collects the greedy tokens of llama2.c', () => {
    assert.equal(r.generatorIsGenerator, true);
    assert.deepEqual(r.before, {tokensGenerated: 0, isDone: false});
    assert.deepEqual(r.greedy, greedy.slice(0, 12));
    assert.deepEqual(r.after, {
      tokensGenerated: 12,
      isDone: true,
      stopReason: 'length',
      seqLen: prompt.length + 12,
      buffer: [greedy[11]]
    });
    assert.ok(r.greedyText.length > 0);
  });

  it('stops at stop tokens (stop replaces, addStop adds)', () => {
    assert.deepEqual(r.stopAtThird, r.greedy.slice(0, r.greedy.indexOf(r.greedy[2])));
    assert.deepEqual(
        r.addStop, {tokens: r.greedy.slice(0, r.greedy.indexOf(r.greedy[4])), stopReason: 'stop'});
  });

  it('iterates steps with per-step and each-step probes', () => {
    assert.equal(r.steps.length, 4);
    r.steps.forEach((step, i) => {
      assert.equal(step.isStep, true);
      assert.equal(step.isOutput, true);
      assert.deepEqual(step.tokens, [greedy[i]]);
      assert.equal(step.auto, greedy[i]);
      assert.equal(step.ids[0], greedy[i], 'the argmax is the most probable token');
      assert.ok(step.probs[0] >= step.probs[1] && step.probs[1] >= step.probs[2]);
      assert.ok(step.entropy > 0);
    });
  });

  it('accepts tokens chosen by the program after clearSampler', () => {
    assert.equal(r.manual.length, 3);
    for (const step of r.manual) {
      assert.equal(step.autoSampler, true);
      assert.deepEqual(step.tokens, []);
    }
    assert.deepEqual(r.manual.map((s) => s.accepted), [[300], [greedy[0]], [greedy[0]]]);
    assert.deepEqual(r.manualContext, [...prompt, 300, greedy[0], greedy[0]]);
  });

  it('samples every sampler kind at the rows asked', () => {
    const f = r.forward;
    assert.equal(r.forwardIsForward, true);
    assert.equal(r.startPosition, prompt.length);
    assert.equal(f.length, prompt.length + continuation.length);
    assert.equal(f.tokensEmpty, true);
    assert.deepEqual(f.argmaxRows, [greedy[1], greedy[2]]);
    assert.equal(f.argmaxToken, greedy[1]);
    assert.equal(f.topK1, greedy[2]);
    const logprobs = logSoftmax(f.logits);
    const byRank = [...logprobs.keys()].sort((a, b) => logprobs[b] - logprobs[a]);
    for (const token of [f.topP, f.minP, f.topKTopP, ...f.multinomial, ...f.seeded]) {
      assert.ok(Number.isInteger(token) && token >= 0 && token < 512, `token ${token}`);
    }
    assert.ok(byRank.slice(0, 5).includes(f.topKTopP), 'top-k-top-p samples from the top 5');
    assert.ok(
        Math.exp(logprobs[f.minP]) >= 0.05 * Math.exp(logprobs[byRank[0]]),
        'min-p keeps p >= 0.05 * max');
    assert.equal(f.multinomial.length, 5);
    assert.equal(f.seeded[0], f.seeded[1], 'the same seed gives the same token');
  });

  it('reads probes that agree with the logits', () => {
    const f = r.forward;
    assert.equal(f.logits.length, 512);
    assert.equal(f.logitsBytes, 512 * 4);
    assert.equal(argmax(f.logits), greedy[2]);
    const logprobs = logSoftmax(f.logits);
    const [ids, probs] = f.distribution;
    assert.equal(ids.length, 512);
    ids.forEach((id, i) => close(probs[i], Math.exp(logprobs[id]), 1e-5, `p(${id})`));
    const [topIds, topProbs] = f.top5;
    const sharp = logSoftmax(f.logits, 0.5);
    assert.deepEqual(topIds, [...sharp.keys()].sort((a, b) => sharp[b] - sharp[a]).slice(0, 5));
    for (let i = 1; i < topProbs.length; i++) assert.ok(topProbs[i - 1] >= topProbs[i]);
    close(f.logprob[0], logprobs[continuation[0]], 1e-4, 'Logprob');
    continuation.forEach((t, i) => close(f.logprobs[i], logprobs[t], 1e-4, `Logprobs[${i}]`));
    const entropy = -logprobs.reduce((sum, lp) => sum + Math.exp(lp) * lp, 0);
    close(f.entropy, entropy, 1e-4, 'Entropy');
    assert.equal(f.wrongKind, true);
  });

  it('masks logits (Forward.mask and the logitMask option)', () => {
    for (const token of r.masked) assert.ok(masked.has(token), `masked sample ${token}`);
    assert.equal(
        r.masked[1], argmax(r.forward.logits, masked), 'masked argmax is the best allowed id');
    assert.equal(r.logitMask.length, 6);
    for (const token of r.logitMask) assert.ok(masked.has(token), `logitMask sample ${token}`);
  });

  it('speculates (systemSpeculation) without changing greedy output', () => {
    const s = r.speculation;
    assert.deepEqual(s.tokens, s.plain);
    assert.deepEqual(s.plain, greedy.slice(0, s.plain.length));
    assert.ok(s.steps <= s.tokens.length, `${s.steps} passes for ${s.tokens.length} tokens`);
  });
});

describe('GenerateOptions, builders and grammar constructors', () => {
  let r;
  const stopToken = greedy[5];
  const continuation = greedy.slice(0, 2);

  it('runs the options program', async () => {
    r = await programValue(
        program('options_and_grammars.js'), {input: {prompt, stopToken, continuation}, seed: 21});
  });

  it('stops before a token of the stop option (llama2.c\'s greedy tokens up to it)', () => {
    assert.ok(greedy.indexOf(stopToken) < 12);
    assert.deepEqual(
        r.stopOption, {tokens: greedy.slice(0, greedy.indexOf(stopToken)), stopReason: 'stop'});
  });

  it('ANDs the constraints added with g.constrain()', () => {
    assert.match(r.constrainBuilder.text, /^[a-m]{2,5}!$/);
    assert.equal(r.constrainBuilder.stopReason, 'stop');
  });

  it('builds grammars from a JSON Schema (object or text) and from EBNF', () => {
    assert.deepEqual(r.grammarKinds, ['json_schema', 'json_schema', 'ebnf']);
    assert.ok(
        ['yes', 'no'].includes(JSON.parse(r.fromJsonSchemaObject.text)),
        r.fromJsonSchemaObject.text);
    assert.equal(
        typeof JSON.parse(r.fromJsonSchemaString.text), 'boolean', r.fromJsonSchemaString.text);
    assert.ok(['ab.', 'cd.'].includes(r.fromEbnf.text), r.fromEbnf.text);
    for (const g of [r.fromJsonSchemaObject, r.fromJsonSchemaString, r.fromEbnf])
      assert.equal(g.stopReason, 'stop');
  });

  it('reads a custom Constraint\'s empty mask as no restriction (llama2.c\'s greedy tokens)',
     () => {
       assert.deepEqual(r.emptyMask, {tokens: greedy.slice(0, 6), steps: 6});
     });

  it('runs inputAt at the derived positions as llama2.c does', () => {
    assert.deepEqual(r.inputAt, {tokens: greedy.slice(1, 3), length: prompt.length + 2});
  });

  it('refuses speculator together with systemSpeculation', () => {
    assert.match(r.bothSpeculators, /^TypeError: .*mutually exclusive/);
  });
});

describe('Constraints', () => {
  const schema = {
    type: 'object',
    properties:
        {name: {type: 'string', maxLength: 6}, age: {type: 'integer', minimum: 0, maximum: 99}},
    required: ['name', 'age'],
    additionalProperties: false,
  };
  const fits = (v) => v !== null && typeof v === 'object' &&
      Object.keys(v).sort().join() === 'age,name' && typeof v.name === 'string' &&
      v.name.length <= 6 && Number.isInteger(v.age) && v.age >= 0 && v.age <= 99;
  let r;

  it('runs the constraints program', async () => {
    // JSON answers of stories260K have long runs of whitespace (the grammar allows 32 per gap):
    // room for 1500 tokens.
    r = await programValue(
        program('constraints.js'), {input: {prompt, schema}, seed: 5, args: ['--ctx', '2048']});
  });

  it('keeps generations inside regex, GBNF and Grammar constraints', () => {
    assert.match(r.regex.text, /^[a-z]{3,8}( [a-z]{2,6}){1,3}$/);
    assert.ok(['yes', 'no', 'maybe'].includes(r.ebnf.text), r.ebnf.text);
    assert.match(r.grammar.text, /^[0-9]{4}$/);
    assert.match(r.grammarConstraint.text, /^(ab|cd){1,4}!$/);
    assert.match(r.customSchema.text, /^[0-9]{2}$/);
    assert.match(r.matcherConstraint.text, /^(yes|no)!$/);
    for (const g
             of [r.regex, r.ebnf, r.grammar, r.grammarConstraint, r.customSchema,
                 r.matcherConstraint]) {
      assert.equal(g.stopReason, 'stop');
    }
  });

  it('generates JSON that fits (jsonSchema, anyJson, collectJson)', () => {
    assert.ok(fits(JSON.parse(r.jsonSchema.text)), r.jsonSchema.text);
    // Free JSON from stories260K may be a string that never closes within the budget.
    if (r.anyJson.stopReason === 'stop')
      JSON.parse(r.anyJson.text);
    else
      assert.match(r.anyJson.text, /^\s*[[{"0-9tfn-]/);
    assert.deepEqual(
        r.anyJsonMatcher,
        {refused: 0, accepted: 2, state: {terminated: false, canEnd: true, acceptedTokens: 2}});
    assert.ok(fits(r.collectJson), JSON.stringify(r.collectJson));
    assert.ok(fits(r.collectJsonParsed.wrapped), JSON.stringify(r.collectJsonParsed));
  });

  it('applies a custom Constraint alone and ANDed with a server matcher', () => {
    assert.equal(r.custom.tokens, 20);
    assert.ok(!r.custom.text.includes('e'), r.custom.text);
    assert.ok(!r.composed.text.includes('e'), r.composed.text);
    assert.match(r.composed.text, /^[a-z ]{5,40}\.$/);
    assert.equal(r.composedSteps[0], 0);
    assert.ok(r.composedSteps.slice(1).every((n) => n === 1));
  });

  it('walks a Matcher by hand', () => {
    const m = r.matcher;
    assert.ok(m.aId !== undefined && m.bId !== undefined && m.zId !== undefined);
    assert.equal(m.allowsA, true);
    assert.equal(m.allowedCount >= 1 && m.allowedCount < 512, true);
    assert.equal(m.acceptedBad, 0);
    assert.equal(m.acceptedA, 1);
    assert.equal(m.terminatedAfterA, false);
    assert.deepEqual(m.afterB.state, {terminated: false, canEnd: true, acceptedTokens: 2});
    assert.equal(m.afterB.terminated, false);
    assert.deepEqual(m.afterB.mask, [2, 1], 'after "ab" only EOS (id 2) is allowed');
    assert.deepEqual(m.afterRollback, {terminated: false, canEnd: false, acceptedTokens: 1});
    assert.equal(m.acceptedStop, 1);
    assert.equal(m.terminatedAfterStop, true);
    assert.equal(m.afterReset, false);
    assert.deepEqual(m.maskAfterReset, m.mask0);
    assert.ok(r.grammarConstraintStep > 0 && r.grammarConstraintStep < 512);
    assert.deepEqual(r.schemaObjects, [true, true, true]);
  });
});

describe('Decoders, session, messaging, not-built features', () => {
  it('decodes, sends, broadcasts, queues and refuses what is not built', async () => {
    const input = {
      text: 'Once upon a time',
      controlToken: 1,
      reasoningText: 'Hi <think>a small thought</think> done',
      toolText: 'Ok <tool_call>{"name": "add", "arguments": {"a": 1}}</tool_call>',
    };
    const result = await runProgram(program('decoders_and_io.js'), {input, seed: 4});
    assert.equal(result.status, 0, result.stderr);
    const r = result.value;
    const deltas = r.chat.events.filter((e) => e.type === 'delta').map((e) => e.text).join('');
    assert.equal(deltas.trim(), input.text);
    assert.deepEqual(r.chat.events.at(-1), {type: 'done', text: r.chat.text});
    assert.equal(r.chat.text.trim(), input.text);
    assert.equal(r.chat.afterReset, '');
    assert.deepEqual(r.chat.interrupt, {type: 'interrupt', token: 1});
    assert.ok(r.chatStopTokens.includes(2));

    const kinds = r.reasoning.map((e) => e.type).filter((t) => t !== 'idle');
    assert.equal(kinds[0], 'start');
    assert.equal(kinds.at(-1), 'end');
    assert.equal(r.reasoning.find((e) => e.type === 'end').text, 'a small thought');
    // Deltas stream the reasoning; what arrives with the closing tag comes in 'end' only.
    const streamed = r.reasoning.filter((e) => e.type === 'delta').map((e) => e.text).join('');
    assert.ok('a small thought'.startsWith(streamed), streamed);
    const calls = r.tools.filter((e) => e.type !== 'idle');
    assert.deepEqual(calls, [{type: 'start'}, {type: 'call', name: 'add', args: '{"a":1}'}]);
    assert.equal(r.toolsBad.length, 2);
    assert.equal(r.toolsBad[1].type, 'error');
    assert.equal(r.nativeMatcher, true);
    assert.equal(r.nativeCall.stopReason, 'stop');
    assert.equal(r.nativeCall.events.length, 2, JSON.stringify(r.nativeCall.events));
    const [opened, called] = r.nativeCall.events;
    assert.deepEqual(opened, {type: 'start'});
    assert.equal(called.type, 'call');
    assert.ok(['add', 'get_weather'].includes(called.name), called.name);
    const args = JSON.parse(called.args);
    assert.ok(args !== null && typeof args === 'object' && !Array.isArray(args));
    for (const value of Object.values(args)) {
      assert.ok(value === null || ['string', 'number', 'boolean'].includes(typeof value));
    }
    assert.ok(r.chatHelpersWithoutTemplate, 'chat helpers need a template');
    assert.ok(r.turnWithoutTemplate, 'a turn needs a template');

    assert.match(result.stderr, /plain message/);
    assert.match(result.stderr, /\{"structured":\[1,2\]\}/);
    assert.equal(r.subscriptionClass, true);
    assert.deepEqual(r.broadcast, ['first', '{"second":true}']);
    assert.equal(r.iterated, 'third');
    assert.equal(r.afterUnsubscribe, undefined);
    assert.equal(r.disposedNext, undefined);
    assert.deepEqual(r.pulled, ['one', 'two']);
    for (const [what, message] of Object.entries(r.notBuilt))
      assert.match(message ?? '', /not built/, what);
  });
});

describe('session.receive', () => {
  it('receives the lines of weft program run\'s stdin, then not_found at its end', async () => {
    const result =
        await runProgram(program('session_receive.js'), {stdin: 'first line\n{"second": 2}\n'});
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(
        result.value,
        {received: ['first line', '{"second": 2}'], end: {protocol: true, code: 'not_found'}});
  });
});

// Independent references for attention masks: a mask equal to the causal one is the pass
// without masks; a token that sees only itself computes from its own embedding alone (a
// softmax over one score; rotary positions touch only scores), so it has the logits of that
// token alone in a new context. Both byte for byte.
describe('Forward.attentionMask', () => {
  let r;
  const decode = (rows) => rows.map((text) => Buffer.from(text, 'base64'));

  before(async () => {
    r = await programValue(
        program('attention_masks.js'), {input: {promptTokens: prompt, added: greedy.slice(0, 4)}});
  });

  it('gives the unmasked logits for masks equal to the causal ones', () => {
    assert.equal(r.plainLogits.length, 4);
    assert.deepEqual(decode(r.causalMaskLogits), decode(r.plainLogits));
  });

  it('gives a token that sees only itself the logits of that token alone', () => {
    assert.equal(r.selfOnlyLogits.length, 4);
    assert.deepEqual(decode(r.selfOnlyLogits), decode(r.aloneLogits));
    assert.notDeepEqual(decode(r.selfOnlyLogits)[0], decode(r.plainLogits)[0]);
  });

  it('changes the logits of rows whose mask hides positions', () => {
    for (let row = 0; row < 4; row++)
      assert.notDeepEqual(decode(r.hiddenLogits)[row], decode(r.plainLogits)[row], `row ${row}`);
  });
});

describe('session.sendFile and receiveFile', () => {
  it('receives the files of --file in order; sendFile writes them into --files-out', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-files-'));
    const out = mkdtempSync(path.join(os.tmpdir(), 'weft-files-out-'));
    const every = Buffer.from(Array.from({length: 256}, (_, i) => i));  // every byte value
    const text = Buffer.from('second file\n\u00e9');
    writeFileSync(path.join(dir, 'a.bin'), every);
    writeFileSync(path.join(dir, 'b.bin'), text);
    const result = await runProgram(program('files.js'), {
      args: [
        '--file', path.join(dir, 'a.bin'), '--file', path.join(dir, 'b.bin'), '--files-out', out
      ],
    });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.value.received, [256, text.length]);
    assert.equal(result.value.isUint8Array, true);
    assert.equal(result.value.afterLast.code, 'not_found', JSON.stringify(result.value.afterLast));
    assert.equal(result.value.notBytes.name, 'TypeError');
    assert.deepEqual(readdirSync(out).sort(), ['file-1.bin', 'file-2.bin', 'file-3.bin']);
    assert.deepEqual(readFileSync(path.join(out, 'file-1.bin')), every);
    assert.deepEqual(readFileSync(path.join(out, 'file-2.bin')), Buffer.from(text).reverse());
    assert.deepEqual(readFileSync(path.join(out, 'file-3.bin')), every.subarray(250));
  });

  it('refuses sendFile without --files-out', async () => {
    const result = await runProgram(
        'import {session} from "inferlet";\n' +
        'export async function main() { session.sendFile(new Uint8Array([1])); }\n');
    assert.equal(result.status, 1);
    assert.match(result.stderr, /--files-out/);
  });
});

// stories260K has no chat template: a tiny random-weight model with SmolLM2's tokenizer (weft
// mkmodel; weft formats it with ChatML, as SmolLM2's own template does when the conversation
// starts with a system message) checked against the renderings of SmolLM2's Jinja template
// (../shared/models/chat-templates/expected).
describe('chat turns and helpers', () => {
  const expected = JSON.parse(readFileSync(
      path.join(
          sharedDir,
          'models/chat-templates/expected/HuggingFaceTB-SmolLM2-135M-Instruct.expected.json'),
      'utf8'));
  const cases = expected.filter((c) => c.messages[0].role === 'system');
  let r;

  before(async () => {
    const model = path.join(mkdtempSync(path.join(os.tmpdir(), 'weft-chat-model-')), 'chat.gguf');
    const made = await runWeft([
      'mkmodel',
      '--arch',
      'llama',
      '--dim',
      '64',
      '--layers',
      '1',
      '--heads',
      '2',
      '--ffn',
      '64',
      '--vocab',
      '49152',
      '--type',
      'f32',
      '--ctx',
      '512',
      '--tokenizer',
      path.join(sharedDir, 'models/smollm2-tokenizer/tokenizer.json'),
      model
    ]);
    assert.equal(made.status, 0, made.stderr);
    r = await programValue(program('chat_turns.js'), {model, input: {cases}});
  });

  it('renders system/user/assistant turns and cue as the template does', () => {
    assert.ok(cases.length >= 2);
    for (const [i, c] of r.cases.entries()) assert.deepEqual(c.tokens, c.expected, cases[i].case);
  });

  it('seals a generated answer as an assistant message, then takes the next turn', () => {
    const s = r.sealed;
    assert.equal(s.answer.length, 6);
    assert.deepEqual(s.beforeSeal, [...s.prompt, ...s.answer]);
    assert.deepEqual(s.afterSeal, [...s.prompt, ...s.answer, ...s.closing]);
    assert.deepEqual(s.afterSecondCue, [...s.secondTurn, s.second[0]]);
  });

  it('appends no cue with autoFlush: false', () => {
    const n = r.noAutoFlush;
    assert.equal(n.generated.length, 1);
    assert.deepEqual(n.tokens, [...n.expectedPrefix, ...n.generated]);
  });

  it('gives the token helpers of the template', () => {
    const h = r.helpers;
    const e = r.expectedHelpers;
    for (const what of ['system', 'user', 'assistant', 'cue', 'seal'])
      assert.deepEqual(h[what], e[what], what);
    assert.ok(h.stopTokens.includes(e.imEnd[0]), '<|im_end|> is a stop token');
    assert.deepEqual(h.answer, e.answerTool);
    assert.match(h.equip, /<tools>\n\{"name":"add","parameters":\{\}\}\n<\/tools>/);
  });
});
