// weft serve --http driven by the official `ollama` npm client, on the stub backend and on the
// real stories260K model.
import assert from 'node:assert/strict';
import {after, before, describe, it} from 'node:test';
import {Ollama} from 'ollama';

import {l2Norm, startServer, stubAnswer, stubText, targets} from './harness.mjs';

const userMessage = (content) => [{role: 'user', content}];
const isNanoseconds = (value) => Number.isInteger(value) && value >= 0;

function assertFinalCounters(response) {
  assert.equal(response.done, true);
  assert.ok(['stop', 'length'].includes(response.done_reason), response.done_reason);
  assert.ok(Number.isInteger(response.prompt_eval_count) && response.prompt_eval_count > 0);
  assert.ok(Number.isInteger(response.eval_count) && response.eval_count >= 0);
  for (const field of ['total_duration', 'prompt_eval_duration', 'eval_duration']) {
    assert.ok(isNanoseconds(response[field]), `${field}: ${response[field]}`);
  }
  assert.ok(response.total_duration >= response.eval_duration);
}

for (const target of targets) {
  describe(`ollama client against weft serve --http (${target.name})`, () => {
    let server;
    let ollama;
    let model;

    before(async () => {
      server = await startServer({args: target.args, env: {WEFT_STUB_DELAY_MS: '1'}});
      ollama = new Ollama({host: server.url});
    });
    after(async () => server?.stop());

    it('GET / answers that Ollama is running', async () => {
      const response = await fetch(server.url + '/');
      assert.equal(response.status, 200);
      assert.match(await response.text(), /Ollama is running/);
      const head = await fetch(server.url + '/', {method: 'HEAD'});
      assert.equal(head.status, 200);
    });

    it('version', async () => {
      const {version} = await ollama.version();
      assert.equal(typeof version, 'string');
      assert.ok(version.length > 0);
    });

    it('list (tags) names the served model', async () => {
      const {models} = await ollama.list();
      assert.ok(models.length >= 1);
      for (const entry of models) {
        assert.equal(typeof entry.name, 'string');
        assert.equal(typeof entry.model, 'string');
        assert.ok(Number.isInteger(entry.size));
        assert.equal(typeof entry.digest, 'string');
        assert.ok(!Number.isNaN(Date.parse(entry.modified_at)), 'modified_at is a date');
        assert.equal(typeof entry.details, 'object');
      }
      model = models[0].name;
      if (target.native) {
        assert.match(model, /stories260K/);
        assert.equal(models[0].details.format, 'gguf');
        assert.equal(models[0].details.family, 'llama');
      }
    });

    it('show gives details, the template and the model info', async () => {
      const shown = await ollama.show({model});
      assert.equal(typeof shown.details, 'object');
      assert.equal(typeof shown.model_info, 'object');
      assert.ok(Array.isArray(shown.capabilities));
      assert.ok(shown.capabilities.includes('completion'));
      if (target.native) {
        assert.equal(shown.model_info['general.architecture'], 'llama');
        assert.equal(shown.model_info['llama.embedding_length'], 64);
        assert.equal(typeof shown.template, 'string');
        assert.equal(typeof shown.parameters, 'string');
      }
    });

    it('show of an unknown model is a 404 ResponseError', async () => {
      await assert.rejects(ollama.show({model: 'no-such-model-xyz'}), (error) => {
        assert.equal(error.name, 'ResponseError');
        assert.equal(error.status_code, 404);
        return true;
      });
    });

    it('chat, not streamed', async () => {
      const response = await ollama.chat({
        model,
        messages: userMessage('Once upon a time'),
        stream: false,
        options: {num_predict: 8, temperature: 0},
      });
      assert.equal(typeof response.model, 'string');
      assert.ok(!Number.isNaN(Date.parse(response.created_at)));
      assert.equal(response.message.role, 'assistant');
      assert.equal(typeof response.message.content, 'string');
      assertFinalCounters(response);
      assert.ok(response.eval_count >= 1 && response.eval_count <= 8);
      if (!target.native) {
        assert.equal(response.message.content, stubAnswer(8));
        assert.equal(response.done_reason, 'length');
        assert.equal(response.eval_count, 8);
      }
    });

    it('chat streamed: the parts reassemble to the non-streamed answer', async () => {
      const request = {
        model,
        messages: userMessage('Once upon a time'),
        options: {num_predict: 12, temperature: 0}
      };
      const whole = await ollama.chat({...request, stream: false});
      let text = '';
      let parts = 0;
      let last = null;
      for await (const part of await ollama.chat({...request, stream: true})) {
        parts += 1;
        assert.equal(part.message.role, 'assistant');
        text += part.message.content;
        last = part;
      }
      assert.ok(parts >= 2);
      assert.equal(text, whole.message.content);
      assertFinalCounters(last);
      assert.equal(last.done_reason, whole.done_reason);
      assert.equal(last.eval_count, whole.eval_count);
    });

    it('chat options.stop ends before the stop text', async () => {
      if (target.native) return;  // the openai tests check stop strings on the real model
      const response = await ollama.chat({
        model,
        messages: userMessage('hello'),
        stream: false,
        options: {stop: ['model']},
      });
      assert.equal(response.message.content, stubText.slice(0, stubText.indexOf('model')));
      assert.equal(response.done_reason, 'stop');
    });

    it('generate, streamed and not', async () => {
      const request = {
        model,
        prompt: 'Once upon a time',
        options: {num_predict: 8, temperature: 0}
      };
      const whole = await ollama.generate({...request, stream: false});
      assert.equal(typeof whole.response, 'string');
      assertFinalCounters(whole);
      if (!target.native) assert.equal(whole.response, stubAnswer(8));
      let text = '';
      let last = null;
      for await (const part of await ollama.generate({...request, stream: true})) {
        text += part.response;
        last = part;
      }
      assert.equal(text, whole.response);
      assertFinalCounters(last);
    });

    it('ps lists the loaded model', async () => {
      const {models} = await ollama.ps();
      assert.ok(models.length >= 1);
      assert.ok(
          models.some((entry) => entry.name === model || entry.model === model),
          JSON.stringify(models));
      for (const entry of models) {
        assert.ok(Number.isInteger(entry.size));
        assert.equal(typeof entry.details, 'object');
      }
    });

    it('an unknown model in chat is a 404 ResponseError', async () => {
      await assert.rejects(
          ollama.chat({model: 'no-such-model-xyz', messages: userMessage('hi'), stream: false}),
          (error) => error.name === 'ResponseError' && error.status_code === 404);
    });

    if (target.native) {
      it('options.seed at temperature 1 reproduces the answer', async () => {
        const ask = async (seed) => (await ollama.generate({
                                      model,
                                      prompt: 'Once upon a time',
                                      stream: false,
                                      options: {seed, temperature: 1, num_predict: 30},
                                    })).response;
        assert.equal(await ask(9), await ask(9));
      });

      it('embed: one unit vector per input; legacy embeddings agrees', async () => {
        const input = ['Once upon a time', 'The cat sat on the mat'];
        const result = await ollama.embed({model, input});
        assert.equal(result.embeddings.length, 2);
        for (const vector of result.embeddings) {
          assert.ok(vector.length > 0);
          assert.ok(Math.abs(l2Norm(vector) - 1) < 1e-3);
        }
        assert.notDeepEqual(result.embeddings[0], result.embeddings[1]);
        const legacy = await ollama.embeddings({model, prompt: input[0]});
        assert.equal(legacy.embedding.length, result.embeddings[0].length);
        // The legacy endpoint does not normalise (as Ollama's does not), so compare directions.
        const norm = l2Norm(legacy.embedding);
        legacy.embedding.forEach((value, i) => {
          assert.ok(Math.abs(value / norm - result.embeddings[0][i]) < 1e-4);
        });
      });
    }
  });
}

describe('ollama client: abort frees the request', () => {
  const tokenDelayMs = 400;  // the canned answer's 27 words take about 11 s
  const idleDeadlineMs = 4_000;
  let server;
  let ollama;
  let model;

  before(async () => {
    server = await startServer({env: {WEFT_STUB_DELAY_MS: String(tokenDelayMs)}});
    ollama = new Ollama({host: server.url});
    model = (await ollama.list()).models[0].name;
  });
  after(async () => server?.stop());

  it('client.abort() ends every streamed request and the daemon goes idle', async () => {
    const streams = await Promise.all([1, 2].map(() => ollama.chat({
      model,
      messages: userMessage('hello'),
      stream: true,
      options: {num_predict: 100},
    })));
    const readers = streams.map(async (stream) => {
      let text = '';
      for await (const part of stream) text += part.message.content;
      return text;
    });
    // Let both streams start, then abort everything this client has in flight.
    await new Promise((resolve) => setTimeout(resolve, 2 * tokenDelayMs));
    ollama.abort();
    const outcomes = await Promise.allSettled(readers);
    for (const outcome of outcomes) {
      assert.equal(outcome.status, 'rejected', 'the stream ended by the abort');
      assert.equal(outcome.reason.name, 'AbortError', String(outcome.reason));
    }
    await server.waitIdle(idleDeadlineMs);
  });

  it('AbortableAsyncIterator.abort() on one generate stream', async () => {
    const stream =
        await ollama.generate({model, prompt: 'hello', stream: true, options: {num_predict: 100}});
    await assert.rejects(async () => {
      for await (const part of stream) {
        if (part.response) stream.abort();
      }
    }, (error) => error.name === 'AbortError');
    await server.waitIdle(idleDeadlineMs);
  });
});
