// chat: the chat decoder and the token helpers of the model's chat template (chat_tokens).
import {Decoder} from './chat_decoder.js';
import {call} from './transport.js';

function render(messages, generationPrompt) {
  return call('chat_tokens', {messages, generation_prompt: generationPrompt}).tokens;
}

function commonPrefixLength(a, b) {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

const probe = [{role: 'user', content: 'x'}];

// Each helper returns the template's rendering of one message alone (what the template puts
// before a first message, such as a BOS token, included), for ctx.append(...).
export const chat = Object.freeze({
  Decoder,
  system(model, message) {
    return Uint32Array.from(render([{role: 'system', content: String(message)}], false));
  },
  user(model, message) {
    return Uint32Array.from(render([{role: 'user', content: String(message)}], false));
  },
  assistant(model, message) {
    return Uint32Array.from(render([{role: 'assistant', content: String(message)}], false));
  },
  // The generation prompt (what the template adds after a conversation for the model to answer).
  cue(model) {
    const withPrompt = render(probe, true);
    const without = render(probe, false);
    return Uint32Array.from(withPrompt.slice(commonPrefixLength(withPrompt, without)));
  },
  // What closes an assistant message after its text (e.g. the end-of-turn token).
  seal(model) {
    const closed = render([...probe, {role: 'assistant', content: 'ok'}], false);
    const afterCue = closed.slice(commonPrefixLength(closed, render(probe, true)));
    // The answer's tokens in the rendering need not be encode('ok') (a SentencePiece
    // vocabulary spells text differently at the start of an encode): skip until they spell it.
    const tokenizer = model.tokenizer();
    for (let n = 1; n <= afterCue.length; n++) {
      if (tokenizer.decode(afterCue.slice(0, n)).replace(/^ +/, '') === 'ok')
        return Uint32Array.from(afterCue.slice(n));
    }
    throw new Error(
        'inferlet: the chat template does not render an assistant answer after its generation prompt');
  },
  stopTokens(model) { return Uint32Array.from(model.stopTokens);},
});
