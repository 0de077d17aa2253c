// An agent loop: the model writes; when it ends a sentence, the program runs a tool (here a
// word counter over the story so far) and appends the tool's answer to the context in the
// middle of the generation; the same generator then continues after it.
//
//   weft program run examples/programs/agent_tool.js --input '{"prompt": "Once upon a time"}'
import {chat, Context, Model, Sampler} from 'inferlet';

const tools = {
  count_words: ({text}) => String(text.trim().split(/\s+/).filter(Boolean).length),
};

export async function main(input) {
  const prompt = input?.prompt ?? 'Once upon a time';
  const maxCalls = input?.maxCalls ?? 2;
  const model = Model.load('default');
  const tokenizer = model.tokenizer();
  const ctx = new Context(model);
  ctx.appendText(prompt);
  await ctx.flush();
  const start = ctx.seqLen;

  const calls = [];
  let story = prompt;
  const text = new chat.Decoder(model);  // incremental decoding keeps the spaces between tokens
  const g = ctx.generate(Sampler.argmax(), {maxTokens: input?.maxTokens ?? 60});
  for await (const step of g) {
    const out = await step.execute();
    const event = text.feed(out.tokens);
    const piece = event.type === 'delta' ? event.text : '';
    story += piece;
    if (piece.includes('.') && calls.length < maxCalls) {
      const result = tools.count_words({text: story});
      // SentencePiece puts a space before encoded text: the result follows the sentence.
      const appended = `(${result} words so far.)`;
      ctx.appendText(appended);  // lands after the step's token, before the next pass
      calls.push({name: 'count_words', result, appended, atToken: g.tokensGenerated});
      story += ` ${appended}`;
    }
  }
  await ctx.flush();
  const transcript = tokenizer.decode(ctx.info().tokens.slice(start));
  ctx.release();
  return {prompt, calls, transcript};
}
