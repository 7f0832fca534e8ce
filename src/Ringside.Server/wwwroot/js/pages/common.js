// What every page shares: DOM and number helpers, polling that pauses in hidden tabs, a JSON WebSocket that reconnects,
// downloads, and window.ringsidePages: the page's state for the browser tests (ready, charts, what was shown).
import { ApiError, apiFetch, getJson, openSocket, postJson } from '../api.js';
import { $, el } from '../dom.js';

export { ApiError, getJson, postJson, $, el };
export { ACTION_NAMES, STEPS_PER_EPOCH, STEPS_PER_ITERATION, TICKS_PER_SECOND } from '../contract.js';

/** The page's hooks for tests and tooling. Charts register themselves in `charts` (name → Chart). */
export const pages = window.ringsidePages ??= { ready: false, page: '', charts: {}, state: {}, errors: [] };

/** The five personality sliders (docs/CONTRACT.md, "Personality → weights"), in the order the API names them. */
export const TRAITS = [
  { key: 'aggression', label: 'Aggression', short: 'AGG', hint: 'hits and knockouts count more, staying alive less' },
  { key: 'positioning', label: 'Positioning', short: 'POS', hint: 'being near the ropes costs more' },
  { key: 'targeting', label: 'Targeting', short: 'TGT', hint: 'finish one opponent rather than spread hits' },
  { key: 'risk_tolerance', label: 'Risk tolerance', short: 'RSK', hint: 'damage, the ropes and ring-outs cost less' },
  { key: 'endurance', label: 'Endurance', short: 'END', hint: 'every second survived counts more' },
];

/** The training modes (docs/CONTRACT.md, "Training modes"): presets that scale the reward terms and choose opponents. */
export const MODES = [
  { key: 'tactical', label: 'Tactical', hint: 'the seed weights: balanced' },
  { key: 'aggression', label: 'Aggression', hint: 'hit and finish: attacks and knockouts ×2/×1.5, survival ×0.5' },
  { key: 'survival', label: 'Survival', hint: 'stay alive: survival ×2, damage and ring-outs ×1.5, hits ×0.5' },
  { key: 'adaptation', label: 'Adaptation', hint: 'balanced weights, the most varied opponents' },
  { key: 'tournament', label: 'Tournament', hint: 'winning counts: eliminations both ways ×1.5, time ×0.5' },
];

/** Reward terms (contract v1), in the server's order. */
export const REWARD_TERMS = [
  { key: 'survival', label: 'Survival', hint: 'per second in the ring' },
  { key: 'attack_hit', label: 'Hit landed', hint: 'per hit' },
  { key: 'knockout', label: 'Knockout', hint: 'per opponent eliminated' },
  { key: 'damage_taken', label: 'Damage taken', hint: 'per standard hit taken' },
  { key: 'near_edge', label: 'Near the ropes', hint: 'per second within 1 m of the ropes' },
  { key: 'ring_out', label: 'Ring out', hint: 'leaving the ring' },
];

export const BOTS = ['chaser', 'cautious', 'random', 'idle'];


// ---- Numbers and dates ----

export function num(v, digits = 2) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return Number(v).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
export function int(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return Math.round(Number(v)).toLocaleString('en-US');
}
/** A fraction (0-1) as a percentage. */
export function pct(v, digits = 0) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return `${(Number(v) * 100).toFixed(digits)}%`;
}
/** 1234567 → "1.23M". */
export function compact(v) {
  if (v === null || v === undefined) return '—';
  return Number(v).toLocaleString('en-US', { notation: 'compact', maximumFractionDigits: 2 });
}
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  seconds = Math.max(0, Math.round(seconds));
  const h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${s} s`;
}
export function clock(seconds) {
  seconds = Math.max(0, seconds);
  return `${Math.floor(seconds / 60)}:${(seconds % 60).toFixed(1).padStart(4, '0')}`;
}
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  const seconds = (Date.now() - d.getTime()) / 1000;
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
}
export function fullDate(iso) {
  return iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : '';
}

export function badge(status) {
  return el('span', { class: `badge ${status}`, text: status });
}

/** A horizontal bar: label, a fill of value/max (negative values fill leftwards from the middle when signed). */
export function hbar(label, value, max, { text, signed = false, kind = '' } = {}) {
  const fill = el('div', { class: `fill ${kind}` });
  const f = max > 0 ? Math.min(1, Math.abs(value ?? 0) / max) : 0;
  if (signed) {
    fill.classList.add(value < 0 ? 'neg' : 'pos');
    fill.style.left = value < 0 ? `${50 - 50 * f}%` : '50%';
    fill.style.width = `${50 * f}%`;
  } else {
    fill.style.left = '0';
    fill.style.width = `${100 * f}%`;
  }
  return el('div', { class: 'hbar' }, el('span', { text: label }), el('div', { class: 'track' }, fill), el('span', { class: 'num', text: text ?? num(value) }));
}

// ---- Live updates ----

/**
 * Calls fn now and then every `ms` while the tab is visible (a hidden tab polls nothing and catches up when shown).
 * Returns {stop, now()}.
 */
export function every(ms, fn, { now = true } = {}) {
  let timer = 0, stopped = false, running = false;
  const run = async () => {
    if (stopped || running) return;
    running = true;
    try { await fn(); } catch (error) { reportError(error); } finally { running = false; }
    schedule();
  };
  const schedule = () => { clearTimeout(timer); if (!stopped && !document.hidden) timer = setTimeout(run, ms); };
  const onVisible = () => { if (!document.hidden) run(); else clearTimeout(timer); };
  document.addEventListener('visibilitychange', onVisible);
  if (now) run(); else schedule();
  return {
    stop() { stopped = true; clearTimeout(timer); document.removeEventListener('visibilitychange', onVisible); },
    now: run,
  };
}

/** Calls fn(...args) once `ms` after the last call. */
export function debounce(fn, ms) {
  let timer = 0;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

export function wsUrl(path) {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}

/**
 * A JSON WebSocket that reconnects (1, 2, 4 … 15 s) until closed. handlers: {message(msg), open(), close(event)}.
 * `subscribe` (message types) is sent on every (re)connection: the subscription message of docs/SERVER.md. `history` (training
 * sessions): each connection first replays the stored messages this page has not seen.
 */
export class LiveSocket {
  constructor(path, handlers, { subscribe = null, reconnect = true, history = false } = {}) {
    this.path = path;
    this.handlers = handlers;
    this.subscribe = subscribe;
    this.reconnect = reconnect;
    this.history = history;
    this.lastSequence = 0;
    this.closed = false;
    this.delay = 1000;
    this.received = 0;
    this._open();
  }

  get connected() { return this.socket?.readyState === WebSocket.OPEN; }

  _open() {
    // history: a training session's stream starts with the stored messages after the last one this page saw (all of
    // them on the first connection), so a page that opens late or reconnects misses nothing and sees nothing twice.
    let path = this.path;
    if (this.history) {
      const query = new URLSearchParams({ after_sequence: String(this.lastSequence) });
      if (this.subscribe) query.set('message_types', this.subscribe.join(','));
      path += (path.includes('?') ? '&' : '?') + query;
    }
    const socket = openSocket(wsUrl(path));
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.delay = 1000;
      if (this.subscribe) socket.send(JSON.stringify({ type: 'subscribe', message_types: this.subscribe }));
      this.handlers.open?.();
    });
    socket.addEventListener('message', e => {
      let message;
      try { message = JSON.parse(e.data); } catch { return; }
      if (this.history && typeof message.sequence === 'number') {
        if (message.sequence <= this.lastSequence) return;
        this.lastSequence = message.sequence;
      }
      this.received++;
      this.handlers.message?.(message);
    });
    socket.addEventListener('close', e => {
      if (this.socket !== socket) return;
      this.handlers.close?.(e);
      if (!this.closed && this.reconnect) {
        setTimeout(() => { if (!this.closed) this._open(); }, this.delay);
        this.delay = Math.min(15000, this.delay * 2);
      }
    });
  }

  close() {
    this.closed = true;
    try { this.socket?.close(1000, 'page closed'); } catch { /* already closed */ }
  }
}

// ---- Files ----

export function downloadJson(fileName, data) {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: fileName });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Exports a profile (with its model) as the server's JSON document and saves it as a file. */
export async function exportProfile(fighterId, profileName) {
  const document_ = await getJson(`/api/fighter-profiles/${fighterId}/${encodeURIComponent(profileName)}/export`);
  downloadJson(`ringside-${slug(profileName)}.profile.json`, document_);
  return document_;
}

/**
 * Imports an exported profile document (a File or parsed JSON) into a fighter (default: the one with the document's
 * GLB) under a name (default: the document's). Returns the created profile.
 */
export async function importProfile(file, { fighterId, profileName } = {}) {
  let body = file;
  if (file instanceof Blob) {
    const text = await file.text();
    try { body = JSON.parse(text); } catch { throw new Error(`${file.name ?? 'the file'} is not JSON: export a profile from Ringside first.`); }
  }
  const query = new URLSearchParams();
  if (fighterId) query.set('fighter_id', fighterId);
  if (profileName) query.set('profile_name', profileName);
  const q = query.toString();
  return postJson(`/api/fighter-profiles/import${q ? `?${q}` : ''}`, body);
}

export function slug(text) {
  return String(text).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'profile';
}

// ---- Page frame ----

export function reportError(error) {
  const message = error instanceof ApiError ? error.message : (error?.message ?? String(error));
  pages.errors.push(message);
  console.warn(message);
  const line = document.getElementById('page-error');
  if (line) line.textContent = message;
}

// The top bar of every page, written once here (every page script imports this module first) rather than in each page.
const TOPNAV = `
<a class="brand" href="/index.html"><span class="logo">R</span> Ringside</a>
<nav aria-label="Sections">
  <a href="/arena.html" data-page="arena">Arena</a>
  <a href="/trainer.html" data-page="trainer">Train</a>
  <a href="/dashboard.html" data-page="dashboard">Analytics</a>
  <a href="/replay.html" data-page="replay">Replays</a>
</nav>
<span class="live" title="Live updates"><span class="dot"></span><span class="label">connecting…</span></span>`;
const topnav = document.querySelector('header.topnav');
if (topnav && topnav.childElementCount === 0) topnav.innerHTML = TOPNAV;

/** Marks the page's entry in the top bar, shows the server's liveness dot, and sets window.ringsidePages.page. */
export function initPage(name) {
  pages.page = name;
  for (const a of document.querySelectorAll('.topnav nav a')) {
    if (a.dataset.page === name) a.setAttribute('aria-current', 'page');
  }
}

export function setLive(on, text) {
  const dot = document.querySelector('.topnav .live .dot');
  const label = document.querySelector('.topnav .live .label');
  if (dot) dot.className = `dot ${on ? 'on' : ''}`;
  if (label && text !== undefined) label.textContent = text;
}

export function markReady() {
  pages.ready = true;
  document.body.dataset.ready = 'true';
}

/** Options for a <select>: [[value, label], ...]. Keeps the current value when it is still there. */
export function fillSelect(select, options, { empty } = {}) {
  const current = select.value;
  select.replaceChildren();
  if (empty !== undefined) select.append(el('option', { value: '', text: empty }));
  for (const [value, label] of options) select.append(el('option', { value: String(value), text: label }));
  if ([...select.options].some(o => o.value === current)) select.value = current;
  return select;
}

export function fighterName(fighters, id) {
  return fighters.find(f => f.id === id)?.name ?? `fighter ${id}`;
}

/** GET a list with its X-Total-Count header: {items, total}. */
export async function getList(url) {
  const response = await apiFetch(url, { headers: { Accept: 'application/json' } });
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { detail: text }; }
  if (!response.ok) throw new ApiError(response.status, body);
  const total = response.headers.get('X-Total-Count');
  return { items: body, total: total === null ? body.length : Number(total) };
}
