// The replay player: frames re-simulated by the server, fetched over one of the two replay transports (docs/SERVER.md) (HTTP pages of
// /api/replays/{id}/frames, or the chunked WebSocket stream /ws/replays/{id}/frames), played in an ArenaView with
// play/pause, scrubbing and speed. Playback starts as soon as the first frames are in; the rest arrives meanwhile.
import { apiFetch, openSocket } from '../api.js';
import { getJson, wsUrl, TICKS_PER_SECOND } from './common.js';

export const PAGE_SIZE = 300; // frames per HTTP page
export const WS_BATCH = 150; // frames per WebSocket chunk
export const WS_MAX_CHUNK_BYTES = 128 * 1024;

/** The fighters of a replay, slot by slot ({slot, fighter_id, name, glb_filename, size, speed, controller, bot, profile_name}). */
export async function replayFighters(replay, fighters, profiles) {
  const byId = new Map(fighters.map(f => [f.id, f]));
  const body = (id) => {
    const f = byId.get(id);
    return f ? { fighter_id: f.id, name: f.name, glb_filename: f.glb_filename, size: f.metadata_json?.size ?? 1, speed: f.metadata_json?.speed ?? 1 }
      : { fighter_id: id, name: `Fighter ${id}`, glb_filename: null, size: 1, speed: 1 };
  };
  if (replay.kind === 'match' && replay.match_id != null) {
    const match = await getJson(`/api/matches/${replay.match_id}`);
    return match.participants.sort((a, b) => a.slot - b.slot).map(p => ({ slot: p.slot, ...body(p.fighter_id), ...controllerOf(p.controller), profile_name: p.profile_name ?? undefined }));
  }
  // An evaluation: the trained fighter (slot 0) against a baseline bot with the standard body (size 1, speed 1), which
  // belongs to no roster fighter: drawn as a stand-in.
  const bot = (replay.tags ?? []).find(t => t.startsWith('vs:'))?.slice(3) ?? 'bot';
  const profile = profiles.find(p => p.id === replay.profile_ids?.[0]);
  const infos = [{ slot: 0, ...body(replay.fighter_ids?.[0]), controller: 'profile', profile_name: profile?.profile_name }];
  for (let slot = 1; slot < replay.fighters; slot++) infos.push({ slot, fighter_id: null, name: `Bot ${bot}`, glb_filename: null, size: 1, speed: 1, controller: 'bot', bot });
  return infos;
}

/** "bot:chaser" → {controller: 'bot', bot: 'chaser'}; "profile:x", "job:3", "human". */
export function controllerOf(text) {
  if (!text) return { controller: '' };
  if (text.startsWith('bot:')) return { controller: 'bot', bot: text.slice(4) };
  if (text.startsWith('profile:')) return { controller: 'profile', profile_name: text.slice(8) };
  if (text.startsWith('job:')) return { controller: 'training_job', job_id: Number(text.slice(4)) };
  return { controller: text };
}

export class ReplayPlayer {
  /**
   * @param view an ArenaView
   * @param onChange called (throttled by the frame rate) when the time, the loading or the state changes
   */
  constructor(view, onChange = () => {}) {
    this.view = view;
    this.onChange = onChange;
    this.replay = null;
    this.frames = [];
    this.total = 0;
    this.loaded = 0; // frames held
    this.contiguous = 0; // frames 0..contiguous-1 are all held
    this.t = 0; // playback position in ticks (fractional)
    this.playing = false;
    this.speed = 1;
    this.ended = false;
    this.firedTick = -1;
    this.stats = null;
    this._abort = null;
    this._socket = null;
  }

  /** Loads a replay (fighters on stage, frames over `transport`: 'http' or 'ws') and plays it. */
  async open(replay, infos, transport = 'http', { autoplay = true } = {}) {
    this.close();
    this.replay = replay;
    this.infos = infos;
    this.total = replay.ticks + 1;
    this.frames = new Array(this.total);
    this.loaded = 0;
    this.contiguous = 0;
    this.t = 0;
    this.firedTick = 0;
    this.ended = false;
    this.playing = autoplay;
    this.stats = { transport, requests: 0, chunks: 0, bytes: 0, started: performance.now(), firstFrameMs: null, doneMs: null, done: false, error: null };
    await this.view.setFighters(infos);
    this.view.flash('');
    this.view.start(dt => this._sample(dt));
    this.load(transport);
    this.onChange(this);
  }

  /** (Re)loads the frames with this transport; frames already held stay. */
  load(transport) {
    this._stopLoading();
    this.stats = { ...this.stats, transport, requests: 0, chunks: 0, bytes: 0, started: performance.now(), firstFrameMs: null, doneMs: null, done: false, error: null };
    this.frames = new Array(this.total);
    this.loaded = 0;
    this.contiguous = 0;
    if (transport === 'ws') this._loadWebSocket();
    else this._loadHttp();
  }

  async _loadHttp() {
    const abort = new AbortController();
    this._abort = abort;
    const id = this.replay.id;
    try {
      for (let offset = 0; offset < this.total; offset += PAGE_SIZE) {
        this.stats.url = `/api/replays/${id}/frames?offset=${offset}&limit=${PAGE_SIZE}`;
        const response = await apiFetch(this.stats.url, { signal: abort.signal, headers: { Accept: 'application/json' } });
        const text = await response.text();
        if (!response.ok) throw new Error(`GET frames: HTTP ${response.status} ${text.slice(0, 200)}`);
        this.stats.requests++;
        this.stats.bytes += text.length;
        const page = JSON.parse(text);
        this.total = page.total;
        this._add(page.offset, page.frames);
      }
      this._done();
    } catch (error) {
      if (abort.signal.aborted) return;
      this.stats.error = error.message;
      console.warn(`replay ${id}: ${error.message}`);
      this.onChange(this);
    }
  }

  _loadWebSocket() {
    const id = this.replay.id;
    const url = wsUrl(`/ws/replays/${id}/frames?batch_size=${WS_BATCH}&max_chunk_bytes=${WS_MAX_CHUNK_BYTES}`);
    this.stats.url = url;
    const socket = openSocket(url);
    this._socket = socket;
    socket.addEventListener('message', e => {
      if (this._socket !== socket) return;
      this.stats.bytes += e.data.length;
      const message = JSON.parse(e.data);
      if (message.type === 'replay_chunk') {
        this.stats.chunks++;
        this._add(message.offset, message.frames);
      } else if (message.type === 'replay_end') {
        this.total = message.total;
        this._done();
      }
    });
    socket.addEventListener('close', e => {
      if (this._socket !== socket || this.stats.done) return;
      this.stats.error = `the stream closed before the end (${e.code} ${e.reason || 'no reason'})`;
      this.onChange(this);
    });
  }

  _add(offset, frames) {
    for (let i = 0; i < frames.length; i++) {
      if (this.frames[offset + i] === undefined) this.loaded++;
      this.frames[offset + i] = frames[i];
    }
    while (this.contiguous < this.total && this.frames[this.contiguous] !== undefined) this.contiguous++;
    if (this.stats.firstFrameMs === null) this.stats.firstFrameMs = Math.round(performance.now() - this.stats.started);
    this.onChange(this);
  }

  _done() {
    this.stats.done = true;
    this.stats.doneMs = Math.round(performance.now() - this.stats.started);
    this.onChange(this);
  }

  _stopLoading() {
    this._abort?.abort();
    this._abort = null;
    if (this._socket) { const s = this._socket; this._socket = null; try { s.close(1000, 'done'); } catch { /* closed */ } }
  }

  get duration() { return (this.total - 1) / TICKS_PER_SECOND; }
  get time() { return this.t / TICKS_PER_SECOND; }

  play() {
    if (this.ended || this.t >= this.total - 1) this.seek(0);
    this.playing = true;
    this.onChange(this);
  }

  pause() { this.playing = false; this.onChange(this); }

  toggle() { if (this.playing) this.pause(); else this.play(); }

  setSpeed(speed) { this.speed = speed; this.onChange(this); }

  /** Jumps to a tick; going back rebuilds the fighters (a knockout is undone), going forward skips the events between. */
  seek(tick) {
    tick = Math.max(0, Math.min(this.total - 1, tick));
    if (tick < this.t || this.ended) { this.view.reset(); this.view.flash(''); }
    this.t = tick;
    this.firedTick = Math.floor(tick);
    this.ended = false;
    this.view.wake(800);
    this.onChange(this);
  }

  /** Per frame (from the ArenaView): advance while playing and the next frames are here, fire events, interpolate. */
  _sample(dt) {
    if (!this.replay || this.contiguous === 0) return null;
    const last = this.total - 1;
    if (this.playing) {
      this.view.wake(500);
      const limit = Math.min(last, this.contiguous - 1); // wait at the edge of what has arrived
      const before = this.t;
      this.t = Math.min(limit, this.t + dt * TICKS_PER_SECOND * this.speed);
      this.buffering = this.t >= limit && limit < last;
      if (this.t !== before) this._fire(Math.floor(this.t));
      if (this.t >= last) this._end();
      this.onChange(this);
    }
    return this.sampleAt(this.t);
  }

  _fire(upTo) {
    for (let k = this.firedTick + 1; k <= upTo; k++) {
      const frame = this.frames[k];
      if (!frame) break;
      for (const f of frame.fighters) if (f.events?.length) this.view.events(f.slot, f.events);
      this.firedTick = k;
    }
  }

  _end() {
    if (this.ended) return;
    this.ended = true;
    this.playing = false;
    const winner = this.replay.winner_slot;
    if (winner != null && winner >= 0) {
      this.view.celebrate(winner);
      this.view.flash(`${this.infos[winner]?.name ?? `Slot ${winner}`} wins`);
    } else this.view.flash('DRAW');
  }

  /** The fighters at a fractional tick, interpolated between the two frames around it. */
  sampleAt(t) {
    const i = Math.min(Math.floor(t), this.total - 1), a = this.frames[i];
    if (!a) return null;
    const b = this.frames[i + 1], alpha = t - i;
    const fighters = new Map();
    const next = b ? new Map(b.fighters.map(f => [f.slot, f])) : null;
    for (const f of a.fighters) {
      const g = next?.get(f.slot);
      if (!g || alpha <= 0) { fighters.set(f.slot, f); continue; }
      fighters.set(f.slot, {
        ...f, x: f.x + (g.x - f.x) * alpha, y: f.y + (g.y - f.y) * alpha, vx: f.vx + (g.vx - f.vx) * alpha, vy: f.vy + (g.vy - f.vy) * alpha,
        fx: f.fx + (g.fx - f.fx) * alpha, fy: f.fy + (g.fy - f.fy) * alpha, health: f.health + (g.health - f.health) * alpha,
      });
    }
    return { tick: t, time: t / TICKS_PER_SECOND, fighters };
  }

  close() {
    this._stopLoading();
    this.playing = false;
    this.replay = null;
  }
}
