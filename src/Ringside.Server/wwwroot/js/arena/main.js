// The arena page: the stage, the crowd and the HUD; the assignment modal; a live match streamed from the server,
// rendered and (for human slots) driven from the keyboard. window.ringside (hooks.js) exposes what the browser tests check.
import * as THREE from '/vendor/three/build/three.module.js';
import { Stage, CAMERA_PRESETS, chooseQuality } from './stage.js';
import { Crowd } from './crowd.js';
import { FighterView, loadModel } from './fighters.js';
import { Hud } from './hud.js';
import { Sound } from './sound.js';
import { HumanInput } from './input.js';
import { LiveMatchClient } from './live.js';
import { AssignmentModal } from './assign.js';
import { MAT_HEIGHT, TICKS_PER_SECOND, simToThree, yawOfFacing } from './coords.js';
import { getJson, postJson } from '../api.js';
import { el } from '../dom.js';
import { installHooks } from './hooks.js';

const params = new URLSearchParams(location.search);
const stage = new Stage(document.getElementById('stage'), chooseQuality(params.get('quality')));
const crowd = new Crowd(stage.scene);
const hud = new Hud(document.body);
const sound = new Sound();
const input = new HumanInput(window);

let fighters = []; // roster from GET /api/fighters
let views = []; // FighterView per slot on stage
let viewsKey = '';
let viewsGeneration = 0;
let live = null; // LiveMatchClient
let lastRequest = null; // the POST body of the current battle (for a rematch)
let paused = false;
let lastHealth = new Map();
let matchViewsReady = false; // the current match's fighters are on stage (until then, states wait in the buffer)
/** What the page has shown of the current match (the browser tests read it). */
const shown = { hits: 0, popups: 0, knockouts: 0, banners: [] };

const modal = new AssignmentModal(document.getElementById('assign'), {
  change: slots => { if (!live) showPreview(slots.map(s => s.fighter_id)); },
  start: request => startBattle(request),
  uploaded: async () => { await loadRoster(); },
});

// ---- Stage: fighters ----

/** Puts these fighters on the stage (slot i = infos[i]); GLBs load once and are cloned per fighter. */
async function setFighters(infos) {
  const key = JSON.stringify(infos.map(f => [f.slot, f.fighter_id, f.glb_filename]));
  const generation = ++viewsGeneration;
  const models = await Promise.all(infos.map(f => loadModel(`/fighters/${encodeURIComponent(f.glb_filename)}`).catch(error => {
    console.warn(`Could not load ${f.glb_filename}: ${error.message ?? error}; drawing a stand-in.`);
    return null;
  })));
  if (generation !== viewsGeneration) return views; // a newer call won
  for (const v of views) v.dispose();
  views = infos.map((info, i) => new FighterView(info, models[i]));
  viewsKey = key;
  for (const v of views) stage.scene.add(v.root);
  hud.setFighters(views, live?.you ?? []);
  return views;
}

/** Before a battle: the chosen fighters stand on the spawn circle (radius 2.75 m), facing the centre. */
async function showPreview(fighterIds) {
  const infos = fighterIds.map((id, slot) => {
    const f = fighters.find(x => x.id === id);
    return f && { slot, fighter_id: f.id, name: f.name, glb_filename: f.glb_filename, size: f.metadata_json?.size ?? 1, speed: f.metadata_json?.speed ?? 1, controller: 'preview' };
  }).filter(Boolean);
  await setFighters(infos);
  standOnCircle();
  hud.setStatus(views.length > 0 ? 'Choose fighters and controllers, then START BATTLE' : '');
}

/** Until the server says where they are: the fighters on the spawn circle (radius 2.75 m), facing the centre. */
function standOnCircle() {
  views.forEach((v, i) => {
    const angle = Math.PI + 2 * Math.PI * i / views.length; // the first on the west, counter-clockwise
    const x = 2.75 * Math.cos(angle), y = 2.75 * Math.sin(angle);
    v.root.position.copy(simToThree(x, y, new THREE.Vector3(0, MAT_HEIGHT, 0)));
    v.root.rotation.y = yawOfFacing(-Math.cos(angle), -Math.sin(angle));
  });
}

// ---- Battle ----

async function startBattle(request) {
  sound.unlock();
  lastRequest = request;
  hideResult();
  hud.clearBanner();
  modal.startButton.disabled = true;
  let created;
  try {
    // This page shows the match it starts: the match waits for it to connect, so not a tick is missed.
    created = await postJson('/api/matches', { ...request, wait_for_spectator: true });
  } catch (error) {
    modal.showError(`Could not start the battle: ${error.message}`);
    modal.startButton.disabled = false;
    return;
  }
  modal.close();
  connect(created);
}

/** Connects to a match (as its players when the POST response gave tokens, else as a spectator). */
function connect(created) {
  leaveMatch();
  Object.assign(shown, { hits: 0, popups: 0, knockouts: 0, banners: [] });
  lastHealth = new Map();
  matchViewsReady = false;
  hud.setStatus('Connecting…');
  document.body.classList.add('in-match');
  const client = new LiveMatchClient(created, {
    info: async info => {
      document.title = `Ringside — match ${info.id}`;
      await setFighters(info.fighters);
      if (live !== client) return; // left meanwhile
      standOnCircle();
      matchViewsReady = true;
      if (document.activeElement instanceof HTMLElement) document.activeElement.blur(); // keys drive the fighter, not a button
      hud.setFighters(views, client.you);
      setPlayers(client.you);
      for (const f of info.fighters) lastHealth.set(f.slot, 100);
      hud.setClock(0, info.max_ticks / TICKS_PER_SECOND);
      hud.setStatus(info.status === 'waiting' ? 'Waiting for every human player to connect…' : 'Live');
    },
    you: slots => { if (live === client && matchViewsReady) { setPlayers(slots); hud.setFighters(views, slots); } },
    start: () => {
      hud.setStatus('Live');
      hud.showBanner('FIGHT!', null, 'fight', 1.2);
      sound.bell(1);
      crowd.cheer(0.6);
    },
    events: onEvents,
    end: onEnd,
    error: message => { hud.setStatus(`Server: ${message}`); console.warn(`match ${created.id}: ${message}`); },
    closed: () => { if (live === client && !client.ended) hud.setStatus('Disconnected from the match.'); },
  });
  live = client;
  window.ringside.match = client;
  client.connect();
}

/** The slots this page plays (one keyboard layout each), the help line and the touch pad. */
function setPlayers(slots) {
  input.setPlayers(slots);
  document.getElementById('help').textContent = slots.length > 0 ? HumanInput.help(slots.length) : 'Spectating';
  document.body.classList.toggle('has-human', slots.length > 0);
}

function leaveMatch() {
  if (live) live.close();
  live = null;
  input.setPlayers([]);
  document.body.classList.remove('in-match', 'has-human');
}

const HIT_WORDS = ['POW!', 'BAM!', 'WHAM!', 'SMACK!', 'THUD!'];

function onEvents(slot, events, f) {
  const view = views[slot];
  if (!view) return;
  view.onEvents(events);
  const { width, height } = stage.renderer.domElement.getBoundingClientRect();
  const head = view.headPosition(new THREE.Vector3());
  if (events.includes('attack')) sound.whoosh();
  if (events.includes('hit_taken')) {
    shown.hits++;
    const before = lastHealth.get(slot) ?? 100;
    const damage = Math.max(0, before - f.health);
    lastHealth.set(slot, f.health);
    if (hud.popup(head.clone().setY(head.y - 0.3), damage > 0 ? `-${Math.round(damage)}` : HIT_WORDS[0], stage.camera, width, height, 'damage')) shown.popups++;
    if (Math.random() < 0.45) hud.popup(head, HIT_WORDS[Math.floor(Math.random() * HIT_WORDS.length)], stage.camera, width, height, 'word');
    sound.punch(Math.min(1.5, 0.6 + damage / 15));
    crowd.cheer(0.35);
  }
  if (events.includes('knockout') || events.includes('ring_out')) {
    const ringOut = events.includes('ring_out');
    hud.showBanner(ringOut ? 'RING OUT!' : 'KNOCKOUT!', view.info.name, 'ko', 2.2);
    shown.knockouts++;
    shown.banners.push(ringOut ? 'RING OUT!' : 'KNOCKOUT!');
    if (hud.popup(head, 'KO!', stage.camera, width, height, 'ko')) shown.popups++;
    sound.thud();
    sound.cheer(1);
    crowd.cheer(1);
  }
}

function onEnd(end) {
  const winner = end.winner_slot != null && end.winner_slot >= 0 ? views[end.winner_slot] : null;
  if (winner) winner.celebrate();
  const reason = end.reason === 'time_limit' ? 'on health at the time limit' : end.reason === 'last_standing' ? 'last one standing' : (end.reason ?? '');
  hud.showBanner(winner ? 'VICTORY' : 'DRAW', winner ? `${winner.info.name} — ${reason}` : reason, 'victory', 0);
  shown.banners.push(winner ? 'VICTORY' : 'DRAW');
  hud.setStatus('Match over');
  sound.bell(3);
  sound.cheer(1.5);
  crowd.cheer(1.5);
  input.setPlayers([]);
  showResult(end, winner);
}

function showResult(end, winner) {
  const panel = document.getElementById('result');
  panel.querySelector('#result-winner').textContent = winner ? winner.info.name : 'Nobody';
  panel.querySelector('#result-winner').style.color = winner?.colour ?? '';
  const seconds = (end.ticks ?? 0) / TICKS_PER_SECOND;
  const how = end.reason === 'time_limit' ? 'had the most health at the time limit' : 'was the last one standing';
  panel.querySelector('#result-detail').textContent = winner ? `${how} after ${seconds.toFixed(1)} s.` : `No winner after ${seconds.toFixed(1)} s.`;
  const replay = panel.querySelector('#watch-replay');
  replay.hidden = end.replay_id == null;
  if (end.replay_id != null) replay.href = `/replay.html?id=${encodeURIComponent(end.replay_id)}`;
  panel.querySelector('#rematch').hidden = !lastRequest;
  panel.hidden = false;
  panel.dataset.winnerSlot = end.winner_slot ?? '';
}

function hideResult() {
  document.getElementById('result').hidden = true;
}

// ---- Frame loop ----

const _position = new THREE.Vector3();
const _forward = new THREE.Vector3();
let lastFrame = performance.now();

function step(dt) {
  stage.update(dt);
  crowd.update(dt);
  const sampled = live && matchViewsReady ? live.update(dt) : null;
  if (sampled) {
    for (const v of views) {
      const f = sampled.fighters.get(v.slot);
      if (!f) { v.update(dt, {}); continue; }
      simToThree(f.x, f.y, _position).setY(MAT_HEIGHT);
      v.update(dt, { position: _position, yaw: yawOfFacing(f.fx, f.fy), speed: Math.hypot(f.vx, f.vy), health: f.health, alive: f.alive });
    }
    if (live.info && !live.ended) hud.setClock(sampled.time, live.info.max_ticks / TICKS_PER_SECOND);
  } else {
    for (const v of views) v.update(dt, {});
  }
  if (live && input.players.length > 0 && !live.ended && !modal.isOpen) {
    stage.camera.getWorldDirection(_forward);
    for (const { slot, action } of input.actions(_forward)) live.send(slot, action);
  }
  const { width, height } = stage.renderer.domElement.getBoundingClientRect();
  hud.update(views, stage.camera, width, height);
}

function frame(now) {
  const dt = Math.min(0.1, (now - lastFrame) / 1000);
  lastFrame = now;
  if (!paused) {
    step(dt);
    stage.render();
  }
  requestAnimationFrame(frame);
}

// ---- Page ----

function buildToolbar() {
  const cameras = document.getElementById('cameras');
  for (const [name, preset] of Object.entries(CAMERA_PRESETS)) {
    const b = el('button', 'cam', preset.label);
    b.type = 'button';
    b.dataset.preset = name;
    b.setAttribute('aria-pressed', String(name === stage.preset));
    b.addEventListener('click', () => {
      stage.setPreset(name);
      for (const other of cameras.children) other.setAttribute('aria-pressed', String(other === b));
    });
    cameras.append(b);
  }
  const soundButton = document.getElementById('sound');
  const label = () => { soundButton.textContent = sound.enabled ? 'Sound on' : 'Sound off'; soundButton.setAttribute('aria-pressed', String(sound.enabled)); };
  label();
  soundButton.addEventListener('click', () => { sound.toggle(); label(); });
  document.getElementById('new-battle').addEventListener('click', () => openAssignment());
  document.getElementById('new-battle-2').addEventListener('click', () => openAssignment());
  document.getElementById('rematch').addEventListener('click', () => {
    if (lastRequest) startBattle({ ...lastRequest, seed: Math.floor(Math.random() * 2 ** 31) });
  });
  window.addEventListener('resize', () => stage.resize());
  new ResizeObserver(() => stage.resize()).observe(document.getElementById('stage'));
  // First gesture anywhere unlocks audio.
  window.addEventListener('pointerdown', () => sound.unlock(), { once: true });
  bindTouchPad();
}

function openAssignment() {
  hideResult();
  hud.clearBanner();
  leaveMatch();
  hud.setClock(null);
  showPreview(modal.slots.map(s => s.fighter_id));
  modal.open(true);
}

/** On touch screens, an on-screen pad drives the first human (screen directions, like the keys). */
function bindTouchPad() {
  const pad = document.getElementById('touchpad');
  for (const button of pad.querySelectorAll('button')) {
    const [right, forward, attack] = [Number(button.dataset.right ?? 0), Number(button.dataset.forward ?? 0), button.dataset.attack === 'true'];
    const press = e => { e.preventDefault(); if (attack) input.virtual.attack = true; else { input.virtual.right = right; input.virtual.forward = forward; } };
    const release = e => { e.preventDefault(); if (attack) input.virtual.attack = false; else { input.virtual.right = 0; input.virtual.forward = 0; } };
    button.addEventListener('pointerdown', press);
    button.addEventListener('pointerup', release);
    button.addEventListener('pointerleave', release);
    button.addEventListener('pointercancel', release);
  }
}

async function loadRoster() {
  const [f, p] = await Promise.all([getJson('/api/fighters'), getJson('/api/fighter-profiles').catch(() => [])]);
  fighters = f;
  modal.setData(fighters, p);
}

// ---- Test and tooling hooks (hooks.js) ----

installHooks({
  stage, crowd, shown, step, showPreview,
  views: () => views,
  get paused() { return paused; },
  set paused(value) { paused = value; },
  resume() { paused = false; lastFrame = performance.now(); },
});

async function main() {
  buildToolbar();
  requestAnimationFrame(frame);
  try {
    await loadRoster();
  } catch (error) {
    hud.setStatus(`Could not load the roster: ${error.message}`);
    throw error;
  }
  const spectate = params.get('match');
  if (spectate) {
    hud.setStatus(`Spectating match ${spectate}`);
    connect({ id: Number(spectate), ws_url: `/ws/matches/${encodeURIComponent(spectate)}`, player_tokens: {} });
    await new Promise(resolve => setTimeout(resolve, 0));
  } else {
    await showPreview(modal.slots.map(s => s.fighter_id));
    modal.open(false);
  }
  window.ringside.ready = true;
  document.body.dataset.ready = 'true';
}

main();
