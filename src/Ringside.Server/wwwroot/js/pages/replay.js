// The replays page: the list from GET /api/replays with its filters (fighter, profile, kind, outcome, tag, dates) and
// paging, and the player (player.js) in the 3D arena view. ?id=N opens a replay, &transport=ws picks the stream.
import { $, el, every, fillSelect, getJson, getList, initPage, markReady, pages, reportError, setLive, when, clock, int, TICKS_PER_SECOND } from './common.js';
import { ArenaView } from './arena-view.js';
import { ReplayPlayer, replayFighters } from './player.js';

const PAGE = 15;
const params = new URLSearchParams(location.search);
let fighters = [], profiles = [];
let skip = 0, total = 0, selectedId = null;

const view = new ArenaView($('#view'));
const player = new ReplayPlayer(view, () => scheduleUi());
Object.assign(pages, { view, player, list: [] });

// ---- List ----

const form = $('#filters');

function query() {
  const q = new URLSearchParams();
  for (const [key, value] of new FormData(form)) {
    if (!value) continue;
    if (key === 'from') q.set('from', new Date(`${value}T00:00:00`).toISOString());
    else if (key === 'to') q.set('to', new Date(`${value}T23:59:59.999`).toISOString());
    else q.set(key, value);
  }
  q.set('skip', skip);
  q.set('limit', PAGE);
  return q;
}

function nameOf(id) { return fighters.find(f => f.id === id)?.name ?? (id == null ? '' : `fighter ${id}`); }

/** "Rocket Ray vs The Brawler" (a match) or "Viper Vance (brawler) vs bot chaser" (an evaluation). */
function who(r) {
  if (r.kind === 'evaluation') {
    const profile = profiles.find(p => p.id === r.profile_ids?.[0]);
    const bot = (r.tags ?? []).find(t => t.startsWith('vs:'))?.slice(3) ?? 'a bot';
    return `${nameOf(r.fighter_ids?.[0])}${profile ? ` (${profile.profile_name})` : ''} vs bot ${bot}`;
  }
  return (r.fighter_ids ?? []).map(nameOf).join(' vs ');
}

function winnerName(r) {
  if (r.winner_slot == null || r.winner_slot < 0) return null;
  if (r.kind === 'evaluation') return r.winner_slot === 0 ? nameOf(r.fighter_ids?.[0]) : `bot ${(r.tags ?? []).find(t => t.startsWith('vs:'))?.slice(3) ?? ''}`;
  return nameOf(r.fighter_ids?.[r.winner_slot]);
}

async function loadList() {
  const { items, total: count } = await getList(`/api/replays?${query()}`);
  total = count;
  pages.list = items;
  const body = $('#replays tbody');
  body.replaceChildren();
  if (items.length === 0) body.append(el('tr', {}, el('td', { colspan: 6, class: 'empty', text: 'No replay matches these filters yet: play a match in the arena or train a fighter.' })));
  for (const r of items) {
    const winner = winnerName(r);
    const row = el('tr', { class: 'selectable', dataset: { replayId: r.id }, 'aria-selected': String(r.id === selectedId), onclick: () => select(r) },
      el('td', { class: 'mono', text: r.id }),
      el('td', {}, el('div', { text: who(r) }), el('div', {}, ...(r.tags ?? []).map(t => el('span', { class: 'tag', text: t })))),
      el('td', {}, el('span', { class: `badge ${r.outcome}`, text: r.outcome === 'draw' ? 'draw' : 'win' }), winner ? ` ${winner}` : ''),
      el('td', { class: 'num nowrap', text: `${(r.ticks / TICKS_PER_SECOND).toFixed(1)} s` }),
      el('td', { class: 'nowrap', text: when(r.created_at), title: new Date(r.created_at).toLocaleString() }),
      el('td', {}, el('button', { type: 'button', class: 'small', text: '▶ Play', 'aria-label': `Play replay ${r.id}`, onclick: e => { e.stopPropagation(); select(r); } })));
    body.append(row);
  }
  $('#list-count').textContent = `${int(total)} replay${total === 1 ? '' : 's'}`;
  $('#page').textContent = total > 0 ? `${skip + 1}-${Math.min(total, skip + items.length)} of ${int(total)}` : '';
  $('#prev').disabled = skip === 0;
  $('#next').disabled = skip + PAGE >= total;
  setLive(true, 'live');
}

// ---- Player ----

async function select(replay) {
  selectedId = replay.id;
  for (const row of document.querySelectorAll('#replays tbody tr')) row.setAttribute('aria-selected', String(Number(row.dataset.replayId) === replay.id));
  const url = new URL(location.href);
  url.searchParams.set('id', replay.id);
  url.searchParams.set('transport', $('#transport').value);
  history.replaceState(null, '', url);
  $('#replay-title').textContent = `Replay #${replay.id} · ${who(replay)}`;
  const link = $('#open-match');
  link.hidden = replay.match_id == null;
  if (replay.match_id != null) link.href = `/dashboard.html?match=${replay.match_id}#history-card`;
  try {
    const infos = await replayFighters(replay, fighters, profiles);
    await player.open(replay, infos, $('#transport').value);
    view.setCaption(replay.kind === 'evaluation'
      ? `Evaluation bout of training job ${replay.training_job_id}; the bot has the standard body and is drawn as a stand-in.`
      : `Live match ${replay.match_id}`);
    for (const control of ['#play', '#scrub']) $(control).disabled = false;
  } catch (error) {
    reportError(error);
  }
}

let uiScheduled = false;
function scheduleUi() {
  if (uiScheduled) return;
  uiScheduled = true;
  requestAnimationFrame(() => { uiScheduled = false; updateUi(); });
}

function updateUi() {
  const p = player;
  if (!p.replay) return;
  const scrub = $('#scrub');
  scrub.max = String(p.total - 1);
  if (!scrubbing) scrub.value = String(Math.round(p.t));
  $('#buffered').style.width = `${100 * p.contiguous / Math.max(1, p.total)}%`;
  $('#time').textContent = `${clock(p.time)} / ${clock(p.duration)}`;
  view.setClock(clock(p.time));
  const play = $('#play');
  play.textContent = p.playing ? '❚❚ Pause' : '▶ Play';
  play.setAttribute('aria-label', p.playing ? 'Pause' : 'Play');
  const s = p.stats;
  const how = s.transport === 'ws' ? `WebSocket stream: ${s.chunks} chunk${s.chunks === 1 ? '' : 's'}` : `HTTP pages: ${s.requests} request${s.requests === 1 ? '' : 's'}`;
  const size = `${(s.bytes / 1024).toFixed(0)} kB`;
  const line = s.error ? `${how}: ${s.error}`
    : `${how}, ${int(p.loaded)} of ${int(p.total)} frames (${size})` + (s.done ? ` in ${s.doneMs} ms` : ' loading…') + (p.buffering ? ' · buffering' : '');
  const status = $('#load-status');
  status.textContent = line;
  status.classList.toggle('error', !!s.error);
}

let scrubbing = false;
function bindPlayer() {
  $('#play').addEventListener('click', () => player.toggle());
  const scrub = $('#scrub');
  scrub.addEventListener('pointerdown', () => { scrubbing = true; });
  scrub.addEventListener('input', () => player.seek(Number(scrub.value)));
  scrub.addEventListener('change', () => { scrubbing = false; player.seek(Number(scrub.value)); });
  $('#speed').addEventListener('change', e => player.setSpeed(Number(e.target.value)));
  $('#transport').addEventListener('change', e => {
    const url = new URL(location.href);
    url.searchParams.set('transport', e.target.value);
    history.replaceState(null, '', url);
    if (player.replay) player.load(e.target.value);
  });
  window.addEventListener('keydown', e => {
    if (!player.replay || e.target.closest('input, select, textarea')) return;
    if (e.code === 'Space') { e.preventDefault(); player.toggle(); }
    else if (e.code === 'ArrowRight') player.seek(player.t + TICKS_PER_SECOND * 2);
    else if (e.code === 'ArrowLeft') player.seek(player.t - TICKS_PER_SECOND * 2);
  });
}

// ---- Page ----

async function main() {
  initPage('replay');
  bindPlayer();
  [fighters, profiles] = await Promise.all([getJson('/api/fighters'), getJson('/api/fighter-profiles')]);
  fillSelect(form.elements.fighter_id, fighters.map(f => [f.id, f.name]), { empty: 'any' });
  fillSelect(form.elements.profile_id, profiles.map(p => [p.id, `${p.profile_name} (${fighters.find(f => f.id === p.fighter_id)?.name ?? p.fighter_id})`]), { empty: 'any' });
  for (const key of ['fighter_id', 'profile_id', 'kind', 'outcome', 'tag', 'from', 'to']) if (params.has(key)) form.elements[key].value = params.get(key);
  if (params.get('transport') === 'ws') $('#transport').value = 'ws';
  form.addEventListener('change', () => { skip = 0; loadList().catch(reportError); });
  $('#prev').addEventListener('click', () => { skip = Math.max(0, skip - PAGE); loadList().catch(reportError); });
  $('#next').addEventListener('click', () => { skip += PAGE; loadList().catch(reportError); });
  every(10_000, loadList); // new matches and evaluations appear without a reload

  const id = Number(params.get('id'));
  if (id > 0) {
    try {
      const replay = await getJson(`/api/replays/${id}`);
      await select(replay);
    } catch (error) { reportError(error); }
  } else {
    view.start(() => null);
    await view.setFighters([]);
  }
  markReady();
}

main().catch(error => { reportError(error); setLive(false, 'offline'); });
