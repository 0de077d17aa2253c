// The daemon's HTTP API as the page uses it: the served model's name from /v1/models, and
// streamed answers from Ollama's /api/chat (NDJSON: one line per piece of text, then a last
// line with the token count and the server-measured generation time). Aborting the request's
// signal closes the connection, which cancels the generation on the server.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

function requestHeaders(apiKey, withJsonBody) {
  const headers = {};
  if (withJsonBody) headers['Content-Type'] = 'application/json';
  if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
  return headers;
}

// The error a failed response carries, in either API's shape.
async function responseError(response) {
  let message = `HTTP ${response.status}`;
  try {
    const body = await response.json();
    const error = body && body.error;
    if (typeof error === 'string')
      message = error;
    else if (error && typeof error.message === 'string')
      message = error.message;
  } catch {
    // Not JSON: the status says enough.
  }
  if (response.status === 401) message = `${message} (enter the daemon's API key in Settings)`;
  return new ApiError(response.status, message);
}

// The name of the model the daemon serves: /v1/models lists it first.
export async function fetchModelName({apiKey, signal} = {}) {
  const response = await fetch('/v1/models', {headers: requestHeaders(apiKey, false), signal});
  if (!response.ok) throw await responseError(response);
  const body = await response.json();
  const first = Array.isArray(body.data) ? body.data[0] : null;
  if (!first || typeof first.id !== 'string') {
    throw new ApiError(response.status, '/v1/models listed no model');
  }
  return first.id;
}

async function* ndjsonLines(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for (;;) {
      const {value, done} = await reader.read();
      buffered += decoder.decode(value ?? new Uint8Array(), {stream: !done});
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line !== '') yield JSON.parse(line);
      }
      if (done) break;
    }
    if (buffered.trim() !== '') yield JSON.parse(buffered);
  } finally {
    reader.releaseLock();
  }
}

// Streams one answer. Yields {type: 'text', text} for each piece, then
// {type: 'done', tokens, seconds, reason}. Throws ApiError for an error answer or an error
// line in the stream, and the fetch's AbortError when `signal` aborts.
export async function* streamChat({messages, options, apiKey, signal}) {
  const response = await fetch('/api/chat', {
    method: 'POST',
    headers: requestHeaders(apiKey, true),
    body: JSON.stringify({messages, options, stream: true}),
    signal,
  });
  if (!response.ok) throw await responseError(response);
  for await (const line of ndjsonLines(response.body)) {
    if (line.error !== undefined) throw new ApiError(response.status, String(line.error));
    const text = line.message && line.message.content;
    if (typeof text === 'string' && text !== '') yield {type: 'text', text};
    if (line.done === true) {
      yield {
        type: 'done',
        tokens: Number(line.eval_count) || 0,
        seconds: (Number(line.eval_duration) || 0) / 1e9,
        reason: String(line.done_reason ?? ''),
      };
      return;
    }
  }
  throw new ApiError(response.status, 'the answer ended without its last line');
}
