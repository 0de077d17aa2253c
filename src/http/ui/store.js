// What the page keeps in the browser's localStorage: the conversation, the sampling
// settings and the API key. Stored values are read back as untrusted input: anything that
// does not have the expected shape is dropped rather than shown.

const CONVERSATION_KEY = 'weft.ui.conversation';
const SETTINGS_KEY = 'weft.ui.settings';
const API_KEY_KEY = 'weft.ui.apiKey';

const ROLES = new Set(['user', 'assistant']);
const SETTING_NAMES = ['system', 'temperature', 'top_p', 'max_tokens'];

function read(key) {
  try {
    const text = localStorage.getItem(key);
    return text === null ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

// False when the browser refuses (storage disabled or full).
function write(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}

function finiteOrNull(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function validMeta(meta) {
  if (!meta || typeof meta !== 'object') return null;
  return {
    tokens: finiteOrNull(meta.tokens),
    tokensPerSecond: finiteOrNull(meta.tokensPerSecond),
    estimated: meta.estimated === true,
    stopped: meta.stopped === true,
    reason: typeof meta.reason === 'string' ? meta.reason : '',
  };
}

function validMessage(message) {
  if (!message || typeof message !== 'object') return null;
  if (!ROLES.has(message.role) || typeof message.content !== 'string') return null;
  const valid = {role: message.role, content: message.content};
  if (typeof message.error === 'string') valid.error = message.error;
  const meta = validMeta(message.meta);
  if (meta) valid.meta = meta;
  return valid;
}

export function loadConversation() {
  const stored = read(CONVERSATION_KEY);
  if (!Array.isArray(stored)) return [];
  return stored.map(validMessage).filter((message) => message !== null);
}

export function saveConversation(messages) { return write(CONVERSATION_KEY, messages); }

export function clearConversation() {
  try {
    localStorage.removeItem(CONVERSATION_KEY);
  } catch {
    // Storage disabled: there is nothing to clear.
  }
}

// {system, temperature, top_p, max_tokens}: strings as typed into the form.
export function loadSettings() {
  const stored = read(SETTINGS_KEY);
  const settings = {};
  for (const name of SETTING_NAMES) {
    const value = stored && typeof stored === 'object' ? stored[name] : undefined;
    settings[name] = typeof value === 'string' ? value : '';
  }
  return settings;
}

export function saveSettings(settings) { return write(SETTINGS_KEY, settings); }

export function loadApiKey() {
  const stored = read(API_KEY_KEY);
  return typeof stored === 'string' ? stored : '';
}

export function saveApiKey(key) { return write(API_KEY_KEY, key); }
