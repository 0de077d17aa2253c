// The chat page of `weft serve --http` (docs/ui.md): sends the conversation to /api/chat,
// shows the answer as it streams, stops it on request, and keeps the conversation, the
// settings and the API key in localStorage. Model output is rendered by markdown.js, which
// builds DOM nodes and never parses HTML.

import {ApiError, fetchModelName, streamChat} from './api.js';
import {renderMarkdown} from './markdown.js';
import * as store from './store.js';

const element = (id) => document.getElementById(id);
const view = {
  model: element('model'),
  newChat: element('new-chat'),
  settings: element('settings'),
  settingsForm: element('settings-form'),
  system: element('system'),
  temperature: element('temperature'),
  topP: element('top-p'),
  maxTokens: element('max-tokens'),
  apiKey: element('api-key'),
  messages: element('messages'),
  status: element('status'),
  composer: element('composer'),
  prompt: element('prompt'),
  send: element('send'),
  stop: element('stop'),
};

let conversation = store.loadConversation();
let running = null;  // the AbortController of the answer being streamed

function showStatus(text, isError = false) {
  view.status.textContent = text;
  view.status.classList.toggle('error', isError);
}

function metaText(meta) {
  if (!meta || meta.tokens === null) return '';
  const parts = [`${meta.tokens} tokens`];
  if (meta.tokensPerSecond !== null) {
    parts.push(`${meta.estimated ? '≈' : ''}${meta.tokensPerSecond.toFixed(1)} tokens/s`);
  }
  if (meta.stopped) parts.push('stopped');
  if (meta.reason === 'length') parts.push('max tokens reached');
  return parts.join(' · ');
}

function addCopyButtons(container) {
  for (const pre of container.querySelectorAll('pre')) {
    const code = pre.querySelector('code');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'copy';
    button.textContent = 'copy';
    button.addEventListener('click', () => {
      navigator.clipboard.writeText(code.textContent)
          .then(
              () => showStatus('Copied.'),
              () => showStatus('The browser refused the clipboard.', true));
    });
    pre.appendChild(button);
  }
}

// Fills a message's element from the message: user text as typed, answers as Markdown.
function renderMessage(message, root, state) {
  root.className = `message ${message.role}${message.error ? ' error' : ''}`;
  root.dataset.state = state;
  const content = root.querySelector('.content');
  if (message.role === 'user') {
    content.textContent = message.content;
  } else {
    content.replaceChildren(renderMarkdown(message.error ?? message.content));
    if (state !== 'streaming') addCopyButtons(content);
  }
  root.querySelector('.meta').textContent = metaText(message.meta);
}

// How a stored message ended: shown in its element's data-state.
function finishedState(message) {
  if (message.error) return 'error';
  return message.meta && message.meta.stopped ? 'stopped' : 'done';
}

function appendMessage(message, state = finishedState(message)) {
  const root = document.createElement('article');
  const role = document.createElement('div');
  role.className = 'role';
  role.textContent = message.role === 'user' ? 'you' : 'assistant';
  const content = document.createElement('div');
  content.className = 'content';
  const meta = document.createElement('div');
  meta.className = 'meta';
  root.append(role, content, meta);
  renderMessage(message, root, state);
  view.messages.appendChild(root);
  return root;
}

function scrollToEnd() { window.scrollTo(0, document.body.scrollHeight); }

// Whether the reader is at the end of the page (then a growing answer keeps it there; one who
// scrolled up to read stays put).
function atEnd() { return window.innerHeight + window.scrollY >= document.body.scrollHeight - 48; }

function setBusy(busy) {
  document.body.dataset.state = busy ? 'streaming' : 'idle';
  view.send.disabled = busy;
  view.stop.disabled = !busy;
}

function saveConversation() {
  if (!store.saveConversation(conversation)) {
    showStatus('The browser did not let the page store the conversation.', true);
  }
}

// The settings as /api/chat options and an optional system message; throws with the
// browser's own validation message when a field is out of range.
function requestSettings() {
  const options = {};
  const numbers =
      [[view.temperature, 'temperature'], [view.topP, 'top_p'], [view.maxTokens, 'num_predict']];
  for (const [input, option] of numbers) {
    if (!input.checkValidity()) {
      throw new Error(
          `${input.labels[0].firstChild.textContent.trim()}: ${input.validationMessage}`);
    }
    if (input.value !== '') options[option] = Number(input.value);
  }
  const system = view.system.value.trim();
  return {options, system: system === '' ? null : {role: 'system', content: system}};
}

function historyForRequest() {
  return conversation.filter((message) => !message.error && message.content !== '')
      .map(({role, content}) => ({role, content}));
}

async function send(text, settings) {
  const history = historyForRequest();
  const user = {role: 'user', content: text};
  conversation.push(user);
  appendMessage(user);
  const messages = [...(settings.system ? [settings.system] : []), ...history, user];
  const answer = {role: 'assistant', content: ''};
  conversation.push(answer);
  const root = appendMessage(answer, 'streaming');
  saveConversation();
  scrollToEnd();

  const controller = new AbortController();
  running = controller;
  setBusy(true);
  showStatus('');
  let pieces = 0;
  let firstPieceAt = null;
  // Leaving the page (a reload, a closed tab) ends the request like Stop; what had arrived is
  // kept.
  const keepOnLeave = () => {
    controller.abort();
    answer.meta ??=
        {tokens: pieces, tokensPerSecond: null, estimated: true, stopped: true, reason: ''};
    saveConversation();
  };
  window.addEventListener('pagehide', keepOnLeave);
  // At most one render a frame while text streams in.
  let queuedFrame = null;
  const renderSoon = () => {
    if (queuedFrame !== null) return;
    queuedFrame = requestAnimationFrame(() => {
      queuedFrame = null;
      const following = atEnd();
      renderMessage(answer, root, 'streaming');
      if (following) scrollToEnd();
    });
  };
  let state = 'done';
  try {
    for await (const event of streamChat({
      messages,
      options: settings.options,
      apiKey: view.apiKey.value,
      signal: controller.signal
    })) {
      if (event.type === 'text') {
        firstPieceAt ??= performance.now();
        ++pieces;
        answer.content += event.text;
        renderSoon();
      } else {
        answer.meta = {
          tokens: event.tokens,
          tokensPerSecond: event.seconds > 0 ? event.tokens / event.seconds : null,
          estimated: false,
          stopped: false,
          reason: event.reason,
        };
      }
    }
  } catch (error) {
    if (controller.signal.aborted) {
      state = 'stopped';
      const seconds = firstPieceAt === null ? 0 : (performance.now() - firstPieceAt) / 1000;
      answer.meta = {
        tokens: pieces,
        tokensPerSecond: seconds > 0 && pieces > 1 ? (pieces - 1) / seconds : null,
        estimated: true,
        stopped: true,
        reason: '',
      };
    } else {
      state = 'error';
      answer.error = error instanceof Error ? error.message : String(error);
      if (answer.content !== '') answer.error = `${answer.content}\n\n${answer.error}`;
      showStatus(answer.error, true);
    }
  } finally {
    window.removeEventListener('pagehide', keepOnLeave);
    if (queuedFrame !== null) cancelAnimationFrame(queuedFrame);
    running = null;
    setBusy(false);
    renderMessage(answer, root, state);
    saveConversation();
    scrollToEnd();
  }
}

function stop() {
  if (running) running.abort();
}

function newChat() {
  stop();
  conversation = [];
  store.clearConversation();
  view.messages.replaceChildren();
  showStatus('');
  view.prompt.focus();
}

async function showModelName() {
  for (let attempt = 0;; ++attempt) {
    try {
      const name = await fetchModelName({apiKey: view.apiKey.value});
      view.model.textContent = name;
      return;
    } catch (error) {
      const status = error instanceof ApiError ? error.status : 0;
      if (status === 401) {
        view.model.textContent = 'API key needed';
        view.settings.open = true;
        showStatus(error.message, true);
        return;
      }
      // 503 while the daemon loads its model, or the daemon restarting: ask again.
      view.model.textContent = status === 503 ? 'loading…' : 'unreachable';
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * (attempt + 1), 5000)));
    }
  }
}

function loadSettingsIntoForm() {
  const settings = store.loadSettings();
  view.system.value = settings.system;
  view.temperature.value = settings.temperature;
  view.topP.value = settings.top_p;
  view.maxTokens.value = settings.max_tokens;
  view.apiKey.value = store.loadApiKey();
}

function saveSettingsFromForm() {
  store.saveSettings({
    system: view.system.value,
    temperature: view.temperature.value,
    top_p: view.topP.value,
    max_tokens: view.maxTokens.value,
  });
}

function start() {
  loadSettingsIntoForm();
  for (const message of conversation) appendMessage(message);
  setBusy(false);
  view.settingsForm.addEventListener('input', saveSettingsFromForm);
  view.settingsForm.addEventListener('submit', (event) => event.preventDefault());
  view.apiKey.addEventListener('change', () => {
    store.saveApiKey(view.apiKey.value);
    showStatus('');
    showModelName();
  });
  view.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = view.prompt.value;
    if (running || text.trim() === '') return;
    let settings;
    try {
      settings = requestSettings();
    } catch (error) {
      // The message stays in the composer until the setting is fixed.
      view.settings.open = true;
      showStatus(error.message, true);
      return;
    }
    view.prompt.value = '';
    send(text, settings);
  });
  view.prompt.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      view.composer.requestSubmit();
    }
  });
  view.stop.addEventListener('click', stop);
  view.newChat.addEventListener('click', newChat);
  scrollToEnd();
  showModelName();
}

start();
