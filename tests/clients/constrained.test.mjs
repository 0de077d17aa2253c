// Constrained generation checked by a validator weft did not write (ajv): many seeded
// generations at temperature 1, through `weft run --json-schema` and through the HTTP
// `response_format` / Ollama `format`, must all parse and fit their schema. Every schema here
// is finite (bounded strings and arrays), so with enough tokens each generation must end by
// itself ("stop"), never by the token limit.
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {Ollama} from 'ollama';
import OpenAI from 'openai';

import {runWeft, runWeftAsync, sharedDir, startServer, storiesModel} from './harness.mjs';

const seeds = Number(process.env.WEFT_CONSTRAINED_SEEDS ?? 6);
// Enough for the longest answer these schemas allow, whitespace included: the converter
// allows up to 32 whitespace characters in each gap between JSON tokens, and stories260K,
// whose whitespace tokens are one character each, fills them (about 650 tokens for
// nested_objects).
const maxTokens = 1500;
const seedList = Array.from({length: seeds}, (_, i) => i + 1);
const prompt = 'Write the JSON answer.';

export const schemas = {
  required_properties: {
    type: 'object',
    properties: {
      name: {type: 'string', minLength: 1, maxLength: 12},
      age: {type: 'integer', minimum: 0, maximum: 120},
      member: {type: 'boolean'},
    },
    required: ['name', 'age', 'member'],
    additionalProperties: false,
  },
  enums_and_const: {
    type: 'object',
    properties: {
      color: {enum: ['red', 'green', 'blue']},
      size: {type: 'string', enum: ['S', 'M', 'L', 'XL']},
      kind: {const : 'shirt'},
    },
    required: ['color', 'size', 'kind'],
    additionalProperties: false,
  },
  bounded_array: {
    type: 'array',
    items: {type: 'integer', minimum: -5, maximum: 5},
    minItems: 2,
    maxItems: 4,
  },
  nested_objects: {
    type: 'object',
    properties: {
      point: {
        type: 'object',
        properties: {
          x: {type: 'integer', minimum: 0, maximum: 99},
          y: {type: 'integer', minimum: -99, maximum: 0}
        },
        required: ['x', 'y'],
        additionalProperties: false,
      },
      tags: {type: 'array', items: {enum: ['a', 'b']}, maxItems: 3},
      label: {type: ['string', 'null'], maxLength: 8},
    },
    required: ['point', 'tags', 'label'],
    additionalProperties: false,
  },
  pattern: {
    type: 'object',
    properties: {code: {type: 'string', pattern: '^[A-Z]{2}-[0-9]{3}$'}},
    required: ['code'],
    additionalProperties: false,
  },
  formats: {
    type: 'object',
    properties: {
      day: {type: 'string', format: 'date'},
      id: {type: 'string', format: 'uuid'},
      choice: {anyOf: [{type: 'integer', minimum: 1, maximum: 9}, {type: 'boolean'}]},
    },
    required: ['day', 'id', 'choice'],
    additionalProperties: false,
  },
};

const ajv = new Ajv({strict: true, allowUnionTypes: true, allErrors: true});
addFormats(ajv);
const validators = Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => [name, ajv.compile(schema)]));

function assertValid(schemaName, text, where) {
  let value;
  assert.doesNotThrow(() => {
    value = JSON.parse(text);
  }, `${where}: output is not JSON: ${JSON.stringify(text)}`);
  const validate = validators[schemaName];
  assert.ok(
      validate(value),
      `${where}: ${JSON.stringify(text)} does not fit ${schemaName}: ` +
          ajv.errorsText(validate.errors));
}

// Models: stories260K (a trained model, 512-token SentencePiece vocabulary) and a synthetic
// model carrying SmolLM2's 49,152-token byte-level BPE vocabulary (built here with `weft
// mkmodel`), whose multi-character tokens cross JSON's structure.
let scratch;
// stories260K's file says a 128-token context (it was trained at 512, ../shared/models/
// README.md); the grammar keeps the output valid past either.
const models = [{name: 'stories260K', path: storiesModel, ctx: '2048'}];

before(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'weft-constrained-'));
  const bpeModel = path.join(scratch, 'smollm2-vocab-tiny.gguf');
  const made = runWeft([
    'mkmodel', '--dim', '64', '--layers', '2', '--heads', '2', '--ffn', '128', '--tokenizer',
    path.join(sharedDir, 'models/smollm2-tokenizer/tokenizer.json'), '--type', 'f32', bpeModel
  ]);
  assert.equal(made.status, 0, `weft mkmodel: ${made.stderr}`);
  models.push({name: 'smollm2-vocab', path: bpeModel, ctx: '2048'});
});
after(() => rmSync(scratch, {recursive: true, force: true}));

describe('weft run --json-schema: every seeded generation validates', () => {
  for (const modelIndex of [0, 1]) {
    for (const schemaName of Object.keys(schemas)) {
      it(`${modelIndex === 0 ? 'stories260K' : 'smollm2-vocab'}: ${schemaName}`, async () => {
        const model = models[modelIndex];
        await Promise.all(seedList.map(async (seed) => {
          const result = await runWeftAsync([
            'run', '--model', model.path, '--ctx', model.ctx, '--json-schema',
            JSON.stringify(schemas[schemaName]), '--seed', String(seed), '--temperature', '1', '-n',
            String(maxTokens), prompt
          ]);
          const where = `${model.name} seed ${seed}`;
          assert.equal(result.status, 0, `${where}: ${result.stderr}`);
          assertValid(schemaName, result.stdout.trim(), where);
        }));
      });
    }
  }
});

describe('HTTP response_format and Ollama format: every seeded generation validates', () => {
  for (const modelIndex of [0, 1]) {
    describe(modelIndex === 0 ? 'stories260K' : 'smollm2-vocab', () => {
      let server;
      let openai;
      let ollama;
      let servedModel;

      before(async () => {
        const model = models[modelIndex];
        server = await startServer({args: ['--model', model.path, '--ctx', model.ctx]});
        openai = new OpenAI(
            {baseURL: server.openaiBaseURL, apiKey: 'weft-test', maxRetries: 0, timeout: 300_000});
        ollama = new Ollama({host: server.url});
        servedModel = (await openai.models.list()).data[0].id;
      });
      after(async () => server?.stop());

      for (const schemaName of Object.keys(schemas)) {
        it(`response_format json_schema: ${schemaName}`, async () => {
          await Promise.all(seedList.map(async (seed) => {
            const completion = await openai.chat.completions.create({
              model: servedModel,
              messages: [{role: 'user', content: prompt}],
              temperature: 1,
              seed,
              max_tokens: maxTokens,
              response_format: {
                type: 'json_schema',
                json_schema: {name: schemaName, strict: true, schema: schemas[schemaName]}
              },
            });
            const [choice] = completion.choices;
            const where = `seed ${seed}`;
            assert.equal(choice.finish_reason, 'stop', `${where}: ${choice.message.content}`);
            assertValid(schemaName, choice.message.content, where);
          }));
        });

        it(`ollama format schema: ${schemaName}`, async () => {
          await Promise.all(seedList.map(async (seed) => {
            const response = await ollama.chat({
              model: servedModel,
              messages: [{role: 'user', content: prompt}],
              stream: false,
              format: schemas[schemaName],
              options: {seed, temperature: 1, num_predict: maxTokens},
            });
            const where = `seed ${seed}`;
            assert.equal(response.done_reason, 'stop', `${where}: ${response.message.content}`);
            assertValid(schemaName, response.message.content, where);
          }));
        });
      }

      // Free-form JSON has no bound (strings, nesting), so a length stop is legitimate: such
      // an answer must still have begun as an object; one that ended by itself must parse as one.
      it('response_format json_object: answers are JSON objects', async () => {
        await Promise.all(seedList.map(async (seed) => {
          const completion = await openai.chat.completions.create({
            model: servedModel,
            messages: [{role: 'user', content: prompt}],
            temperature: 1,
            seed,
            max_tokens: 400,
            response_format: {type: 'json_object'},
          });
          const [choice] = completion.choices;
          const text = choice.message.content;
          if (choice.finish_reason === 'length') {
            assert.match(text, /^\s*\{/, `seed ${seed}`);
            return;
          }
          assert.equal(choice.finish_reason, 'stop');
          const value = JSON.parse(text);
          assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), text);
        }));
      });
    });
  }
});
