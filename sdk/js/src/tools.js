// tools: a decoder of <tool_call>{"name": …, "arguments": …}</tool_call> in sampled tokens,
// and the prompt helpers. weft's chat_tokens has no tools argument, so equipPrefix writes the
// tool list as a system message in the Hermes style (<tools>…</tools>) that Qwen-family
// templates use, and nativeMatcher enforces that same call format.
import {Grammar, Matcher} from './constraints.js';
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
  // A Matcher of one Hermes-style call, <tool_call>\n{"name": NAME, "arguments": {…}}\n
  // </tool_call>, NAME one of the schemas' names (`name` or `function.name`). The arguments
  // are a flat JSON object (at most 4 members; string, number, boolean and null values;
  // strings of at most 24 characters) so that every call ends. undefined without a named
  // schema.
  nativeMatcher(model, schemas) {
    const names = Array
                      .from(
                          schemas ?? [],
                          (schema) => {
                            const parsed = typeof schema === 'string' ? JSON.parse(schema) : schema;
                            return parsed?.name ?? parsed?.function?.name;
                          })
                      .filter((name) => typeof name === 'string' && name !== '');
    if (names.length === 0) return undefined;
    // A GBNF literal of the JSON text of `value`.
    const literal = (value) => JSON.stringify(JSON.stringify(value));
    const gbnf = [
      String
          .raw`root ::= "<tool_call>\n{\"name\": " name ", \"arguments\": " args "}\n</tool_call>"`,
      `name ::= ${names.map(literal).join(' | ')}`,
      String.raw`args ::= "{" ( pair ( ", " pair ){0,3} )? "}"`,
      String.raw`pair ::= string ": " value`,
      String.raw`value ::= string | number | "true" | "false" | "null"`,
      String.raw`string ::= "\"" [^"\\\n]{0,24} "\""`,
      String.raw`number ::= "-"? [0-9]{1,12} ( "." [0-9]{1,12} )?`,
    ].join('\n');
    return new Matcher(Grammar.fromEbnf(gbnf), model.tokenizer());
  },
});
