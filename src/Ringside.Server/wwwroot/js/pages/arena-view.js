// A 3D arena inside a page (replays, spectating a training job): the arena page's own stage, crowd and fighter views
// (js/arena/*.js), with a small scoreboard, a clock and a banner drawn over it. It shows states it is given; it never
// simulates. The owner gives a `sample(dt)` function that returns {time, fighters: Map(slot → state)} each frame.
import * as THREE from '/vendor/three/build/three.module.js';
import { Stage, chooseQuality } from '../arena/stage.js';
import { Crowd } from '../arena/crowd.js';
import { FighterView, loadModel } from '../arena/fighters.js';
import { MAT_HEIGHT, simToThree, yawOfFacing } from '../arena/coords.js';
import { el } from './common.js';

const _position = new THREE.Vector3();

/** "Bot: chaser", "AI: brawler", "Training job 4", "Human". */
export function describeSlot(info) {
  switch (info.controller) {
    case 'human': return 'Human';
    case 'bot': return `Bot: ${info.bot ?? ''}`;
    case 'profile': return info.profile_name ? `AI: ${info.profile_name}` : 'Default AI';
    case 'default': return 'Default AI';
    case 'training_job': return info.job_id ? `Training job ${info.job_id}` : 'Training job';
    default: return info.controller ?? '';
  }
}

export class ArenaView {
  /**
   * @param container an element (.arena-view) that the canvas fills
   * @param options {crowd: true, sample: dt => {time, fighters} | null, events: (slot, events) => void}
   */
  constructor(container, { crowd = true } = {}) {
    this.container = container;
    const quality = chooseQuality(new URLSearchParams(location.search).get('quality'));
    this.stage = new Stage(container, quality);
    this.crowd = crowd ? new Crowd(this.stage.scene) : null;
    this.views = [];
    this.generation = 0;
    this.sample = null;
    this.running = false;
    this.frames = 0; // frames drawn (tests)
    this.board = el('div', { class: 'overlay', 'aria-label': 'Fighters' });
    this.clockEl = el('div', { class: 'clock' });
    this.bannerEl = el('div', { class: 'banner', role: 'status' });
    this.captionEl = el('div', { class: 'caption' });
    container.append(this.board, this.clockEl, this.bannerEl, this.captionEl);
    this._rows = new Map();
    this._last = performance.now();
    this._frame = this._frame.bind(this);
    this.idleFps = 6;
    this.stage.controls.addEventListener('change', () => this.wake(600));
    this._resize = new ResizeObserver(() => { this.stage.resize(); this.wake(300); });
    this._resize.observe(container);
  }

  /** Puts these fighters on stage ({slot, name, glb_filename, size, speed, controller, ...}); a missing GLB draws a stand-in. */
  async setFighters(infos) {
    const generation = ++this.generation;
    const models = await Promise.all(infos.map(f => f.glb_filename
      ? loadModel(`/fighters/${encodeURIComponent(f.glb_filename)}`).catch(error => { console.warn(`Could not load ${f.glb_filename}: ${error.message ?? error}; drawing a stand-in.`); return null; })
      : Promise.resolve(null)));
    if (generation !== this.generation) return this.views;
    this.infos = infos;
    this._build(models);
    return this.views;
  }

  /** New views for the same fighters (a replay seeking backwards: knockouts are undone). */
  reset() {
    if (!this.infos) return;
    this._build(this.views.map(v => v.gltf ?? null));
  }

  _build(models) {
    for (const v of this.views) v.dispose();
    this.views = this.infos.map((info, i) => {
      const view = new FighterView(info, models[i]);
      view.gltf = models[i];
      this.stage.scene.add(view.root);
      return view;
    });
    // Spawn circle until the first state arrives.
    const n = this.views.length;
    this.views.forEach((v, i) => {
      const angle = Math.PI + 2 * Math.PI * i / n;
      v.root.position.copy(simToThree(2.75 * Math.cos(angle), 2.75 * Math.sin(angle), new THREE.Vector3(0, MAT_HEIGHT, 0)));
      v.root.rotation.y = yawOfFacing(-Math.cos(angle), -Math.sin(angle));
    });
    this.board.replaceChildren();
    this._rows.clear();
    for (const v of this.views) {
      const fill = el('div');
      const row = el('div', { class: 'board-row', dataset: { slot: v.slot } },
        el('span', {}, el('b', { text: v.info.name }), ' ', el('span', { class: 'muted', text: describeSlot(v.info) })),
        el('div', { class: 'health' }, fill));
      row.style.setProperty('--slot', v.colour);
      this.board.append(row);
      this._rows.set(v.slot, { row, fill, health: -1, alive: true });
    }
  }

  /** Starts drawing: `sample(dt)` is asked for the fighters' states each frame. */
  start(sample) {
    this.sample = sample;
    if (this.running) return;
    this.running = true;
    this._last = performance.now();
    requestAnimationFrame(this._frame);
  }

  stop() { this.running = false; }

  /** Keeps drawing at the full frame rate for a while (playing, the camera moving); otherwise `idleFps`. */
  wake(ms = 1500) { this._awakeUntil = Math.max(this._awakeUntil ?? 0, performance.now() + ms); }

  _frame(now) {
    if (!this.running) return;
    requestAnimationFrame(this._frame);
    // Idle (paused, nothing moving): a few frames a second is enough and spares the CPU (software WebGL).
    const interval = now < (this._awakeUntil ?? 0) ? 0 : 1000 / this.idleFps;
    if (now - this._last < interval) return;
    const dt = Math.min(0.1, (now - this._last) / 1000);
    this._last = now;
    if (this.container.isConnected && this.container.offsetParent !== null) this.step(dt); // hidden: draw nothing
  }

  /** One frame: the states, the animations, the camera, the picture. */
  step(dt) {
    this.stage.update(dt);
    this.crowd?.update(dt);
    const sampled = this.sample?.(dt);
    for (const v of this.views) {
      const f = sampled?.fighters?.get(v.slot);
      if (!f) { v.update(dt, {}); continue; }
      simToThree(f.x, f.y, _position).setY(MAT_HEIGHT);
      v.update(dt, { position: _position, yaw: yawOfFacing(f.fx, f.fy), speed: Math.hypot(f.vx, f.vy), health: f.health, alive: f.alive });
      const r = this._rows.get(v.slot);
      const health = Math.round(f.health);
      if (r && r.health !== health) {
        r.health = health;
        r.fill.style.width = `${Math.max(0, Math.min(100, health))}%`;
        r.fill.classList.toggle('low', health < 30);
      }
      if (r && r.alive !== f.alive) { r.alive = f.alive; r.row.classList.toggle('out', !f.alive); }
    }
    this.stage.render();
    this.frames++;
  }

  /** Events of a state for one fighter (attack, hit_taken, knockout, ring_out): animations. */
  events(slot, events) {
    const v = this.views[slot];
    if (!v) return;
    v.onEvents(events);
    if (events.includes('knockout') || events.includes('ring_out')) this.flash(events.includes('ring_out') ? 'RING OUT!' : 'KNOCKOUT!', 1.6);
  }

  celebrate(slot) { this.views[slot]?.celebrate(); }

  /** A banner over the view for `seconds` (0: until cleared). */
  flash(text, seconds = 0) {
    this.bannerEl.textContent = text;
    clearTimeout(this._bannerTimer);
    if (seconds > 0) this._bannerTimer = setTimeout(() => { this.bannerEl.textContent = ''; }, seconds * 1000);
  }

  setClock(text) { this.clockEl.textContent = text ?? ''; }
  setCaption(text) { this.captionEl.textContent = text ?? ''; }

  /** Each fighter on stage as drawn (sim coordinates): what the tests compare with the API's frames. */
  fighters() {
    return this.views.map(v => ({ slot: v.slot, name: v.info.name, x: v.root.position.x, y: -v.root.position.z, alive: v.alive, health: v.health }));
  }

  dispose() {
    this.stop();
    this._resize.disconnect();
    for (const v of this.views) v.dispose();
    this.stage.renderer.dispose();
    this.stage.renderer.forceContextLoss();
    this.stage.renderer.domElement.remove();
    this.board.remove(); this.clockEl.remove(); this.bannerEl.remove(); this.captionEl.remove();
  }
}
