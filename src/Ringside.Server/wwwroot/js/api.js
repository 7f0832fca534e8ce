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

export async function getJson(url) {
  return parse(await fetch(url, { headers: { Accept: 'application/json' } }));
}

export async function postJson(url, body) {
  return parse(await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) }));
}

export async function postForm(url, form) {
  return parse(await fetch(url, { method: 'POST', body: form, headers: { Accept: 'application/json' } }));
}
