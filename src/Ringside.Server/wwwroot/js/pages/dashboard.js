// The analytics dashboard: training status (jobs, live), a job's learning curves (GET /api/training-jobs/{id}/metrics
// ?max_points=500: the server averages long runs into at most 500 points, so 100,000 iterations chart as fast as 50)
// with TensorBoard-style smoothing, spectating a running job, fighter statistics, checkpoint and profile comparison,
// profile export and import, the battle history and the ratings. Everything refreshes without a reload.
import {
  $, ACTION_NAMES, LiveSocket, TRAITS, badge, compact, el, every, exportProfile, fillSelect, getJson, getList, importProfile, initPage, int,
  markReady, num, pages, pct, reportError, setLive, when, fullDate, TICKS_PER_SECOND,
} from './common.js';
import { COLOURS, barChart, lineChart, radarChart, setPoints, smooth } from './charts.js';
import { Spectator } from './spectate.js';
import { controllerOf } from './player.js';
import { loadPolicy } from '../policy.js';
import { OBSERVATION_SIZE } from '../contract.js';

export const MAX_POINTS = 500;
const params = new URLSearchParams(location.search);
const state = pages.state;
Object.assign(state, { jobs: [], jobId: null, metrics: [], metricsTotal: 0, metricsRequests: [], smoothing: 0.6 });
let fighters = [], profiles = [];

// ---- Training status ----

async function refreshJobs() {
  state.jobs = await getJson('/api/training-jobs?limit=30');
  const body = $('#jobs tbody');
  body.replaceChildren();
  if (state.jobs.length === 0) body.append(el('tr', {}, el('td', { colspan: 11, class: 'empty', text: 'No training jobs yet.' })));
  for (const j of state.jobs) {
    const percent = Math.max(0, Math.min(100, j.progress ?? 0));
    const bar = el('div', { class: 'progress small', role: 'progressbar', 'aria-valuenow': percent.toFixed(0) }, el('div', { style: `width: ${percent}%` }));
    const actions = el('td', { class: 'nowrap' });
    if (j.status === 'running') actions.append(el('button', { type: 'button', class: 'small', text: 'Spectate', onclick: e => { e.stopPropagation(); selectJob(j.id); spectate(j); } }));
    actions.append(' ', el('a', { class: 'small', href: `/trainer.html?job=${j.id}`, text: 'Open', onclick: e => e.stopPropagation() }));
    body.append(el('tr', { class: 'selectable', dataset: { jobId: j.id }, 'aria-selected': String(j.id === state.jobId), tabindex: 0, title: 'Show its learning curves',
      onclick: () => selectJob(j.id), onkeydown: e => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); selectJob(j.id); } } },
      el('td', { class: 'mono', text: j.id }),
      el('td', {}, `${fighters.find(f => f.id === j.fighter_id)?.name ?? j.fighter_id} · `, el('b', { text: j.profile_name })),
      el('td', { text: j.training_mode }),
      el('td', {}, badge(j.status)),
      el('td', {}, el('div', { class: 'row' }, bar, el('span', { class: 'small', text: `${percent.toFixed(0)}%` }))),
      el('td', { class: 'num', text: `${compact(j.steps_done)} / ${compact(j.total_steps)}` }),
      el('td', { class: 'num', text: j.sps ? int(j.sps) : '—' }),
      el('td', { class: 'num', text: num(j.recent_reward, 2) }),
      el('td', { class: 'num', text: pct(j.win_rate, 0) }),
      el('td', { class: 'nowrap', text: when(j.started_at ?? j.created_at), title: fullDate(j.started_at ?? j.created_at) }),
      actions));
  }
  const running = state.jobs.filter(j => j.status === 'running').length;
  $('#jobs-count').textContent = `${running} running · ${state.jobs.filter(j => j.status === 'queued').length} queued · ${state.jobs.length} shown`;
  if (state.jobId === null && state.jobs.length > 0) selectJob((state.jobs.find(j => j.status === 'running') ?? state.jobs[0]).id);
  const selected = state.jobs.find(j => j.id === state.jobId);
  if (selected && spectator?.job?.id === selected.id && selected.status !== 'running') spectator.jobEnded(selected.status);
}

// ---- Learning curves ----

const charts = {};
function buildCharts() {
  const line = (name, canvas, series, options = {}) => lineChart(name, $(canvas), { series: series.flatMap(s => [{ ...s, id: `${s.id}.raw`, raw: true, label: `${s.label} (raw)` }, s]), ...options });
  charts.reward = line('dashboard.reward', '#chart-reward', [{ id: 'reward', label: 'Reward', colour: COLOURS.reward }], { yTitle: 'reward' });
  charts.win = line('dashboard.win_rate', '#chart-win', [{ id: 'win_rate', label: 'Win rate %', colour: COLOURS.winRate }], { yTitle: '%', yPercent: true });
  // The periodic evaluation (seeded episodes against the baselines): the curve that picks the best checkpoint.
  charts.evaluation = line('dashboard.evaluation', '#chart-evaluation', [
    { id: 'eval_vs_chaser', label: '1v1 vs chaser %', colour: COLOURS.vsChaser },
    { id: 'eval_vs_cautious', label: '1v1 vs cautious %', colour: COLOURS.vsCautious },
    { id: 'eval_free_for_all', label: 'Free-for-all, last standing %', colour: COLOURS.freeForAll }], { yTitle: '%', yPercent: true });
  charts.loss = line('dashboard.losses', '#chart-loss', [
    { id: 'loss', label: 'Total loss', colour: COLOURS.loss }, { id: 'policy_loss', label: 'Policy loss', colour: COLOURS.policyLoss },
    { id: 'value_loss', label: 'Value loss', colour: COLOURS.valueLoss }]);
  charts.entropy = line('dashboard.entropy', '#chart-entropy', [
    { id: 'policy_entropy', label: 'Entropy', colour: COLOURS.entropy }, { id: 'approx_kl', label: 'Approx. KL', colour: COLOURS.kl, axis: 'y2' }],
  { yTitle: 'entropy (nats)', y2Title: 'KL' });
  charts.sps = line('dashboard.sps', '#chart-sps', [{ id: 'sps', label: 'Steps/s', colour: COLOURS.sps }], { yTitle: 'steps/s' });
}

/** Metric field of GET /metrics → chart and dataset (evaluations: only the iterations that had one). */
const percent = v => v == null ? null : v * 100;
const SERIES = [
  ['evaluation', 'eval_vs_chaser', m => percent(m.eval_vs_chaser), true], ['evaluation', 'eval_vs_cautious', m => percent(m.eval_vs_cautious), true],
  ['evaluation', 'eval_free_for_all', m => percent(m.eval_free_for_all), true],
  ['reward', 'reward', m => m.avg_reward_last_100],
  ['win', 'win_rate', m => m.win_rate_last_100 == null ? null : m.win_rate_last_100 * 100],
  ['loss', 'loss', m => m.loss], ['loss', 'policy_loss', m => m.policy_loss], ['loss', 'value_loss', m => m.value_loss],
  ['entropy', 'policy_entropy', m => m.policy_entropy], ['entropy', 'approx_kl', m => m.approx_kl],
  ['sps', 'sps', m => m.sps],
];

let jobSocket = null, metricsTimer = 0, lastMetricsFetch = 0;

function selectJob(id) {
  if (state.jobId === id) return;
  state.jobId = id;
  for (const row of document.querySelectorAll('#jobs tbody tr')) row.setAttribute('aria-selected', String(Number(row.dataset.jobId) === id));
  const url = new URL(location.href);
  url.searchParams.set('job', id);
  history.replaceState(null, '', url);
  jobSocket?.close();
  if (spectator?.job && spectator.job.id !== id) { spectator.stop(); $('#spectate-card').hidden = true; }
  state.metrics = [];
  drawCurves();
  fetchMetrics().catch(reportError);
  // Live: each training_metrics message of the job's session brings a new point: fetch the (downsampled) series again,
  // at most every 2 s.
  jobSocket = new LiveSocket(`/ws/job-${id}`, {
    open: () => setLive(true, `live · job ${id}`),
    close: () => setLive(false, 'reconnecting…'),
    message: m => {
      if (m.type === 'training_metrics') metricsSoon();
      else if (m.type === 'training_status') { metricsSoon(); refreshJobs().catch(reportError); }
      else if (m.type === 'bot_decision') spectator?.decision(m.data ?? {});
    },
  }, { subscribe: ['training_metrics', 'training_status', 'bot_decision'] });
  state.socket = jobSocket;
}

function metricsSoon() {
  if (metricsTimer) return;
  const wait = Math.max(0, 2000 - (performance.now() - lastMetricsFetch));
  metricsTimer = setTimeout(() => { metricsTimer = 0; fetchMetrics().catch(reportError); }, wait);
}

async function fetchMetrics() {
  const id = state.jobId;
  const url = `/api/training-jobs/${id}/metrics?max_points=${MAX_POINTS}`;
  lastMetricsFetch = performance.now();
  state.metricsRequests.push(url);
  const started = performance.now();
  const { items, total } = await getList(url);
  if (id !== state.jobId) return;
  state.metrics = items;
  state.metricsTotal = total;
  state.metricsMs = Math.round(performance.now() - started);
  drawCurves();
}

function drawCurves() {
  const rows = state.metrics;
  const w = state.smoothing;
  const touched = new Set();
  for (const [chart, id, value, sparse] of SERIES) {
    const all = rows.map(m => ({ x: m.iteration_number, y: value(m) ?? null }));
    const raw = sparse ? all.filter(p => p.y != null) : all;
    setPoints(charts[chart], `${id}.raw`, raw);
    setPoints(charts[chart], id, smooth(raw, w));
    touched.add(chart);
  }
  for (const c of touched) charts[c].update('none');
  const job = state.jobs.find(j => j.id === state.jobId);
  $('#curves-title').textContent = state.jobId ? `Learning curves · job ${state.jobId}${job ? ` · ${job.profile_name}` : ''}` : 'Learning curves';
  const total = state.metricsTotal;
  $('#curves-info').textContent = state.jobId == null ? 'Pick a job above.'
    : total === 0 ? 'No iteration finished yet.'
    : `${int(total)} iteration${total === 1 ? '' : 's'}` + (total > rows.length ? `, averaged by the server into ${int(rows.length)} points (max_points=${MAX_POINTS})` : `, every one shown`) +
      ` · fetched in ${state.metricsMs ?? '—'} ms`;
}

// ---- Spectating ----

let spectator = null;
function spectate(job) {
  spectator ??= new Spectator({
    view: 'spectate-view', status: 'spectate-status', bot: 'spectate-bot', value: 'decision-value', action: 'decision-action',
    iteration: 'decision-iteration', when: 'decision-when', bars: 'decision-bars',
  }, fighters);
  $('#spectate-card').hidden = false;
  $('#spectate-title').textContent = `Spectating job ${job.id}'s current policy`;
  spectator.start({ id: job.id, fighter_id: job.fighter_id, status: job.status });
  $('#curves-card').scrollIntoView({ block: 'start' });
}

// ---- Fighter statistics and checkpoints ----

let progressionChart, checkpointChart;
async function refreshFighter() {
  const id = Number($('#fighter').value);
  if (!id) return;
  const [stats, checkpoints] = await Promise.all([getJson(`/api/fighters/${id}/stats`), getJson(`/api/fighters/${id}/checkpoints`)]);
  if (id !== Number($('#fighter').value)) return;
  state.fighterStats = stats;
  state.checkpoints = checkpoints;
  const tile = (label, value, key) => el('div', { class: 'tile', dataset: { stat: key } }, el('div', { class: 'value', text: value }), el('div', { class: 'label', text: label }));
  $('#fighter-tiles').replaceChildren(
    tile('Episodes', int(stats.total_episodes), 'total_episodes'), tile('Wins', int(stats.wins), 'wins'), tile('Losses', int(stats.losses), 'losses'),
    tile('Win rate', pct(stats.win_rate, 0), 'win_rate'), tile('Average reward', num(stats.avg_reward, 2), 'avg_reward'),
    tile('Best reward', num(stats.best_reward, 2), 'best_reward'), tile('Frames', compact(stats.total_frames), 'total_frames'),
    tile('Profiles · jobs', `${int(stats.profiles)} · ${int(stats.training_jobs)}`, 'profiles'));
  setPoints(progressionChart, 'reward', (stats.reward_progression ?? []).map(p => ({ x: p.episode_number, y: p.total_reward })));
  progressionChart.update('none');
  const best = stats.best_model;
  $('#best-model').replaceChildren(...(best ? [
    el('dt', { text: 'Best model' }), el('dd', { text: `${best.profile_name} v${best.model_version}` }),
    el('dt', { text: 'Win rate vs baselines' }), el('dd', { text: pct(best.win_rate, 1) }),
    el('dt', { text: 'Trained' }), el('dd', { text: `${compact(best.total_steps)} steps, ${int(best.total_episodes_trained)} episodes, ${best.training_mode}` }),
  ] : [el('dt', { text: 'Best model' }), el('dd', { class: 'muted', text: 'none yet: train a profile of this fighter' })]));

  $('#checkpoints-fighter').textContent = fighters.find(f => f.id === id)?.name ?? '';
  const sorted = [...checkpoints].sort((a, b) => a.id - b.id);
  checkpointChart.data.labels = sorted.map(c => `${c.profile_name} v${c.model_version}`);
  checkpointChart.data.datasets[0].data = sorted.map(c => c.win_rate == null ? null : c.win_rate * 100);
  checkpointChart.data.datasets[1].data = sorted.map(c => c.avg_reward);
  checkpointChart.update('none');
  const body = $('#checkpoints tbody');
  body.replaceChildren();
  if (sorted.length === 0) body.append(el('tr', {}, el('td', { colspan: 7, class: 'empty', text: 'No checkpoints: this fighter has not been trained yet.' })));
  for (const c of [...sorted].reverse()) {
    const isBest = best && best.id === c.id;
    body.append(el('tr', { dataset: { checkpointId: c.id } },
      el('td', {}, el('b', { text: c.profile_name }), isBest ? ' ' : '', isBest ? el('span', { class: 'badge win', text: 'best' }) : ''),
      el('td', { class: 'num', text: `v${c.model_version}` }), el('td', { class: 'num', text: compact(c.total_steps) }),
      el('td', { class: 'num', text: pct(c.win_rate, 1) }), el('td', { class: 'num', text: num(c.avg_reward, 2) }),
      el('td', { text: c.training_mode ?? '' }), el('td', { class: 'nowrap', text: when(c.created_at), title: fullDate(c.created_at) })));
  }
}

// ---- Profiles ----

let personalityChart;
const FINGERPRINT = [
  ['attacks_per_second', 'Attacks per second', 2, true], ['damage_dealt_per_episode', 'Damage dealt per episode', 1, true],
  ['damage_taken_per_episode', 'Damage taken per episode', 1, false], ['mean_distance_to_nearest_enemy', 'Distance to the nearest enemy (m)', 2, null],
  ['mean_distance_to_edge', 'Distance to the ropes (m)', 2, null],
  ['rung_out_per_episode', 'Rung out (share of episodes)', 2, false], ['health_kept', 'Health kept at the end', 1, true],
  ['seconds_survived', 'Seconds survived per episode', 1, true],
];

async function refreshProfiles() {
  profiles = await getJson('/api/fighter-profiles');
  const label = p => `${p.profile_name} (${fighters.find(f => f.id === p.fighter_id)?.name ?? p.fighter_id})${p.model_version ? ` v${p.model_version}` : ''}`;
  const options = profiles.map(p => [p.id, label(p)]);
  fillSelect($('#profile-a'), options, { empty: '—' });
  fillSelect($('#profile-b'), options, { empty: '—' });
  const trained = profiles.filter(p => p.model_version > 0);
  if (!$('#profile-a').value && (params.get('a') || trained[0])) $('#profile-a').value = params.get('a') ?? String(trained[0].id);
  if (!$('#profile-b').value && (params.get('b') || trained[1])) $('#profile-b').value = params.get('b') ?? String(trained[1].id);
  compareProfiles();
}

function compareProfiles() {
  const a = profiles.find(p => p.id === Number($('#profile-a').value)) ?? null;
  const b = profiles.find(p => p.id === Number($('#profile-b').value)) ?? null;
  state.compared = [a?.id ?? null, b?.id ?? null];
  personalityChart.data.datasets[0].label = a ? `A: ${a.profile_name}` : 'A';
  personalityChart.data.datasets[0].data = a ? TRAITS.map(t => a[t.key]) : [];
  personalityChart.data.datasets[1].label = b ? `B: ${b.profile_name}` : 'B';
  personalityChart.data.datasets[1].data = b ? TRAITS.map(t => b[t.key]) : [];
  personalityChart.update('none');
  $('#compare-a').textContent = a ? `A: ${a.profile_name}` : 'A';
  $('#compare-b').textContent = b ? `B: ${b.profile_name}` : 'B';
  const rows = [
    ['Fighter', p => fighters.find(f => f.id === p.fighter_id)?.name ?? p.fighter_id],
    ['Mode', p => p.training_mode],
    ...TRAITS.map(t => [t.label, p => int(p[t.key]), p => p[t.key], null]),
    ['Model', p => p.model_version ? `v${p.model_version}` : 'not trained'],
    ['Rating (μ − 3σ)', p => num(p.rating, 2), p => p.rating, true],
    ['Rated matches', p => int(p.rated_matches)],
    ['Win rate vs baselines', p => pct(p.win_rate, 1), p => p.win_rate, true],
    ...['chaser', 'cautious', 'random'].map(bot => [`  vs ${bot}`, p => pct(p.evaluation?.[bot]?.win_rate, 0), p => p.evaluation?.[bot]?.win_rate, true]),
    ['Training reward', p => num(p.avg_reward, 2), p => p.avg_reward, true],
    ...FINGERPRINT.map(([key, label, digits, higher]) => [label, p => num(p.fingerprint?.[key], digits), p => p.fingerprint?.[key], higher]),
  ];
  const body = $('#compare tbody');
  body.replaceChildren();
  for (const [label, show, value, higher] of rows) {
    const cells = [a, b].map(p => el('td', { class: 'num', text: p ? String(show(p) ?? '—') : '—' }));
    if (value && higher !== null && higher !== undefined && a && b) {
      const va = value(a), vb = value(b);
      if (va != null && vb != null && va !== vb) cells[(va > vb) === higher ? 0 : 1].classList.add('better');
    }
    body.append(el('tr', { dataset: { row: label.trim() } }, el('td', { text: label }), ...cells));
  }
  $('#export-a').disabled = !a;
  $('#export-b').disabled = !b;
  showDecisions(a, b).catch(reportError);
}

// Contract-v1 observations of a few situations (docs/CONTRACT.md: positions / 5, offsets / 10, health / 100, reach
// margin / 2, for standard fighters: radius 0.5 m, reach 0.6 m, so a 1.2 m gap between centres is in reach).
const observe = ({ me = [0, 0, 1], enemy }) => { const o = new Array(OBSERVATION_SIZE).fill(0); o.splice(0, 3, ...me); o.splice(5, 5, ...enemy); return o; };
export const SITUATIONS = [
  { id: 'in-reach', label: 'Face to face, enemy in reach', observation: observe({ enemy: [0.12, 0, 1, -0.2, 0] }) },
  { id: 'far', label: 'Enemy across the ring', observation: observe({ me: [-0.5, 0, 1], enemy: [0.5, 0, 1, 1, 0] }) },
  { id: 'ropes', label: 'Backed against the ropes, enemy in reach', observation: observe({ me: [0.88, 0, 1], enemy: [-0.12, 0, 1, -0.2, 0] }) },
  { id: 'hurt', label: 'Badly hurt, enemy closing in', observation: observe({ me: [0, 0, 0.15], enemy: [0, 0.25, 0.9, 0.45, 0] }) },
  { id: 'finish', label: 'Enemy badly hurt, just out of reach', observation: observe({ me: [0, 0, 0.8], enemy: [0.2, 0, 0.2, 0.2, 0.5] }) },
];
const ACTION_LABELS = ['move east', 'move north-east', 'move north', 'move north-west', 'move west', 'move south-west', 'move south', 'move south-east', 'idle', 'attack'];
const policies = new Map(); // "id:version" -> the loaded policy, or the error that loading it gave (not retried)
let decisionsShown = 0;

const modelUrl = p => `/api/fighter-profiles/${p.fighter_id}/${encodeURIComponent(p.profile_name)}/model`;

async function policyOf(p) {
  const key = `${p.id}:${p.model_version}`;
  if (!policies.has(key)) policies.set(key, loadPolicy(modelUrl(p)).then(policy => ({ policy }), error => { reportError(error); return { error }; }));
  return policies.get(key);
}

/** Each situation's most probable action and its probability for A and B, from their networks run here. */
async function showDecisions(a, b) {
  const token = ++decisionsShown;
  $('#decide-a').textContent = a ? `A: ${a.profile_name}` : 'A';
  $('#decide-b').textContent = b ? `B: ${b.profile_name}` : 'B';
  for (const [p, link] of [[a, $('#model-a')], [b, $('#model-b')]]) {
    link.hidden = !p?.model_version;
    if (p?.model_version) { link.href = modelUrl(p); link.download = `${p.profile_name}-v${p.model_version}.safetensors`; }
  }
  const [la, lb] = await Promise.all([a, b].map(p => p?.model_version ? policyOf(p) : null));
  if (token !== decisionsShown) return; // the selection changed meanwhile
  const decide = loaded => loaded?.policy ? SITUATIONS.map(s => ({ situation: s.id, ...loaded.policy.act(s.observation) })) : null;
  state.decisions = { a: decide(la), b: decide(lb), profiles: [a?.id ?? null, b?.id ?? null] };
  const cell = (p, loaded, d) => {
    if (!p) return el('td', { class: 'num', text: '—' });
    if (!p.model_version) return el('td', { class: 'num', text: 'not trained' });
    if (!d) return el('td', { class: 'num', text: 'model unavailable', title: String(loaded?.error?.message ?? '') });
    const label = `${ACTION_LABELS[d.action]} ${pct(d.probabilities[d.action], 0)}`;
    return el('td', { class: 'num', text: label, title: d.probabilities.map((q, k) => `${ACTION_NAMES[k]} ${pct(q, 1)}`).join(', ') + ` · value ${num(d.value, 2)}`,
      dataset: { action: ACTION_NAMES[d.action] } });
  };
  $('#decisions tbody').replaceChildren(...SITUATIONS.map((s, k) =>
    el('tr', { dataset: { situation: s.id } }, el('td', { text: s.label }), cell(a, la, state.decisions.a?.[k]), cell(b, lb, state.decisions.b?.[k]))));
}

async function importSubmit(e) {
  e.preventDefault();
  const status = $('#import-status');
  const file = $('#import-file').files[0];
  if (!file) { status.textContent = 'Choose an exported .json file first.'; return; }
  status.classList.remove('error');
  status.textContent = `Importing ${file.name}…`;
  try {
    const profile = await importProfile(file, { fighterId: Number($('#import-fighter').value) || undefined, profileName: $('#import-name').value.trim() || undefined });
    state.imported = profile;
    $('#import').reset();
    await refreshProfiles();
    $('#profile-b').value = String(profile.id);
    compareProfiles();
    status.textContent = `Imported "${profile.profile_name}" into ${fighters.find(f => f.id === profile.fighter_id)?.name ?? profile.fighter_id}${profile.model_version ? ` (model v${profile.model_version})` : ''}: compared as B.`;
  } catch (error) {
    status.textContent = `Import refused: ${error.message}`;
    status.classList.add('error');
  }
}

// ---- Battles and ratings ----

async function refreshHistory() {
  const [matches, ratings] = await Promise.all([getJson('/api/matches?limit=25'), getJson('/api/ratings')]);
  state.matches = matches;
  state.ratings = ratings;
  const body = $('#history tbody');
  body.replaceChildren();
  if (matches.length === 0) body.append(el('tr', {}, el('td', { colspan: 6, class: 'empty', text: 'No battles yet: start one in the arena.' })));
  const highlight = Number(params.get('match'));
  for (const m of matches) {
    const people = m.participants.map(p => {
      const c = controllerOf(p.controller);
      const who = c.controller === 'bot' ? `bot ${c.bot}` : c.controller === 'profile' ? `AI ${p.profile_name ?? c.profile_name}` : c.controller === 'training_job' ? `job ${c.job_id}` : c.controller;
      const name = `${fighters.find(f => f.id === p.fighter_id)?.name ?? p.fighter_id} (${who})`;
      const delta = p.rating_before != null && p.rating_after != null ? p.rating_after - p.rating_before : null;
      const won = p.slot === m.winner_slot;
      return el('div', { dataset: { slot: p.slot, winner: String(won) } }, won ? el('b', { text: name }) : name, won ? ' ' : '', won ? el('span', { class: 'badge win', text: 'winner' }) : '',
        delta === null ? '' : el('span', { class: `small ${delta >= 0 ? 'good' : 'bad'}`, text: ` ${delta >= 0 ? '+' : ''}${delta.toFixed(2)}` }));
    });
    const row = el('tr', { dataset: { matchId: m.id }, 'aria-selected': String(m.id === highlight) },
      el('td', { class: 'mono', text: m.id }),
      el('td', {}, ...people),
      el('td', { text: m.winner_slot == null || m.winner_slot < 0 ? 'draw' : m.reason === 'time_limit' ? 'on health at the time limit' : 'last one standing' }),
      el('td', { class: 'num nowrap', text: m.ticks != null ? `${(m.ticks / TICKS_PER_SECOND).toFixed(1)} s` : '—' }),
      el('td', { class: 'nowrap', text: when(m.ended_at ?? m.created_at), title: fullDate(m.ended_at ?? m.created_at) }),
      el('td', {}, m.replay_id != null ? el('a', { class: 'button small', href: `/replay.html?id=${m.replay_id}`, text: '▶ Replay' }) : ''));
    body.append(row);
  }
  const rbody = $('#ratings tbody');
  rbody.replaceChildren();
  if (ratings.length === 0) rbody.append(el('tr', {}, el('td', { colspan: 6, class: 'empty', text: 'Nobody is rated yet: ratings change with every finished battle.' })));
  ratings.forEach((r, i) => rbody.append(el('tr', { dataset: { player: r.player } },
    el('td', { text: i + 1 }), el('td', { text: r.name }), el('td', { class: 'num', text: num(r.rating, 2) }),
    el('td', { class: 'num', text: num(r.mu, 2) }), el('td', { class: 'num', text: num(r.sigma, 2) }), el('td', { class: 'num', text: int(r.matches) }))));
}

// ---- Page ----

async function main() {
  initPage('dashboard');
  buildCharts();
  progressionChart = lineChart('dashboard.progression', $('#chart-progression'), { series: [{ id: 'reward', label: 'Reward', colour: COLOURS.reward }], xTitle: 'episode', legend: false });
  checkpointChart = barChart('dashboard.checkpoints', $('#chart-checkpoints'), {
    datasets: [{ id: 'win_rate', label: 'Win rate vs baselines %', colour: COLOURS.winRate }, { id: 'avg_reward', label: 'Training reward', colour: COLOURS.reward, axis: 'y2' }],
    yTitle: 'win rate %', y2Title: 'reward', yPercent: true,
  });
  personalityChart = radarChart('dashboard.personality', $('#chart-personality'), {
    labels: TRAITS.map(t => t.label), datasets: [{ id: 'a', label: 'A', colour: COLOURS.a }, { id: 'b', label: 'B', colour: COLOURS.b }],
  });
  $('#smoothing').addEventListener('input', e => {
    state.smoothing = Number(e.target.value);
    $('#smoothing-value').textContent = state.smoothing.toFixed(2);
    drawCurves();
  });
  $('#spectate-close').addEventListener('click', () => { spectator?.stop(); $('#spectate-card').hidden = true; });
  $('#profile-a').addEventListener('change', compareProfiles);
  $('#profile-b').addEventListener('change', compareProfiles);
  $('#export-a').addEventListener('click', () => { const p = profiles.find(x => x.id === Number($('#profile-a').value)); if (p) exportProfile(p.fighter_id, p.profile_name).catch(reportError); });
  $('#export-b').addEventListener('click', () => { const p = profiles.find(x => x.id === Number($('#profile-b').value)); if (p) exportProfile(p.fighter_id, p.profile_name).catch(reportError); });
  $('#import').addEventListener('submit', importSubmit);

  fighters = await getJson('/api/fighters');
  fillSelect($('#fighter'), fighters.map(f => [f.id, f.name]));
  fillSelect($('#import-fighter'), fighters.map(f => [f.id, f.name]), { empty: 'fighter (as exported)' });
  $('#fighter').addEventListener('change', () => refreshFighter().catch(reportError));

  const job = Number(params.get('job'));
  if (job > 0) selectJob(job);
  await refreshJobs();
  // The fighter: ?fighter=, else the selected job's, else the first with a trained model.
  const withModel = (await getJson('/api/fighter-profiles')).find(p => p.model_version > 0);
  const fighter = Number(params.get('fighter')) || state.jobs.find(j => j.id === state.jobId)?.fighter_id || withModel?.fighter_id;
  if (fighter) $('#fighter').value = String(fighter);
  await Promise.all([refreshFighter(), refreshProfiles(), refreshHistory()]);
  every(4000, refreshJobs, { now: false });
  every(6000, refreshHistory, { now: false });
  every(10_000, refreshFighter, { now: false });
  every(15_000, () => document.activeElement?.closest('#profiles-card') ? null : refreshProfiles(), { now: false });
  if (!jobSocket) setLive(true, 'live');
  if (params.get('spectate') === '1') { const j = state.jobs.find(x => x.id === state.jobId && x.status === 'running'); if (j) spectate(j); }
  markReady();
}

main().catch(error => { reportError(error); setLive(false, 'offline'); });
