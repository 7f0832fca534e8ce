// Spectating a training job: the job's current policy (its latest checkpoint, POST /api/matches with controller
// "training_job") fights a bot in the 3D arena, one match after another while the job runs, so each new match shows a
// newer network; beside it, the job's bot_decision messages (action probabilities, value, chosen action) live.
import { LiveMatchClient } from '../arena/live.js';
import { ArenaView } from './arena-view.js';
import { ACTION_NAMES, BOTS, fillSelect, getJson, hbar, num, pages, postJson } from './common.js';

const ACTION_LABELS = { move_e: 'move E', move_ne: 'move NE', move_n: 'move N', move_nw: 'move NW', move_w: 'move W', move_sw: 'move SW', move_s: 'move S', move_se: 'move SE', idle: 'idle', attack: 'attack' };
const RETRY_MS = 3000;

export class Spectator {
  /**
   * @param root an element holding #…-view (.arena-view), a status line, a bot <select> and the decision panel, found by
   *   the ids given: {view, status, bot, value, action, iteration, when, bars}
   */
  constructor(ids, fighters) {
    this.$ = Object.fromEntries(Object.entries(ids).map(([k, id]) => [k, document.getElementById(id)]));
    this.fighters = fighters;
    this.view = null;
    this.job = null;
    this.client = null;
    this.matches = []; // ids of the matches started (tests)
    this.decisions = 0;
    this.lastDecision = null;
    this.active = false;
    this._timer = 0;
    fillSelect(this.$.bot, BOTS.filter(b => b !== 'idle').map(b => [b, `bot ${b}`]));
    this.$.bot.addEventListener('change', () => { if (this.active) this._next(0); });
    pages.spectator = this;
  }

  /** Starts watching a job ({id, fighter_id, status}). */
  start(job) {
    this.job = job;
    this.active = true;
    this.view ??= new ArenaView(this.$.view, { crowd: false });
    this.view.start(dt => {
      const sample = this.client?.update(dt) ?? null;
      if (sample && !this.client.ended) this.view.wake(300);
      return sample;
    });
    this._next(0);
  }

  stop() {
    this.active = false;
    clearTimeout(this._timer);
    this.client?.close();
    this.client = null;
    this.view?.stop(); // kept (one WebGL context per page) for the next start
  }

  /** The job finished: the match on stage plays to its end, no new one starts. */
  jobEnded(status) {
    if (this.job) this.job.status = status;
    clearTimeout(this._timer);
    this._status(`The job is ${status}; ${this.client && !this.client.ended ? 'this match plays to its end.' : 'no more matches.'}`);
  }

  _status(text) { this.$.status.textContent = text; }

  _next(delay) {
    clearTimeout(this._timer);
    this._timer = setTimeout(() => this._startMatch(), delay);
  }

  async _startMatch() {
    if (!this.active || !this.job) return;
    if (this.job.status && !['running', 'queued', 'pending'].includes(this.job.status)) { this.jobEnded(this.job.status); return; }
    // The job's policy can fight once it has saved its first checkpoint; until then wait without asking for a match.
    try {
      const fresh = await getJson(`/api/training-jobs/${this.job.id}`);
      if (!fresh.has_checkpoint) {
        this._status(`Waiting for the job's first checkpoint… (iteration ${fresh.iteration})`);
        if (this.active) this._next(RETRY_MS);
        return;
      }
    } catch { /* the POST below reports what is wrong */ }
    const opponent = this.fighters.find(f => f.id !== this.job.fighter_id) ?? this.fighters[0];
    const bot = this.$.bot.value || 'chaser';
    let created;
    try {
      created = await postJson('/api/matches', {
        fighters: [
          { fighter_id: this.job.fighter_id, controller: 'training_job', job_id: this.job.id },
          { fighter_id: opponent.id, controller: 'bot', bot },
        ],
        max_seconds: 30, wait_for_spectator: true, // shown from its first tick
      });
    } catch (error) {
      // 409: no checkpoint yet (the first iterations are still running): try again shortly.
      this._status(error.status === 409 ? `Waiting for the job's first checkpoint… (${error.message})` : `Could not start a match: ${error.message}`);
      if (this.active) this._next(RETRY_MS);
      return;
    }
    if (!this.active) return;
    this.matches.push(created.id);
    this.client?.close();
    const view = this.view;
    const client = new LiveMatchClient(created, {
      info: async info => {
        await view.setFighters(info.fighters.map(f => ({ ...f, job_id: f.controller === 'training_job' ? this.job.id : undefined })));
        view.flash('');
      },
      start: () => view.flash('FIGHT!', 1),
      events: (slot, events) => view.events(slot, events),
      end: end => {
        const winner = end.winner_slot != null && end.winner_slot >= 0 ? created.fighters[end.winner_slot] : null;
        if (winner) view.celebrate(end.winner_slot);
        const who = winner ? (winner.controller === 'training_job' ? `Job ${this.job.id}'s policy wins` : `Bot ${winner.bot} wins`) : 'Draw';
        view.flash(who);
        this._status(`Match ${created.id} over: ${who.toLowerCase()}. ${this.job.status === 'running' ? 'Next match (with the newest checkpoint) in a moment…' : ''}`);
        if (this.active && this.job.status === 'running') this._next(2500);
      },
      error: message => this._status(`Server: ${message}`),
    });
    this.client = client;
    client.connect();
    this._status(`Match ${created.id}: job ${this.job.id}'s latest checkpoint (${created.fighters[0].name}) against bot ${bot} (${opponent.name}).`);
  }

  /** A bot_decision message's data: {iteration, tick, action_probabilities, state_values, selected_action, ...}. */
  decision(data) {
    this.decisions++;
    this.lastDecision = data;
    const probabilities = data.action_probabilities ?? {};
    const bars = ACTION_NAMES.map(name => {
      const p = probabilities[name] ?? 0;
      const bar = hbar(ACTION_LABELS[name] ?? name, p, 1, { text: `${(p * 100).toFixed(1)}%`, kind: name === data.selected_action ? 'chosen' : '' });
      bar.dataset.action = name;
      return bar;
    });
    this.$.bars.replaceChildren(...bars);
    this.$.value.textContent = num(data.state_values, 3);
    this.$.action.textContent = ACTION_LABELS[data.selected_action] ?? data.selected_action ?? '—';
    this.$.iteration.textContent = data.iteration != null ? `iteration ${data.iteration}, tick ${data.tick ?? '—'}` : '';
    this.$.when.textContent = data.timestamp ? new Date(data.timestamp).toLocaleTimeString() : '';
  }
}

