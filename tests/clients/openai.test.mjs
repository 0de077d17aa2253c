// weft serve --http driven by the official `openai` npm client (v4, the newest major that
// supports Node 18), on the stub backend and on the real stories260K model.
import assert from 'node:assert/strict';
import path from 'node:path';
import {after, before, describe, it} from 'node:test';
import OpenAI from 'openai';

import {l2Norm, sharedDir, startServer, storiesModel, stubAnswer, stubText, stubWords, targets} from './harness.mjs';

const userMessage = (content) => [{role: 'user', content}];

function openaiClient(server) {
  // The server runs without an API key; the client insists on one and sends it as a bearer
  // token, which the server must ignore.
  return new OpenAI(
      {baseURL: server.openaiBaseURL, apiKey: 'weft-test', maxRetries: 0, timeout: 120_000});
}

function assertUsage(usage) {
  assert.ok(usage, 'usage is present');
  assert.ok(Number.isInteger(usage.prompt_tokens) && usage.prompt_tokens > 0, 'prompt_tokens');
  assert.ok(Number.isInteger(usage.completion_tokens), 'completion_tokens');
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
}

function assertChatCompletion(completion, choices = 1) {
  assert.equal(completion.object, 'chat.completion');
  assert.equal(typeof completion.id, 'string');
  assert.ok(Number.isInteger(completion.created));
  assert.equal(typeof completion.model, 'string');
  assert.equal(completion.choices.length, choices);
  completion.choices.forEach((choice, index) => {
    assert.equal(choice.index, index);
    assert.equal(choice.message.role, 'assistant');
    assert.ok(
        ['stop', 'length', 'tool_calls'].includes(choice.finish_reason), choice.finish_reason);
  });
  assertUsage(completion.usage);
}

// Collects a streamed chat completion by choice index; returns the text, finish reasons and
// the usage chunk.
async function collectChatStream(stream) {
  const texts = new Map();
  const finishReasons = new Map();
  let usage = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      texts.set(choice.index, (texts.get(choice.index) ?? '') + (choice.delta?.content ?? ''));
      if (choice.finish_reason) finishReasons.set(choice.index, choice.finish_reason);
    }
  }
  return {texts, finishReasons, usage, chunks};
}

for (const target of targets) {
  describe(`openai client against weft serve --http (${target.name})`, () => {
    let server;
    let client;
    let model;

    before(async () => {
      server = await startServer({args: target.args, env: {WEFT_STUB_DELAY_MS: '1'}});
      client = openaiClient(server);
    });
    after(async () => server?.stop());

    it('models.list names the served model', async () => {
      const page = await client.models.list();
      assert.ok(page.data.length >= 1, 'at least one model');
      for (const entry of page.data) {
        assert.equal(entry.object, 'model');
        assert.equal(typeof entry.id, 'string');
        assert.ok(entry.id.length > 0);
      }
      model = page.data[0].id;
      if (target.native) assert.match(model, /stories260K/);
    });

    it('models.retrieve gives the served model', async () => {
      const one = await client.models.retrieve(model);
      assert.equal(one.id, model);
      assert.equal(one.object, 'model');
    });

    it('chat completion, not streamed', async () => {
      const completion = await client.chat.completions.create({
        model,
        messages: userMessage('Once upon a time'),
        max_tokens: 8,
        temperature: 0,
      });
      assertChatCompletion(completion);
      const [choice] = completion.choices;
      assert.equal(typeof choice.message.content, 'string');
      assert.ok(completion.usage.completion_tokens >= 1 && completion.usage.completion_tokens <= 8);
      if (!target.native) {
        assert.equal(choice.message.content, stubAnswer(8));
        assert.equal(choice.finish_reason, 'length');
        assert.equal(completion.usage.completion_tokens, 8);
      }
    });

    it('chat completion streamed: the chunks reassemble to the non-streamed answer', async () => {
      const request =
          {model, messages: userMessage('Once upon a time'), max_tokens: 12, temperature: 0};
      const whole = await client.chat.completions.create(request);
      const stream = await client.chat.completions.create({
        ...request,
        stream: true,
        stream_options: {include_usage: true},
      });
      const streamed = await collectChatStream(stream);
      assert.ok(streamed.chunks >= 2, 'more than one chunk');
      assert.equal(streamed.texts.get(0), whole.choices[0].message.content);
      assert.equal(streamed.finishReasons.get(0), whole.choices[0].finish_reason);
      assertUsage(streamed.usage);
      assert.equal(streamed.usage.completion_tokens, whole.usage.completion_tokens);

      // The client's own stream helper reassembles the message and insists on a finish_reason.
      const helper = client.beta.chat.completions.stream(request);
      const final = await helper.finalChatCompletion();
      assert.equal(final.choices[0].message.content, whole.choices[0].message.content);
      assert.equal(final.choices[0].finish_reason, whole.choices[0].finish_reason);
    });

    it('n > 1 gives that many choices, streamed and not', async () => {
      const request = {
        model,
        messages: userMessage('Tell me a story'),
        max_tokens: 6,
        n: 3,
        temperature: 1,
        seed: 5
      };
      const completion = await client.chat.completions.create(request);
      assertChatCompletion(completion, 3);
      const streamed =
          await collectChatStream(await client.chat.completions.create({...request, stream: true}));
      assert.deepEqual([...streamed.texts.keys()].sort(), [0, 1, 2]);
      for (const index of [0, 1, 2]) {
        assert.ok(['stop', 'length'].includes(streamed.finishReasons.get(index)));
        if (!target.native) assert.equal(streamed.texts.get(index), stubAnswer(6));
      }
    });

    it('stop strings end the answer before the stop text', async () => {
      let full = stubText;
      let stop = 'model';
      if (target.native) {
        const free = await client.chat.completions.create({
          model,
          messages: userMessage('Once upon a time'),
          max_tokens: 40,
          temperature: 0,
        });
        full = free.choices[0].message.content;
        // A word from the middle of the greedy answer: the same request with it as a stop
        // string must end right before its first occurrence.
        const words = full.match(/[A-Za-z]{3,}/g) ?? [];
        assert.ok(words.length >= 3, `a greedy answer with words: ${JSON.stringify(full)}`);
        stop = words[Math.floor(words.length / 2)];
      }
      const completion = await client.chat.completions.create({
        model,
        messages: userMessage('Once upon a time'),
        max_tokens: 40,
        temperature: 0,
        stop: [stop],
      });
      assert.equal(completion.choices[0].message.content, full.slice(0, full.indexOf(stop)));
      assert.equal(completion.choices[0].finish_reason, 'stop');
    });

    it('text completions, streamed and not', async () => {
      const completion = await client.completions.create({
        model,
        prompt: 'Once upon a time',
        max_tokens: 8,
        temperature: 0,
      });
      assert.equal(completion.object, 'text_completion');
      assert.equal(completion.choices.length, 1);
      assert.equal(typeof completion.choices[0].text, 'string');
      assert.ok(['stop', 'length'].includes(completion.choices[0].finish_reason));
      assertUsage(completion.usage);
      if (!target.native) assert.equal(completion.choices[0].text, stubAnswer(8));

      let text = '';
      let finish = null;
      const stream = await client.completions.create({
        model,
        prompt: 'Once upon a time',
        max_tokens: 8,
        temperature: 0,
        stream: true,
      });
      for await (const chunk of stream) {
        assert.equal(chunk.object, 'text_completion');
        for (const choice of chunk.choices) {
          text += choice.text;
          finish = choice.finish_reason ?? finish;
        }
      }
      assert.equal(text, completion.choices[0].text);
      assert.equal(finish, completion.choices[0].finish_reason);
    });

    it('a field of the wrong type is BadRequestError 400 naming the field', async () => {
      for (const [field, value] of [
               ['max_tokens', 'ten'], ['temperature', 'hot'], ['messages', 'hello']]) {
        await assert.rejects(
            client.chat.completions.create({model, messages: userMessage('hi'), [field]: value}),
            (error) => {
              assert.ok(error instanceof OpenAI.BadRequestError, `${field}: ${error}`);
              assert.equal(error.status, 400);
              assert.match(error.message, new RegExp(field));
              return true;
            });
      }
    });

    it('an unknown model is NotFoundError 404', async () => {
      await assert.rejects(
          client.chat.completions.create({model: 'no-such-model-xyz', messages: userMessage('hi')}),
          (error) => {
            assert.ok(error instanceof OpenAI.NotFoundError, String(error));
            assert.equal(error.status, 404);
            return true;
          });
    });

    it('tools round trip: tools accepted, a tool result sent back, a well-formed reply',
       async () => {
         const tools = [{
           type: 'function',
           function: {
             name: 'get_weather',
             description: 'The current weather in a city',
             parameters: {type: 'object', properties: {city: {type: 'string'}}, required: ['city']},
           },
         }];
         const first = await client.chat.completions.create({
           model,
           messages: userMessage('What is the weather in Paris?'),
           tools,
           max_tokens: 16,
         });
         assertChatCompletion(first);
         for (const call of first.choices[0].message.tool_calls ?? []) {
           assert.equal(call.type, 'function');
           assert.equal(call.function.name, 'get_weather');
           JSON.parse(call.function.arguments);
         }
         const second = await client.chat.completions.create({
           model,
           tools,
           max_tokens: 16,
           messages: [
             {role: 'user', content: 'What is the weather in Paris?'},
             {
               role: 'assistant',
               content: null,
               tool_calls: [{
                 id: 'call_1',
                 type: 'function',
                 function: {name: 'get_weather', arguments: '{"city":"Paris"}'}
               }]
             },
             {role: 'tool', tool_call_id: 'call_1', content: '{"temperature_c":21}'},
           ],
         });
         assertChatCompletion(second);
         assert.equal(typeof second.choices[0].message.content, 'string');
       });

    it('chat accepts system/developer messages and content-part arrays', async () => {
      const completion = await client.chat.completions.create({
        model,
        max_tokens: 4,
        messages: [
          {role: 'system', content: 'You tell stories.'},
          {role: 'developer', content: 'Be brief.'},
          {
            role: 'user',
            content: [{type: 'text', text: 'Once upon'}, {type: 'text', text: ' a time'}]
          },
        ],
      });
      assertChatCompletion(completion);
    });

    if (target.native) {
      it('logprobs with top_logprobs describe the chosen tokens', async () => {
        const completion = await client.chat.completions.create({
          model,
          messages: userMessage('Once upon a time'),
          max_tokens: 6,
          temperature: 0,
          logprobs: true,
          top_logprobs: 3,
        });
        const [choice] = completion.choices;
        const content = choice.logprobs?.content;
        assert.ok(Array.isArray(content), 'choices[0].logprobs.content');
        assert.equal(content.length, completion.usage.completion_tokens);
        assert.equal(content.map((entry) => entry.token).join(''), choice.message.content);
        for (const entry of content) {
          assert.ok(entry.logprob <= 0);
          assert.equal(entry.top_logprobs.length, 3);
          const probabilities = entry.top_logprobs.map((top) => top.logprob);
          assert.deepEqual(probabilities, [...probabilities].sort((a, b) => b - a));
          assert.ok(probabilities.reduce((sum, lp) => sum + Math.exp(lp), 0) <= 1 + 1e-4);
          // Greedy decoding picks the most probable token.
          assert.equal(entry.top_logprobs[0].token, entry.token);
          assert.ok(Math.abs(entry.top_logprobs[0].logprob - entry.logprob) < 1e-4);
          if (entry.bytes) assert.equal(Buffer.from(entry.bytes).toString('utf8'), entry.token);
        }
      });

      it('the same seed at temperature 1 gives the same answer; other seeds differ', async () => {
        const ask = async (seed) => (await client.chat.completions.create({
                                      model,
                                      messages: userMessage('Once upon a time'),
                                      max_tokens: 30,
                                      temperature: 1,
                                      seed,
                                    }))
                                        .choices[0]
                                        .message.content;
        const first = await ask(42);
        assert.equal(await ask(42), first);
        const others = await Promise.all([1, 2, 3, 4].map(ask));
        assert.ok(new Set([first, ...others]).size > 1, 'different seeds give some other text');
      });

      it('embeddings: one unit vector per input, base64 (the default) and float', async () => {
        const input = ['Once upon a time', 'The cat sat on the mat'];
        const viaBase64 = await client.embeddings.create({model, input});
        const viaFloat = await client.embeddings.create({model, input, encoding_format: 'float'});
        for (const result of [viaBase64, viaFloat]) {
          assert.equal(result.object, 'list');
          assert.equal(result.data.length, 2);
          result.data.forEach((entry, index) => {
            assert.equal(entry.object, 'embedding');
            assert.equal(entry.index, index);
            assert.ok(entry.embedding.length > 0);
            assert.ok(Math.abs(l2Norm(entry.embedding) - 1) < 1e-3);
          });
          assert.ok(result.usage.prompt_tokens > 0);
        }
        viaFloat.data.forEach((entry, index) => {
          const other = viaBase64.data[index].embedding;
          assert.equal(other.length, entry.embedding.length);
          entry.embedding.forEach((value, i) => assert.ok(Math.abs(value - other[i]) < 1e-6));
        });
        assert.notDeepEqual(viaFloat.data[0].embedding, viaFloat.data[1].embedding);
      });
    } else {
      it('embeddings on a backend without them is an API error, not a crash', async () => {
        await assert.rejects(
            client.embeddings.create({model, input: 'hello'}),
            (error) =>
                error instanceof OpenAI.APIError && error.status >= 400 && error.status < 600);
      });
    }
  });
}

// tool_choice "required" and a named function are enforced by a grammar in the model's own
// tool-call syntax. stories260K never calls a tool by itself; served with Qwen 2.5's template
// (Hermes-style <tool_call> markers), every forced answer must still be a parsed call.
describe('openai client: tool_choice forces a parsed tool call', () => {
  const qwenTemplate = path.join(sharedDir, 'models/chat-templates/Qwen-Qwen2.5-7B-Instruct.jinja');
  const tools = [
    {
      type: 'function',
      function: {
        name: 'get_weather',
        parameters: {
          type: 'object',
          properties: {city: {type: 'string', maxLength: 12}},
          required: ['city'],
          additionalProperties: false
        }
      },
    },
    {
      type: 'function',
      function: {
        name: 'get_time',
        parameters: {
          type: 'object',
          properties: {zone: {type: 'string', enum: ['UTC', 'CET']}},
          required: ['zone'],
          additionalProperties: false
        }
      },
    },
  ];
  let server;
  let client;
  let model;

  before(async () => {
    server = await startServer({
      // Qwen's tool prompt is about 720 tokens in stories260K's 512-token vocabulary.
      args: [
        '--backend', 'native', '--model', storiesModel, '--ctx', '2048', '--chat-template',
        qwenTemplate
      ]
    });
    client = openaiClient(server);
    model = (await client.models.list()).data[0].id;
  });
  after(async () => server?.stop());

  for (const seed of [1, 2, 3, 4]) {
    it(`tool_choice "required" yields a parsed tool call (seed ${seed})`, async () => {
      const completion = await client.chat.completions.create({
        model,
        messages: userMessage('What is the weather in Paris?'),
        tools,
        tool_choice: 'required',
        max_tokens: 400,
        temperature: 1,
        seed,
      });
      assertChatCompletion(completion);
      const [choice] = completion.choices;
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.equal(choice.message.tool_calls.length, 1);
      const [call] = choice.message.tool_calls;
      const args = JSON.parse(call.function.arguments);
      if (call.function.name === 'get_weather') {
        assert.equal(typeof args.city, 'string');
        assert.ok(args.city.length <= 12);
      } else {
        assert.equal(call.function.name, 'get_time');
        assert.ok(['UTC', 'CET'].includes(args.zone));
      }
    });
  }

  it('a named tool_choice calls that tool, also when streamed', async () => {
    const stream = await client.chat.completions.create({
      model,
      messages: userMessage('What time is it?'),
      tools,
      tool_choice: {type: 'function', function: {name: 'get_time'}},
      max_tokens: 400,
      temperature: 1,
      seed: 5,
      stream: true,
    });
    let name = '';
    let args = '';
    let finish = null;
    for await (const chunk of stream) {
      const [choice] = chunk.choices;
      if (!choice) continue;
      for (const delta of choice.delta.tool_calls ?? []) {
        name += delta.function?.name ?? '';
        args += delta.function?.arguments ?? '';
      }
      finish = choice.finish_reason ?? finish;
    }
    assert.equal(finish, 'tool_calls');
    assert.equal(name, 'get_time');
    assert.ok(['UTC', 'CET'].includes(JSON.parse(args).zone));
  });

  // Strict tools under tool_choice "auto" constrain a call only once the model opens one
  // (<tool_call>). stories260K answers in text, which stays free: the same request with the
  // tool forced (the grammar from the first token) must come back as a call instead.
  it('strict tools under tool_choice auto leave a text answer free', async () => {
    const strictTools = tools.map(tool => ({...tool, function: {...tool.function, strict: true}}));
    const ask = async (tool_choice, max_tokens) => client.chat.completions.create({
      model,
      messages: userMessage('Tell me a story.'),
      tools: strictTools,
      tool_choice,
      max_tokens,
      temperature: 1,
      seed: 11,
    });
    const text = await ask('auto', 40);
    assert.equal(text.choices[0].finish_reason, 'length');
    assert.ok(text.choices[0].message.content.length > 0);
    assert.ok(!text.choices[0].message.tool_calls?.length);
    const forced = await ask('required', 400);
    assert.equal(forced.choices[0].finish_reason, 'tool_calls');
  });
});

// Abort mid-stream: the stub's long per-token delay keeps a generation running for many
// seconds, so a daemon that does not cancel on disconnect stays busy well past the deadline.
describe('openai client: abort mid-stream frees the request', () => {
  const tokenDelayMs = 400;  // the canned answer's 27 words take about 11 s
  const idleDeadlineMs = 4_000;
  let server;
  let client;
  let model;

  before(async () => {
    server = await startServer({env: {WEFT_STUB_DELAY_MS: String(tokenDelayMs)}});
    client = openaiClient(server);
    model = (await client.models.list()).data[0].id;
  });
  after(async () => server?.stop());

  // The client ends the iteration quietly when its own abort stops the stream (no error is
  // thrown), so the checks are: the text stopped early, and the daemon went idle long before
  // the canned answer would have ended.
  async function readUntilFirstWordThen(stream, abort) {
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (text.length > 0) abort();
    }
    return text;
  }

  it('stream.controller.abort()', async () => {
    const started = Date.now();
    const stream = await client.chat.completions.create({
      model,
      messages: userMessage('hello'),
      max_tokens: 100,
      stream: true,
    });
    const text = await readUntilFirstWordThen(stream, () => stream.controller.abort());
    assert.ok(text.length > 0 && text.length < stubText.length && stubText.startsWith(text), text);
    await server.waitIdle(idleDeadlineMs);
    assert.ok(
        Date.now() - started < stubWords.length * tokenDelayMs, 'idle before the answer ends');
  });

  it('AbortController signal', async () => {
    const started = Date.now();
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
        {model, messages: userMessage('hello'), max_tokens: 100, stream: true},
        {signal: controller.signal});
    const text = await readUntilFirstWordThen(stream, () => controller.abort());
    assert.ok(text.length > 0 && text.length < stubText.length, text);
    await server.waitIdle(idleDeadlineMs);
    assert.ok(
        Date.now() - started < stubWords.length * tokenDelayMs, 'idle before the answer ends');
  });
});
