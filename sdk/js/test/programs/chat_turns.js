// Chat turns through the model's template (system/user/assistant/cue/seal), the chat and
// tools helpers, for sdk.test.mjs to compare with reference renderings.
import {chat, Context, Model, Sampler, tools} from 'inferlet';

export async function main(input) {
  const model = Model.load('default');
  const tk = model.tokenizer();
  const encode = (text) => Array.from(tk.encode(text, true));
  const r = {cases: []};
  for (const c of input.cases) {
    const ctx = new Context(model);
    for (const message of c.messages) ctx[message.role](message.content);
    if (c.add_generation_prompt) ctx.cue();
    await ctx.flush();
    r.cases.push({tokens: Array.from(ctx.info().tokens), expected: encode(c.expected)});
    ctx.release();
  }

  // A generated answer, sealed: the context then holds the conversation with the answer as
  // an assistant message.
  const ctx = new Context(model);
  ctx.system('Be brief.').user('Say something.');
  const g = ctx.generate(Sampler.argmax(), {maxTokens: 6});
  const answer = await g.collectTokens();
  await ctx.flush();
  const beforeSeal = Array.from(ctx.info().tokens);
  ctx.seal();
  await ctx.flush();
  const afterSeal = Array.from(ctx.info().tokens);
  ctx.user('More.');
  const second = await ctx.generate(Sampler.argmax(), {maxTokens: 2}).collectTokens();
  r.sealed = {
    prompt: encode(
        '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nSay something.<|im_end|>\n' +
        '<|im_start|>assistant\n'),
    answer: Array.from(answer),
    beforeSeal,
    afterSeal,
    closing: encode('<|im_end|>\n'),
    answerText: tk.decode(answer),
    afterSecondCue: Array.from(ctx.info().tokens).slice(afterSeal.length),
    secondTurn: encode('<|im_start|>user\nMore.<|im_end|>\n<|im_start|>assistant\n'),
    second: Array.from(second),
  };
  ctx.release();

  // autoFlush: false appends no cue: the generated token follows the user turn directly
  // (stop: [] so that whatever the random weights pick is kept).
  const plain = new Context(model);
  plain.system('Be brief.').user('Plain.');
  const noCue = await plain.generate(Sampler.argmax(), {maxTokens: 1, autoFlush: false, stop: []})
                    .collectTokens();
  await plain.flush();
  r.noAutoFlush = {
    tokens: Array.from(plain.info().tokens),
    generated: Array.from(noCue),
    expectedPrefix:
        encode('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nPlain.<|im_end|>\n'),
  };
  plain.release();

  r.helpers = {
    system: Array.from(chat.system(model, 'S')),
    user: Array.from(chat.user(model, 'U')),
    assistant: Array.from(chat.assistant(model, 'A')),
    cue: Array.from(chat.cue(model)),
    seal: Array.from(chat.seal(model)),
    stopTokens: Array.from(chat.stopTokens(model)),
    equip: tk.decode(tools.equipPrefix(model, [{name: 'add', parameters: {}}])),
    answer: Array.from(tools.answerPrefix(model, 'add', {sum: 3})),
  };
  r.expectedHelpers = {
    system: encode('<|im_start|>system\nS<|im_end|>\n'),
    user: encode('<|im_start|>user\nU<|im_end|>\n'),
    assistant: encode('<|im_start|>assistant\nA<|im_end|>\n'),
    cue: encode('<|im_start|>assistant\n'),
    seal: encode('<|im_end|>\n'),
    imEnd: encode('<|im_end|>'),
    answerTool: encode('<|im_start|>tool\n{"sum":3}<|im_end|>\n'),
  };
  return r;
}
