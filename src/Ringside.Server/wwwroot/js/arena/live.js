// The client of a live match (protocol: POST /api/matches, then WS /ws/matches/{id}[?player_token=...]).
// It keeps the server's states in a short buffer and replays them a few ticks behind the newest one, interpolating
// between the two states around the render time, so that 30 states a second (arriving with jitter, some possibly
// missed by a slow viewer) become smooth motion at any frame rate. It never simulates anything itself.
import { openSocket } from '../api.js';
import { TICKS_PER_SECOND } from './coords.js';

const DELAY_TICKS = 3; // render 100 ms behind the newest state: room for jitter
const MAX_EXTRAPOLATION_TICKS = 4;
const BUFFER = 90;

export class LiveMatchClient {
  /**
   * @param created the POST /api/matches response (id, ws_url, player_tokens, fighters, ...)
   * @param handlers {info, you(slots), start, end, error, closed, events(slot, events, fighter, state)}
   */
  constructor(created, handlers) {
    this.created = created;
    this.handlers = handlers;
    this.id = created.id;
    this.info = null;
    this.status = created.status ?? 'waiting';
    this.you = []; // slots this page controls
    this.states = [];
    this.lastState = null; // the newest state as received (tests read it)
    this.received = 0;
    this.renderTick = null;
    this.firedTick = -1;
    this.pendingEnd = null;
    this.ended = null;
    this.speed = 1;
    this.sockets = new Map(); // slot (or 'spectator') → WebSocket
    this.lastSent = new Map();
  }

  connect() {
    const tokens = Object.entries(this.created.player_tokens ?? {});
    const base = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${this.created.ws_url ?? `/ws/matches/${this.id}`}`;
    const targets = tokens.length > 0
      ? tokens.map(([slot, token]) => ({ key: Number(slot), url: `${base}?player_token=${encodeURIComponent(token)}` }))
      : [{ key: 'spectator', url: base }];
    targets.forEach((target, i) => this._open(target.key, target.url, i === 0));
  }

  _open(key, url, primary) {
    const socket = openSocket(url);
    this.sockets.set(key, socket);
    socket.addEventListener('message', e => {
      let message;
      try { message = JSON.parse(e.data); } catch { return; }
      if (message.type === 'match_info') {
        if (message.you !== null && message.you !== undefined && !this.you.includes(message.you)) {
          this.you.push(message.you);
          this.you.sort((a, b) => a - b); // the lowest slot gets the first keyboard layout
          if (!primary) this.handlers.you?.(this.you);
        }
        if (primary) {
          this.info = message;
          this.status = message.status;
          this.speed = message.speed > 0 ? message.speed : 1;
          this.handlers.info?.(message);
        }
      } else if (!primary && message.type !== 'error') {
        return; // the other human sockets only carry input
      } else if (message.type === 'match_start') {
        this.status = 'running';
        this.handlers.start?.(message);
      } else if (message.type === 'state') {
        this._push(message);
      } else if (message.type === 'match_end') {
        this.status = 'finished';
        this.pendingEnd = { message, at: performance.now() };
      } else if (message.type === 'error') {
        this.handlers.error?.(message.message ?? 'unknown error');
      }
    });
    socket.addEventListener('close', e => {
      if (primary && !this.ended && !this.closed) this.handlers.closed?.(e);
    });
  }

  _push(state) {
    this.received++;
    this.lastState = state;
    const states = this.states;
    if (states.length > 0 && state.tick <= states[states.length - 1].tick) return; // duplicate or out of order
    states.push(state);
    if (states.length > BUFFER) states.splice(0, states.length - BUFFER);
    if (this.status === 'waiting') this.status = 'running';
  }

  /** Sends a human's action (0-9) for a slot this page controls; only changes are sent (the action holds). */
  send(slot, action) {
    const socket = this.sockets.get(slot);
    if (!socket || socket.readyState !== WebSocket.OPEN || this.lastSent.get(slot) === action) return false;
    socket.send(JSON.stringify({ type: 'input', action }));
    this.lastSent.set(slot, action);
    return true;
  }

  /**
   * Advances the render clock by dt seconds and returns the interpolated fighters (slot → state), firing the events
   * of every state the render time passed, and the end once the last state has been shown.
   */
  update(dt) {
    const states = this.states;
    if (states.length === 0) {
      if (this.pendingEnd && !this.ended) { this.ended = this.pendingEnd.message; this.handlers.end?.(this.ended); } // joined after the end
      return null;
    }
    const newest = states[states.length - 1].tick;
    const goal = newest - DELAY_TICKS;
    if (this.renderTick === null) this.renderTick = Math.max(states[0].tick, goal);
    else {
      this.renderTick += dt * TICKS_PER_SECOND * this.speed;
      const error = goal - this.renderTick;
      if (Math.abs(error) > 20) this.renderTick = goal; // far behind (a hidden tab) or ahead: jump
      else this.renderTick += error * Math.min(1, dt * 3); // otherwise ease toward the goal
      this.renderTick = Math.min(this.renderTick, newest + MAX_EXTRAPOLATION_TICKS);
    }
    const rt = this.renderTick;
    for (const s of states) {
      if (s.tick > this.firedTick && s.tick <= rt) {
        for (const f of s.fighters) if (f.events?.length) this.handlers.events?.(f.slot, f.events, f, s);
        this.firedTick = s.tick;
      }
    }
    if (this.pendingEnd && !this.ended && (rt >= newest - 0.01 || performance.now() - this.pendingEnd.at > 800)) {
      // The knockout (or the clock) that ended it has been shown: events of the last states first.
      for (const s of states) if (s.tick > this.firedTick) for (const f of s.fighters) if (f.events?.length) this.handlers.events?.(f.slot, f.events, f, s);
      this.firedTick = newest;
      this.ended = this.pendingEnd.message;
      this.handlers.end?.(this.ended);
    }
    return this._sample(rt);
  }

  _sample(rt) {
    const states = this.states;
    let b = states.findIndex(s => s.tick >= rt);
    const result = new Map();
    if (b === -1) { // past the newest: extrapolate along the velocity
      const last = states[states.length - 1];
      const ahead = Math.min(rt - last.tick, MAX_EXTRAPOLATION_TICKS) / TICKS_PER_SECOND;
      for (const f of last.fighters) result.set(f.slot, { ...f, x: f.x + (f.alive ? f.vx * ahead : 0), y: f.y + (f.alive ? f.vy * ahead : 0) });
      return { tick: rt, time: rt / TICKS_PER_SECOND, fighters: result };
    }
    if (b === 0) {
      for (const f of states[0].fighters) result.set(f.slot, f);
      return { tick: rt, time: rt / TICKS_PER_SECOND, fighters: result };
    }
    const A = states[b - 1], B = states[b];
    const alpha = (rt - A.tick) / (B.tick - A.tick);
    const previous = new Map(A.fighters.map(f => [f.slot, f]));
    for (const f of B.fighters) {
      const a = previous.get(f.slot);
      if (!a) { result.set(f.slot, f); continue; }
      result.set(f.slot, {
        ...f,
        x: a.x + (f.x - a.x) * alpha, y: a.y + (f.y - a.y) * alpha,
        vx: a.vx + (f.vx - a.vx) * alpha, vy: a.vy + (f.vy - a.vy) * alpha,
        fx: a.fx + (f.fx - a.fx) * alpha, fy: a.fy + (f.fy - a.fy) * alpha,
        health: a.health + (f.health - a.health) * alpha,
        alive: alpha < 1 ? a.alive : f.alive,
      });
    }
    return { tick: rt, time: rt / TICKS_PER_SECOND, fighters: result };
  }

  close() {
    this.closed = true;
    for (const socket of this.sockets.values()) {
      try { socket.close(1000, 'left'); } catch { /* already closed */ }
    }
    this.sockets.clear();
  }
}
