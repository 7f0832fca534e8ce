// Small fetch helpers for the server's REST API. Errors are RFC 7807 problems; ApiError keeps the field messages.
export class ApiError extends Error {
  constructor(status, problem) {
    const fields = problem?.errors ? Object.entries(problem.errors).map(([field, messages]) => `${field}: ${[].concat(messages).join(' ')}`) : [];
    super(fields.length > 0 ? fields.join('\n') : (problem?.detail ?? problem?.title ?? `HTTP ${status}`));
    this.status = status;
    this.problem = problem;
  }
}

async function parse(response) {
  const text = await response.text();
  let body = null;
  if (text) {
    try { body = JSON.parse(text); } catch { body = { detail: text }; }
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

// The API key, for a server that asks for one (docs/SERVER.md, Security model): kept in this browser's localStorage,
// asked for on a 401 and sent as a bearer token; a WebSocket carries it as a subprotocol, since a page cannot set a
// WebSocket's headers.
const KEY_STORAGE = 'ringside.apiKey';

export function apiKey() {
  try { return localStorage.getItem(KEY_STORAGE); } catch { return null; }
}

function withKey(headers = {}) {
  const key = apiKey();
  return key ? { ...headers, Authorization: `Bearer ${key}` } : headers;
}

/** fetch with the API key; on a 401 the user is asked for a key once and the request is sent again. */
export async function apiFetch(url, init = {}) {
  const sent = apiKey();
  const response = await fetch(url, { ...init, headers: withKey(init.headers) });
  if (response.status !== 401) return response;
  // Another request may have asked already; else ask now (a cancelled prompt leaves the 401).
  if (apiKey() === sent) {
    const key = window.prompt('This server needs an API key (`ringside apikey create`). Key:');
    if (!key?.trim()) return response;
    localStorage.setItem(KEY_STORAGE, key.trim());
  }
  return fetch(url, { ...init, headers: withKey(init.headers) });
}

/** A WebSocket to this server, offering the API key when there is one. */
export function openSocket(url) {
  const key = apiKey();
  return key ? new WebSocket(url, ['ringside', `ringside.key.${key}`]) : new WebSocket(url);
}

/** Headers that a loader (three.js's GLTFLoader) sends with its requests. */
export function keyHeaders() {
  return withKey();
}

export async function getJson(url) {
  return parse(await apiFetch(url, { headers: { Accept: 'application/json' } }));
}

export async function postJson(url, body) {
  return parse(await apiFetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) }));
}

export async function postForm(url, form) {
  return parse(await apiFetch(url, { method: 'POST', body: form, headers: { Accept: 'application/json' } }));
}
