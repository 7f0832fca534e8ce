// The fighter trainer: fighter, profile name, the five personality sliders with a live preview of the reward
// weights the server derives from them (GET /api/reward-weights), direct weight edits, mode and budget; Train starts a
// job (POST /api/training-jobs, execute: true) whose progress arrives over its session's WebSocket (/ws/job-N:
// training_metrics, training_status, bot_decision). At the end: the evaluation against the baselines, the behaviour
// fingerprint, "fight it now", export. ?job=N reopens a job; ?fighter_id=&profile_name= preselects a profile.
import {
  $, ApiError, LiveSocket, MODES, REWARD_TERMS, STEPS_PER_EPOCH, STEPS_PER_ITERATION, TRAITS, debounce, duration, el, every, exportProfile, fillSelect,
  getJson, hbar, initPage, int, markReady, num, pages, pct, postJson, reportError, setLive, badge,
} from './common.js';
import { ARENAS_PER_ITERATION, STEPS_PER_ARENA } from '../contract.js';
import { COLOURS, lineChart, setPoints } from './charts.js';
import { Spectator } from './spectate.js';

const params = new URLSearchParams(location.search);
let fighters = [], profiles = [];
let baseWeights = null; // the server's weights for the sliders and mode
const overrides = new Map(); // term → weight typed in the advanced panel
const state = pages.state;
// progressSeen: each percentage the page showed; progressReceived: the progress of each training_metrics message, live or
// replayed from the session's history (a page that opens late still receives every iteration).
Object.assign(state, { weightsRequests: 0, previewed: null, job: null, progressSeen: [], progressReceived: [], metrics: new Map(), statusSeen: [], evaluations: [] });

// ---- Setup form ----

const form = $('#setup');

function buildSliders() {
  const box = $('#sliders');
  for (const t of TRAITS) {
    const input = el('input', { type: 'range', id: `slider-${t.key}`, name: t.key, min: 0, max: 100, step: 1, value: 50, 'aria-describedby': `hint-${t.key}` });
    const output = el('output', { for: input.id, text: '50' });
    input.addEventListener('input', () => { output.textContent = input.value; previewSoon(); });
    box.append(el('div', { class: 'slider' },
      el('label', { class: 'name', for: input.id, text: t.label }), input, output,
      el('span', { class: 'hint', id: `hint-${t.key}`, text: t.hint })));
  }
  fillSelect($('#mode'), MODES.map(m => [m.key, m.label]));
  $('#mode').addEventListener('change', () => { showModeHint(); previewSoon(); });
  showModeHint();
  const edit = $('#weights-edit');
  for (const term of REWARD_TERMS) {
    const input = el('input', { type: 'number', id: `weight-${term.key}`, step: 'any', min: -1000, max: 1000, 'aria-label': `${term.label} weight` });
    input.addEventListener('input', () => {
      const v = Number(input.value);
      if (input.value.trim() === '' || !Number.isFinite(v)) overrides.delete(term.key); else overrides.set(term.key, v);
      input.classList.toggle('edited', overrides.has(term.key));
      renderWeights();
    });
    edit.append(el('label', { class: 'field' }, el('span', { text: `${term.label} (${term.hint})` }), input));
  }
  $('#weights-reset').addEventListener('click', () => { overrides.clear(); renderWeights(true); });
}

function showModeHint() {
  $('#mode-hint').textContent = `Mode: ${MODES.find(m => m.key === $('#mode').value)?.hint ?? ''}`;
}

function sliderValues() {
  return Object.fromEntries(TRAITS.map(t => [t.key, Number($(`#slider-${t.key}`).value)]));
}

function setSliders(values) {
  for (const t of TRAITS) {
    if (values[t.key] == null) continue;
    const input = $(`#slider-${t.key}`);
    input.value = String(Math.round(values[t.key]));
    input.nextElementSibling.textContent = input.value;
  }
}

const previewSoon = debounce(() => preview().catch(reportError), 150);

/** Asks the server for the weights of the current sliders and mode (its own mapping, never a copy of it here). */
async function preview() {
  const q = new URLSearchParams({ ...sliderValues(), training_mode: $('#mode').value });
  $('#weights-status').textContent = 'updating…';
  state.weightsRequests++;
  const requested = q.toString();
  const weights = await getJson(`/api/reward-weights?${q}`);
  if (requested !== new URLSearchParams({ ...sliderValues(), training_mode: $('#mode').value }).toString()) return; // a newer one is coming
  baseWeights = weights;
  state.previewed = { query: Object.fromEntries(q), weights };
  $('#weights-status').textContent = 'from the server';
  renderWeights(true);
}

/** A weight as the server gave it (it rounds to 5 decimals): at least 2 decimals, at most 4. */
function weight(v) {
  return Number(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 });
}

/** The weights the job will train with: the server's for the sliders, with the typed ones in their place. */
function finalWeights() {
  const w = { ...(baseWeights ?? {}) };
  for (const [k, v] of overrides) w[k] = v;
  return w;
}

function renderWeights(refreshInputs = false) {
  const w = finalWeights();
  const max = Math.max(1, ...Object.values(w).map(v => Math.abs(v)));
  const rows = REWARD_TERMS.map(term => {
    const value = w[term.key];
    const bar = hbar(term.label, value ?? 0, max, { signed: true, text: value == null ? '—' : weight(value) });
    bar.dataset.term = term.key;
    bar.title = term.hint + (overrides.has(term.key) ? ' (set directly)' : '');
    if (overrides.has(term.key)) bar.classList.add('overridden');
    return bar;
  });
  $('#weights').replaceChildren(...rows);
  for (const term of REWARD_TERMS) {
    const input = $(`#weight-${term.key}`);
    if ((refreshInputs || !overrides.has(term.key)) && document.activeElement !== input) {
      input.value = w[term.key] ?? '';
      input.classList.toggle('edited', overrides.has(term.key));
    }
  }
  state.finalWeights = w;
}

function fighterChanged() {
  const id = Number($('#fighter').value);
  const f = fighters.find(x => x.id === id);
  const own = profiles.filter(p => p.fighter_id === id);
  $('#profile-names').replaceChildren(...own.map(p => el('option', { value: p.profile_name })));
  $('#fighter-info').textContent = f ? `${f.name}: size ${f.metadata_json?.size ?? 1}, speed ${f.metadata_json?.speed ?? 1}` +
    (own.length ? ` · profiles: ${own.map(p => p.profile_name + (p.model_version ? ` (v${p.model_version})` : '')).join(', ')}` : ' · no profiles yet') : '';
  profileNameChanged();
}

/** An existing profile's name loads its personality (training it again makes the model's next version). */
function profileNameChanged() {
  const p = profiles.find(x => x.fighter_id === Number($('#fighter').value) && x.profile_name === $('#profile-name').value.trim());
  if (p) {
    setSliders(p);
    if (p.training_mode) $('#mode').value = p.training_mode;
    showModeHint();
    previewSoon();
    $('#train-status').textContent = `Profile "${p.profile_name}" exists${p.model_version ? ` (model v${p.model_version})` : ''}: training it again makes its next version.`;
  } else if ($('#train-status').dataset.kind !== 'error') $('#train-status').textContent = '';
}

function budgetHint() {
  const amount = Number($('#budget').value);
  const byEpochs = $('#budget-unit').value === 'epochs';
  const steps = byEpochs ? amount * STEPS_PER_EPOCH : amount;
  const iterations = Math.max(1, Math.floor(steps / STEPS_PER_ITERATION));
  const epochs = byEpochs ? amount : Math.max(1, Math.round(steps / STEPS_PER_EPOCH));
  $('#budget-hint').textContent = amount > 0
    ? `${int(steps)} agent steps: ${int(iterations)} PPO iteration${iterations === 1 ? '' : 's'} of ${int(STEPS_PER_ITERATION)} steps (${ARENAS_PER_ITERATION} arenas × ${STEPS_PER_ARENA}) in ` +
      `${int(epochs)} epoch${epochs === 1 ? '' : 's'}, each ended by an evaluation against the baseline bots.`
    : '';
}

/** The POST /api/training-jobs body. */
function request() {
  const amount = Number($('#budget').value);
  const body = {
    fighter_id: Number($('#fighter').value), profile_name: $('#profile-name').value.trim(), ...sliderValues(),
    training_mode: $('#mode').value, execute: true,
  };
  if ($('#budget-unit').value === 'epochs') body.epochs = amount; else body.total_steps = amount;
  if (overrides.size > 0) body.reward_weights = Object.fromEntries(overrides);
  const minutes = $('#max-minutes').value.trim();
  if (minutes) body.max_minutes = Number(minutes);
  const lr = $('#learning-rate').value.trim();
  if (lr) body.learning_rate = Number(lr);
  const seed = $('#seed').value.trim();
  if (seed) body.seed = Number(seed);
  return body;
}

async function train(e) {
  e.preventDefault();
  const status = $('#train-status');
  status.dataset.kind = '';
  status.classList.remove('error');
  const body = request();
  if (!body.profile_name) { fail('profile_name: give the profile a name.'); return; }
  $('#train').disabled = true;
  status.textContent = 'Starting…';
  try {
    const job = await postJson('/api/training-jobs', body);
    status.textContent = `Job ${job.id} ${job.status}.`;
    attach(job);
  } catch (error) {
    fail(error instanceof ApiError ? error.message : `Could not start: ${error.message}`);
  } finally {
    $('#train').disabled = false;
  }
  function fail(message) {
    status.textContent = message;
    status.dataset.kind = 'error';
    status.classList.add('error');
  }
}

// ---- A job ----

let socket = null, poller = null, chart = null, spsSmoothed = null, spectator = null;
const FINAL = ['completed', 'failed', 'cancelled'];

function attach(job) {
  detach();
  state.job = job;
  state.metrics = new Map();
  state.progressSeen = [];
  state.progressReceived = [];
  state.evaluations = [];
  state.statusSeen = [];
  spsSmoothed = null;
  const url = new URL(location.href);
  url.search = `?job=${job.id}`;
  history.replaceState(null, '', url);
  $('#no-job').hidden = true;
  $('#job').hidden = false;
  $('#result-card').hidden = true;
  const f = fighters.find(x => x.id === job.fighter_id);
  $('#job-title').textContent = `job ${job.id} · ${f?.name ?? `fighter ${job.fighter_id}`} · "${job.profile_name}" · ${job.training_mode}`;
  $('#job-dashboard').href = `/dashboard.html?job=${job.id}`;
  chart = lineChart('trainer.reward', $('#reward-chart'), {
    series: [
      { id: 'reward', label: 'Reward (mean of the last 100 episodes)', colour: COLOURS.reward },
      { id: 'win_rate', label: 'Win rate %', colour: COLOURS.winRate, axis: 'y2' },
      // Each epoch's evaluation (seeded episodes against the baselines): what picks the best checkpoint.
      { id: 'eval_vs_chaser', label: 'Eval: 1v1 vs chaser %', colour: COLOURS.vsChaser, axis: 'y2' },
      { id: 'eval_vs_cautious', label: 'Eval: 1v1 vs cautious %', colour: COLOURS.vsCautious, axis: 'y2' },
      { id: 'eval_free_for_all', label: 'Eval: free-for-all %', colour: COLOURS.freeForAll, axis: 'y2' },
    ],
    yTitle: 'reward', y2Title: 'win rate %', y2Percent: true,
  });
  // The socket first (nothing is missed), then what happened before it connected.
  socket = new LiveSocket(`/ws/job-${job.id}`, {
    open: () => setLive(true, `job ${job.id} live`),
    close: () => setLive(false, 'reconnecting…'),
    message: onMessage,
  }, { subscribe: ['training_metrics', 'training_status', 'bot_decision'], history: true });
  state.socket = socket;
  getJson(`/api/training-jobs/${job.id}/metrics?max_points=500`).then(rows => {
    for (const m of rows) addPoint(m.iteration_number, m.avg_reward_last_100, m.win_rate_last_100 == null ? null : m.win_rate_last_100 * 100, evaluationOf(m));
    drawChart();
  }).catch(reportError);
  poller = every(5000, refreshJob);
  showJob(job);
}

function detach() {
  socket?.close();
  poller?.stop();
  spectator?.stop();
  $('#spectate-card').hidden = true;
  socket = poller = null;
}

async function refreshJob() {
  if (!state.job) return;
  const job = await getJson(`/api/training-jobs/${state.job.id}`);
  showJob(job);
}

function onMessage(message) {
  const data = message.data ?? {};
  if (message.type === 'training_metrics') {
    state.progressReceived.push(data.progress);
    addPoint(data.iteration, data.average_reward, data.win_rate, data.evaluation ?? null);
    if (data.evaluation) state.evaluations.push(data.evaluation);
    queueChart();
    if (data.actions_per_second > 0) spsSmoothed = spsSmoothed === null ? data.actions_per_second : 0.7 * spsSmoothed + 0.3 * data.actions_per_second;
    const job = state.job;
    showJob({ ...job, progress: data.progress, steps_done: data.global_step, iteration: data.iteration, sps: data.actions_per_second,
      recent_reward: data.average_reward, win_rate: data.win_rate == null ? null : data.win_rate / 100, _elapsed: data.training_time_elapsed });
  } else if (message.type === 'training_status') {
    state.statusSeen.push(data.status);
    showJob({ ...state.job, status: data.status, progress: data.progress ?? state.job.progress, steps_done: data.steps_done ?? state.job.steps_done,
      error_message: data.error_message, final_win_rate: data.final_win_rate, final_reward: data.final_reward });
    refreshJob().catch(reportError);
  } else if (message.type === 'bot_decision') {
    state.decisions = (state.decisions ?? 0) + 1;
    spectator?.decision(data);
  }
}

/** A REST metrics row's evaluation in percent, as the stream sends it; null when that iteration had none. */
function evaluationOf(m) {
  return m.eval_vs_chaser == null ? null
    : { vs_chaser: m.eval_vs_chaser * 100, vs_cautious: m.eval_vs_cautious * 100, free_for_all: m.eval_free_for_all * 100 };
}

function addPoint(iteration, reward, winRate, evaluation = null) {
  if (iteration == null) return;
  state.metrics.set(iteration, { reward, winRate, evaluation });
  // A long run: rather than thousands of live points, the server's downsampled series again (at most every 30 s).
  if (state.metrics.size > 1500 && !compacting && performance.now() - lastCompaction > 30_000) compactMetrics();
}

let compacting = false, lastCompaction = -Infinity;
async function compactMetrics() {
  compacting = true;
  lastCompaction = performance.now();
  try {
    const rows = await getJson(`/api/training-jobs/${state.job.id}/metrics?max_points=500`);
    const newest = Math.max(...state.metrics.keys());
    const live = [...state.metrics].filter(([i]) => i > (rows.at(-1)?.iteration_number ?? 0) && i <= newest);
    state.metrics = new Map(rows.map(m => [m.iteration_number, { reward: m.avg_reward_last_100, winRate: m.win_rate_last_100 == null ? null : m.win_rate_last_100 * 100, evaluation: evaluationOf(m) }]));
    for (const [i, v] of live) state.metrics.set(i, v);
    drawChart();
  } catch (error) { reportError(error); } finally { compacting = false; }
}

/**
 * Redraws the chart once per animation frame however many messages came in: a fast trainer sends 70 iterations a second,
 * and a full redraw for each, beside the spectator's 3D view on two busy cores, left the page too slow to take a click.
 */
let chartQueued = false;
function queueChart() {
  if (chartQueued) return;
  chartQueued = true;
  requestAnimationFrame(() => { chartQueued = false; drawChart(); });
}

function drawChart() {
  if (!chart) return;
  const its = [...state.metrics.keys()].sort((a, b) => a - b);
  setPoints(chart, 'reward', its.map(i => ({ x: i, y: state.metrics.get(i).reward })));
  setPoints(chart, 'win_rate', its.map(i => ({ x: i, y: state.metrics.get(i).winRate })));
  const evaluated = its.filter(i => state.metrics.get(i).evaluation);
  for (const key of ['vs_chaser', 'vs_cautious', 'free_for_all'])
    setPoints(chart, `eval_${key}`, evaluated.map(i => ({ x: i, y: state.metrics.get(i).evaluation[key] })));
  chart.update('none');
}

let shownFinal = null;
function showJob(job) {
  const previous = state.job;
  // Messages and polls race: never go back in progress or from a final status to a running one.
  if (previous && previous.id === job.id) {
    if (FINAL.includes(previous.status) && !FINAL.includes(job.status)) job = { ...job, status: previous.status };
    if ((job.steps_done ?? 0) < (previous.steps_done ?? 0)) job = { ...job, steps_done: previous.steps_done, progress: previous.progress, iteration: previous.iteration };
  }
  state.job = job;
  const percent = Math.max(0, Math.min(100, job.progress ?? 0));
  if (state.progressSeen.at(-1) !== percent) state.progressSeen.push(percent);
  $('#percent').textContent = `${percent.toFixed(percent < 10 && percent > 0 ? 1 : 0)}%`;
  $('#progress-fill').style.width = `${percent}%`;
  $('#progress-fill').parentElement.setAttribute('aria-valuenow', percent.toFixed(0));
  $('#job-status').replaceChildren(badge(job.status));
  $('#steps').textContent = `${int(job.steps_done)} of ${int(job.total_steps)}`;
  // An epoch is a training segment and its evaluation: "epoch 3 of 5".
  const epoch = job.total_steps > 0 && job.steps_done > 0 ? Math.min(job.epochs, Math.max(1, Math.ceil(job.steps_done * job.epochs / job.total_steps))) : 0;
  $('#iteration').textContent = `${int(epoch)} of ${int(job.epochs)} · iteration ${int(job.iteration)}`;
  $('#sps').textContent = job.sps ? `${int(job.sps)} steps/s` : '—';
  $('#reward').textContent = num(job.recent_reward, 2);
  $('#win-rate').textContent = pct(job.win_rate, 1);
  const elapsed = job._elapsed ?? (job.started_at ? ((job.completed_at ? new Date(job.completed_at) : new Date()) - new Date(job.started_at)) / 1000 : null);
  $('#elapsed').textContent = duration(elapsed);
  const sps = spsSmoothed ?? job.sps;
  let eta = null;
  if (job.status === 'running' && sps > 0) {
    eta = Math.max(0, (job.total_steps - (job.steps_done ?? 0)) / sps);
    if (job.max_minutes && elapsed != null) eta = Math.min(eta, Math.max(0, job.max_minutes * 60 - elapsed));
  }
  const evaluating = job.status === 'running' && percent >= 100;
  $('#eta').textContent = evaluating ? 'evaluating against the baselines…' : FINAL.includes(job.status) ? 'done' : eta === null ? '—' : `≈ ${duration(eta)} (at ${int(sps)} steps/s)`;
  $('#cancel').disabled = FINAL.includes(job.status);
  $('#spectate').disabled = job.status !== 'running' && !spectator?.active;
  const message = $('#job-message');
  message.classList.toggle('error', job.status === 'failed');
  message.textContent = job.status === 'failed' ? `Failed: ${job.error_message ?? 'no reason given'}`
    : job.status === 'cancelled' ? `Cancelled after ${int(job.steps_done)} steps.`
    : job.status === 'queued' || job.status === 'pending' ? 'Waiting for the trainer (one job runs at a time)…'
    : evaluating ? `Playing ${'the evaluation episodes'} against chaser, cautious and random…` : '';
  if (FINAL.includes(job.status)) {
    spectator?.jobEnded(job.status);
    if (shownFinal !== `${job.id}:${job.status}`) {
      shownFinal = `${job.id}:${job.status}`;
      poller?.stop();
      if (job.status === 'completed') showResult(job).catch(reportError);
    }
  }
}

async function cancel() {
  if (!state.job) return;
  $('#cancel').disabled = true;
  let job;
  try {
    job = await postJson(`/api/training-jobs/${state.job.id}/cancel`, {});
  } catch (error) {
    if (FINAL.includes(state.job.status)) return; // it ended meanwhile (the 409 says so): nothing to cancel
    $('#job-message').textContent = error.message;
    $('#cancel').disabled = false;
    return;
  }
  showJob(job);
}

// ---- Result ----

const FINGERPRINT = [
  ['attacks_per_second', 'Attacks per second', 2],
  ['damage_dealt_per_episode', 'Damage dealt per episode', 1],
  ['damage_taken_per_episode', 'Damage taken per episode', 1],
  ['mean_distance_to_nearest_enemy', 'Distance to the nearest enemy (m)', 2],
  ['mean_distance_to_edge', 'Distance to the ropes (m)', 2],
  ['rung_out_per_episode', 'Rung out (share of episodes)', 2],
  ['health_kept', 'Health kept at the end', 1],
  ['seconds_survived', 'Seconds survived per episode', 1],
];

async function showResult(job) {
  const profile = await getJson(`/api/fighter-profiles/${job.fighter_id}/${encodeURIComponent(job.profile_name)}`);
  state.profile = profile;
  profiles = await getJson('/api/fighter-profiles');
  fighterChanged();
  $('#result-card').hidden = false;
  $('#result-version').textContent = `model v${profile.model_version}`;
  $('#result-summary').textContent = `"${profile.profile_name}" wins ${pct(profile.win_rate, 0)} of its bouts against the baseline bots on average` +
    ` (mean reward ${num(profile.avg_reward, 2)} in training, ${int(profile.total_episodes)} episodes).`;
  const body = $('#evaluation tbody');
  body.replaceChildren();
  for (const [bot, e] of Object.entries(profile.evaluation ?? {})) {
    body.append(el('tr', { dataset: { bot } },
      el('td', { text: bot }), el('td', { class: 'num', text: pct(e.win_rate, 0) }), el('td', { class: 'num', text: pct(e.draw_rate, 0) }),
      el('td', { class: 'num', text: num(e.mean_reward, 2) }), el('td', { class: 'num', text: `${num(e.mean_seconds, 1)} s` }),
      el('td', { class: 'num', text: int(e.knockouts_dealt) }), el('td', { class: 'num', text: int(e.ring_outs_dealt) }),
      el('td', { class: 'num', text: int(e.wins_by_decision) }), el('td', { class: 'num', text: int(e.episodes) })));
  }
  if (!profile.evaluation) body.append(el('tr', {}, el('td', { colspan: 9, class: 'empty', text: 'No evaluation stored.' })));
  const fp = profile.fingerprint ?? {};
  $('#fingerprint').replaceChildren(...FINGERPRINT.map(([key, label, digits]) =>
    el('div', { class: 'row', dataset: { metric: key } }, el('span', { class: 'grow muted', text: label }), el('b', { class: 'mono', text: num(fp[key], digits) }))));
  $('#fight-now').href = `/arena.html?fighter_id=${profile.fighter_id}&profile_name=${encodeURIComponent(profile.profile_name)}`;
  $('#result-replays').href = `/replay.html?profile_id=${profile.id}&kind=evaluation`;
  $('#export').onclick = () => exportProfile(profile.fighter_id, profile.profile_name).catch(reportError);
}

// ---- Spectating ----

function toggleSpectate() {
  if (!state.job) return;
  spectator ??= new Spectator({
    view: 'spectate-view', status: 'spectate-status', bot: 'spectate-bot', value: 'decision-value', action: 'decision-action',
    iteration: 'decision-iteration', when: 'decision-when', bars: 'decision-bars',
  }, fighters);
  $('#spectate-card').hidden = false;
  spectator.start({ id: state.job.id, fighter_id: state.job.fighter_id, status: state.job.status });
  $('#spectate-card').scrollIntoView({ block: 'nearest' });
}

// ---- Page ----

async function main() {
  initPage('trainer');
  buildSliders();
  [fighters, profiles] = await Promise.all([getJson('/api/fighters'), getJson('/api/fighter-profiles')]);
  fillSelect($('#fighter'), fighters.map(f => [f.id, f.name]));
  $('#fighter').addEventListener('change', fighterChanged);
  $('#profile-name').addEventListener('change', profileNameChanged);
  for (const id of ['#budget', '#budget-unit']) $(id).addEventListener('input', budgetHint);
  form.addEventListener('submit', train);
  $('#cancel').addEventListener('click', cancel);
  $('#spectate').addEventListener('click', toggleSpectate);
  $('#spectate-close').addEventListener('click', () => { spectator?.stop(); $('#spectate-card').hidden = true; });
  budgetHint();
  if (params.has('fighter_id')) $('#fighter').value = params.get('fighter_id');
  if (params.has('profile_name')) $('#profile-name').value = params.get('profile_name');
  fighterChanged();
  await preview();
  const jobId = Number(params.get('job'));
  if (jobId > 0) {
    try {
      const job = await getJson(`/api/training-jobs/${jobId}`);
      // The form shows the job's set-up, ready to train the profile again.
      $('#fighter').value = String(job.fighter_id);
      $('#profile-name').value = job.profile_name;
      fighterChanged();
      setSliders(job);
      $('#mode').value = job.training_mode;
      showModeHint();
      await preview();
      attach(job);
    } catch (error) { reportError(error); }
  } else setLive(true, 'ready');
  if (params.get('spectate') === '1' && state.job?.status === 'running') toggleSpectate();
  markReady();
}

main().catch(error => { reportError(error); setLive(false, 'offline'); });
