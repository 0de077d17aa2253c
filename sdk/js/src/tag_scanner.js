// Finds an opening and a closing tag in streamed text (for <think>…</think> and
// <tool_call>…</tool_call>), holding back text that may be the start of a tag.
export class TagScanner {
  #open;
  #close;
  #pending = '';
  #inside = false;
  #body = '';

  constructor(open, close) {
    this.#open = open;
    this.#close = close;
  }

  static #heldBack(text, tag) {
    for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) {
      if (tag.startsWith(text.slice(text.length - n))) return n;
    }
    return 0;
  }

  // Adds text; returns {opened, closed, inside: text inside the tags released now, body: the
  // whole inside text when closed}.
  push(text) {
    this.#pending += text;
    const result = {opened: false, closed: false, inside: '', body: ''};
    if (!this.#inside) {
      const at = this.#pending.indexOf(this.#open);
      if (at < 0) {
        this.#pending = this.#pending.slice(
            this.#pending.length - TagScanner.#heldBack(this.#pending, this.#open));
        return result;
      }
      this.#inside = true;
      result.opened = true;
      this.#pending = this.#pending.slice(at + this.#open.length);
      this.#body = '';
    }
    const end = this.#pending.indexOf(this.#close);
    if (end >= 0) {
      result.inside = this.#pending.slice(0, end);
      this.#body += result.inside;
      result.closed = true;
      result.body = this.#body;
      this.#inside = false;
      this.#pending = this.#pending.slice(end + this.#close.length);
      return result;
    }
    const keep = TagScanner.#heldBack(this.#pending, this.#close);
    result.inside = this.#pending.slice(0, this.#pending.length - keep);
    this.#body += result.inside;
    this.#pending = this.#pending.slice(this.#pending.length - keep);
    return result;
  }

  get inside() { return this.#inside; }

  reset() {
    this.#pending = '';
    this.#inside = false;
    this.#body = '';
  }
}
