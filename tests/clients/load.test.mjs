// Load: 64 concurrent streaming clients on the stub backend, each sending several requests;
// every answer must be the one its own request asked for. Then admission: beyond
// --parallel + --queue the server answers 429 or 503 with Retry-After.
import assert from 'node:assert/strict';
import {after, before, describe, it} from 'node:test';
import OpenAI from 'openai';

import {startServer, stubAnswer, stubWords} from './harness.mjs';

const clients = 64;
const requestsPerClient = 4;

// Each request is told apart by two numbers the stub makes visible: its prompt's word count
// (the stub reports it as usage.prompt_tokens) and max_tokens (the stub's answer is exactly
// that many words of its canned text). Neighbouring requests differ in both.
function requestShape(client, round) {
  const serial = client * requestsPerClient + round;
  const promptWords = 1 + (serial % 29);
  const maxTokens = 1 + ((serial * 7) % (stubWords.length - 1));
  const prompt = Array.from({length: promptWords}, (_, i) => `w${serial}_${i}`).join(' ');
  return {serial, promptWords, maxTokens, prompt};
}

async function streamOne(openai, model, shape) {
  const stream = await openai.chat.completions.create({
    model,
    messages: [{role: 'user', content: shape.prompt}],
    max_tokens: shape.maxTokens,
    stream: true,
    stream_options: {include_usage: true},
  });
  const ids = new Set();
  let text = '';
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    ids.add(chunk.id);
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      text += choice.delta?.content ?? '';
      finish = choice.finish_reason ?? finish;
    }
  }
  return {ids, text, finish, usage};
}

describe('64 concurrent streaming clients on the stub backend', () => {
  let server;
  let openai;
  let model;

  before(async () => {
    // --queue holds every client that does not get one of the --parallel slots at once.
    server = await startServer({
      args: ['--backend', 'stub', '--parallel', '16', '--queue', String(clients)],
      env: {WEFT_STUB_DELAY_MS: '2'},
    });
    openai = new OpenAI(
        {baseURL: server.openaiBaseURL, apiKey: 'weft-test', maxRetries: 0, timeout: 120_000});
    model = (await openai.models.list()).data[0].id;
  });
  after(async () => server?.stop());

  it('every request gets its own complete answer', async (t) => {
    const started = Date.now();
    const results = await Promise.all(Array.from({length: clients}, async (_, client) => {
      const mine = [];
      for (let round = 0; round < requestsPerClient; round += 1) {
        const shape = requestShape(client, round);
        mine.push({shape, result: await streamOne(openai, model, shape)});
      }
      return mine;
    }));
    const elapsedMs = Date.now() - started;
    const seenIds = new Set();
    let tokens = 0;
    for (const {shape, result} of results.flat()) {
      const where = `request ${shape.serial}`;
      assert.equal(result.ids.size, 1, `${where}: one completion id across its chunks`);
      const [id] = result.ids;
      assert.ok(!seenIds.has(id), `${where}: completion id ${id} is not reused`);
      seenIds.add(id);
      assert.equal(result.text, stubAnswer(shape.maxTokens), where);
      assert.equal(result.finish, 'length', where);
      assert.ok(result.usage, `${where}: usage chunk`);
      assert.equal(result.usage.prompt_tokens, shape.promptWords, `${where}: prompt_tokens`);
      assert.equal(result.usage.completion_tokens, shape.maxTokens, `${where}: completion_tokens`);
      tokens += shape.maxTokens;
    }
    assert.equal(seenIds.size, clients * requestsPerClient);
    t.diagnostic(`${clients * requestsPerClient} requests, ${tokens} tokens in ${elapsedMs} ms`);
    await server.waitIdle(10_000);
  });
});

describe('admission beyond --parallel and --queue', () => {
  const parallel = 1;
  const queue = 2;
  const burst = 8;
  let server;
  let model;

  before(async () => {
    // 200 ms per token and 10 tokens: each admitted request holds its slot for 2 s, far longer
    // than the burst takes to arrive.
    server = await startServer({
      args: ['--backend', 'stub', '--parallel', String(parallel), '--queue', String(queue)],
      env: {WEFT_STUB_DELAY_MS: '200'},
    });
    const openai = new OpenAI({baseURL: server.openaiBaseURL, apiKey: 'weft-test', maxRetries: 0});
    model = (await openai.models.list()).data[0].id;
  });
  after(async () => server?.stop());

  const routes = [
    {
      name: 'OpenAI /v1/chat/completions',
      path: '/v1/chat/completions',
      body: () => ({model, messages: [{role: 'user', content: 'hi'}], max_tokens: 10}),
      errorMessage: (body) => body.error?.message
    },
    {
      name: 'Ollama /api/chat',
      path: '/api/chat',
      body: () => ({
        model,
        messages: [{role: 'user', content: 'hi'}],
        stream: false,
        options: {num_predict: 10}
      }),
      errorMessage: (body) => body.error
    },
  ];

  for (const route of routes) {
    it(`${route.name}: 429 or 503 with Retry-After beyond the queue`, async () => {
      const responses = await Promise.all(Array.from({length: burst}, async () => {
        const response = await fetch(server.url + route.path, {
          method: 'POST',
          headers: {'Content-Type': 'application/json'},
          body: JSON.stringify(route.body()),
        });
        return {
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          body: await response.json()
        };
      }));
      const refused = responses.filter((r) => r.status === 429 || r.status === 503);
      const served = responses.filter((r) => r.status === 200);
      assert.equal(
          served.length + refused.length, burst, JSON.stringify(responses.map((r) => r.status)));
      assert.equal(served.length, parallel + queue, 'one running and two waiting are served');
      for (const response of refused) {
        assert.match(response.retryAfter ?? '', /^[1-9][0-9]*$/, 'Retry-After in seconds');
        const message = route.errorMessage(response.body);
        assert.equal(typeof message, 'string', JSON.stringify(response.body));
      }
      await server.waitIdle(10_000);
    });
  }
});
