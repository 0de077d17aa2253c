// Renders the Markdown that chat models write (fenced code blocks, inline code, bold, italic,
// headings, lists, paragraphs, links) as DOM nodes. Model output never becomes HTML: every
// piece of its text enters the page through createTextNode, elements come from the fixed tag
// names below, and the only attribute that takes a value from the text is a link's href, kept
// only when it parses as an absolute http: or https: URL (otherwise the link stays text). The
// page's Content-Security-Policy (Trusted Types) backs this up: an HTML string sink such as
// innerHTML throws there.

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)[^`]*$/;
const BULLET_ITEM = /^[ \t]*[-*+][ \t]+(.*)$/;
const ORDERED_ITEM = /^[ \t]*(\d{1,9})[.)][ \t]+(.*)$/;
const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const LANGUAGE_NAME = /^[\w+#.-]{1,32}$/;

// One alternative per inline form; the earliest match in the text wins.
const INLINE = new RegExp(
    [
      /(?<ticks>`+)(?<code>[^`]|[^`][\s\S]*?[^`])\k<ticks>(?!`)/.source,
      /\[(?<label>[^\]\n]+)\]\((?<href>[^)\s]+)\)/.source,
      /\*\*(?<strong>\S(?:[\s\S]*?\S)?)\*\*/.source,
      /(?<![\w_])__(?<strong2>\S(?:[\s\S]*?\S)?)__(?![\w_])/.source,
      /\*(?<em>[^*\s](?:[^*]*?[^*\s])?)\*/.source,
      /(?<![\w_])_(?<em2>[^_\s](?:[^_]*?[^_\s])?)_(?![\w_])/.source,
      /(?<url>https?:\/\/[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'"])/.source,
    ].join('|'),
    'g');

// The href to use for a link written in the text, or null when it is not an absolute
// http(s) URL (javascript:, data:, relative paths and anything unparsable stay text).
export function safeHref(text) {
  let url;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
}

function appendText(parent, text) {
  if (text !== '') parent.appendChild(parent.ownerDocument.createTextNode(text));
}

function appendLink(parent, href, label) {
  const doc = parent.ownerDocument;
  const anchor = doc.createElement('a');
  anchor.setAttribute('href', href);
  anchor.setAttribute('rel', 'noopener noreferrer nofollow');
  anchor.setAttribute('target', '_blank');
  renderInline(label, anchor, true);
  parent.appendChild(anchor);
}

// Appends the inline content of `text` to `parent`. Links do not nest: inside one, link
// syntax and bare URLs stay text.
export function renderInline(text, parent, insideLink = false) {
  const doc = parent.ownerDocument;
  let position = 0;
  for (const match of text.matchAll(INLINE)) {
    const groups = match.groups;
    const before = text.slice(position, match.index);
    position = match.index + match[0].length;
    if (groups.code !== undefined) {
      appendText(parent, before);
      const code = doc.createElement('code');
      code.textContent = groups.code;
      parent.appendChild(code);
    } else if (groups.label !== undefined || groups.url !== undefined) {
      const href = insideLink ? null : safeHref(groups.href ?? groups.url);
      appendText(parent, before);
      if (href === null) {
        appendText(parent, match[0]);
      } else {
        appendLink(parent, href, groups.label ?? groups.url);
      }
    } else {
      appendText(parent, before);
      const strong = groups.strong ?? groups.strong2;
      const element = doc.createElement(strong !== undefined ? 'strong' : 'em');
      renderInline(strong ?? groups.em ?? groups.em2, element, insideLink);
      parent.appendChild(element);
    }
  }
  appendText(parent, text.slice(position));
}

function isListItem(line) { return BULLET_ITEM.test(line) || ORDERED_ITEM.test(line); }

function startsBlock(line) {
  return FENCE_OPEN.test(line) || HEADING.test(line) || isListItem(line);
}

// A fenced code block from lines[start]; an unclosed fence runs to the end (an answer still
// streaming). Returns the index after the block.
function renderFence(lines, start, open, parent) {
  const doc = parent.ownerDocument;
  const marker = open[1];
  const close = new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}[ \\t]*$`);
  let end = start + 1;
  while (end < lines.length && !close.test(lines[end])) ++end;
  const pre = doc.createElement('pre');
  const code = doc.createElement('code');
  if (LANGUAGE_NAME.test(open[2])) code.className = `language-${open[2]}`;
  code.textContent = lines.slice(start + 1, end).join('\n');
  pre.appendChild(code);
  parent.appendChild(pre);
  return Math.min(end + 1, lines.length);
}

// Consecutive items of one kind (bullets or numbers) make one list; blank lines between
// items and indented continuation lines stay in it; nesting is flattened.
function renderList(lines, start, parent) {
  const doc = parent.ownerDocument;
  const ordered = ORDERED_ITEM.exec(lines[start]);
  const itemPattern = ordered ? ORDERED_ITEM : BULLET_ITEM;
  const list = doc.createElement(ordered ? 'ol' : 'ul');
  if (ordered && ordered[1] !== '1') list.setAttribute('start', String(parseInt(ordered[1], 10)));
  let index = start;
  let itemLines = [];
  const flush = () => {
    if (itemLines.length === 0) return;
    const item = doc.createElement('li');
    renderLines(itemLines, item);
    list.appendChild(item);
    itemLines = [];
  };
  while (index < lines.length) {
    const line = lines[index];
    const item = itemPattern.exec(line);
    if (item) {
      flush();
      itemLines.push(item[item.length - 1]);
    } else if (line.trim() === '') {
      let next = index + 1;
      while (next < lines.length && lines[next].trim() === '') ++next;
      if (next >= lines.length || !itemPattern.test(lines[next])) break;
    } else if (/^[ \t]/.test(line) && !FENCE_OPEN.test(line)) {
      itemLines.push(line.trim());
    } else {
      break;
    }
    ++index;
  }
  flush();
  parent.appendChild(list);
  return index;
}

// Lines joined by line breaks, each rendered inline.
function renderLines(lines, parent) {
  lines.forEach((line, i) => {
    if (i > 0) parent.appendChild(parent.ownerDocument.createElement('br'));
    renderInline(line, parent);
  });
}

function renderParagraph(lines, start, parent) {
  let end = start + 1;
  while (end < lines.length && lines[end].trim() !== '' && !startsBlock(lines[end])) ++end;
  const paragraph = parent.ownerDocument.createElement('p');
  renderLines(lines.slice(start, end), paragraph);
  parent.appendChild(paragraph);
  return end;
}

// The DOM of `text` (a string of Markdown) as a DocumentFragment of `doc`.
export function renderMarkdown(text, doc = document) {
  const fragment = doc.createDocumentFragment();
  const lines = String(text).replace(/\r\n?/g, '\n').split('\n');
  let index = 0;
  while (index < lines.length) {
    const line = lines[index];
    if (line.trim() === '') {
      ++index;
      continue;
    }
    const fence = FENCE_OPEN.exec(line);
    const heading = fence ? null : HEADING.exec(line);
    if (fence) {
      index = renderFence(lines, index, fence, fragment);
    } else if (heading) {
      const element = doc.createElement(`h${Math.min(heading[1].length + 2, 6)}`);
      renderInline(heading[2], element);
      fragment.appendChild(element);
      ++index;
    } else if (isListItem(line)) {
      index = renderList(lines, index, fragment);
    } else {
      index = renderParagraph(lines, index, fragment);
    }
  }
  return fragment;
}
