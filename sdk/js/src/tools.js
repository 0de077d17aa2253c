// tools: a decoder of <tool_call>{"name": …, "arguments": …}</tool_call> in sampled tokens,
// and the prompt helpers. weft's chat_tokens has no tools argument, so equipPrefix writes the
// tool list as a system message in the Hermes style (<tools>…</tools>) that Qwen-family
// templates use; nativeMatcher returns undefined (no enforceable native format here).
import {IncrementalText} from './incremental_text.js';
import {TagScanner} from './tag_scanner.js';
import {call, ProtocolError} from './transport.js';

class Decoder {
  #text;
  #scanner = new TagScanner('<tool_call>', '</tool_call>');

  constructor(model) { this.#text = new IncrementalText(model); }

  // 'start' when a call begins, 'call' {name, args (JSON text)} when it closes, 'error'
  // {message} for a call that is not {"name", "arguments"} JSON, 'idle' otherwise.
  feed(tokens) {
    const found = this.#scanner.push(this.#text.push(tokens));
    if (found.closed) {
      try {
        const parsed = JSON.parse(found.body);
        if (typeof parsed?.name !== 'string') throw new Error('no "name"');
        return {type: 'call', name: parsed.name, args: JSON.stringify(parsed.arguments ?? {})};
      } catch (error) {
        return {
          type: 'error',
          message: `inferlet: a tool call is not {"name", "arguments"} JSON: ${error.message}`
        };
      }
    }
    if (found.opened) return {type: 'start'};
    return {type: 'idle'};
  }

  reset() {
    this.#text.reset();
    this.#scanner.reset();
  }
}

function render(messages) {
  return Uint32Array.from(call('chat_tokens', {messages, generation_prompt: false}).tokens);
}

export const tools = Object.freeze({
  Decoder,
  equipPrefix(model, schemas) {
    const list = Array.from(
        schemas, (schema) => (typeof schema === 'string' ? schema : JSON.stringify(schema)));
    const text =
        '# Tools\n\nYou may call one or more functions to assist with the user query.\n\n' +
        'You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n' +
        list.join('\n') +
        '\n</tools>\n\nFor each function call, return a json object with function name and arguments within ' +
        '<tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n' +
        '</tool_call>';
    return render([{role: 'system', content: text}]);
  },
  answerPrefix(model, name, value) {
    const content = typeof value === 'string' ? value : JSON.stringify(value);
    try {
      return render([{role: 'tool', name: String(name), content}]);
    } catch (error) {
      if (!(error instanceof ProtocolError) || error.code !== 'invalid_request') throw error;
      return render([{role: 'user', content: `<tool_response>\n${content}\n</tool_response>`}]);
    }
  },
  nativeMatcher() { return undefined;},
});
