// Constrained JSON extraction: the answer is generated under a JSON Schema (the grammar runs
// in weft, one round trip per token) and parsed by collectJson.
//
//   weft program run examples/programs/json_extraction.js --input '{"text": "Tom is a boy. He
//   is 7."}'
import {Context, Model, Sampler} from 'inferlet';

export const schema = {
  type: 'object',
  properties: {
    name: {type: 'string', minLength: 1, maxLength: 10},
    age: {type: 'integer', minimum: 0, maximum: 120},
  },
  required: ['name', 'age'],
  additionalProperties: false,
};

export async function main(input) {
  const text = input?.text ?? 'Tom is a boy. He is 7 years old.';
  const model = Model.load('default');
  const ctx = new Context(model);
  ctx.appendText(`${text}\nThe person as JSON: `);
  const g = ctx.generate(
      Sampler.topK(input?.temperature ?? 0.8, 20), {maxTokens: input?.maxTokens ?? 600});
  const value = await g.collectJson({schema: JSON.stringify(schema)});
  const tokens = g.tokensGenerated;
  ctx.release();
  return {value, tokens, stopReason: g.stopReason};
}
