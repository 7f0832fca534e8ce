// The fighter-assignment modal (docs/SERVER.md, "Live matches"): pick 2-8 fighters from the roster and, for each, who controls it:
// a human (this keyboard), the default AI, a baseline bot, or one of the fighter's trained profiles (personality and
// rating shown). START BATTLE hands the assignment to the page. Also uploads a GLB fighter to the roster.
import { SLOT_COLOURS } from './fighters.js';
import { el } from '../dom.js';
import { postForm } from '../api.js';

export const MIN_FIGHTERS = 2, MAX_FIGHTERS = 8, MAX_HUMANS = 2;
const BOTS = [
  ['chaser', 'goes for the nearest enemy and attacks'],
  ['cautious', 'holds the centre, attacks what comes into reach'],
  ['random', 'random moves and attacks'],
  ['idle', 'stands still'],
];
const TRAITS = [['aggression', 'AGG'], ['positioning', 'POS'], ['targeting', 'TGT'], ['risk_tolerance', 'RSK'], ['endurance', 'END']];
const STORAGE_KEY = 'ringside.assignment';

export function isTrained(profile) {
  return !!profile.has_model;
}

/** One line about a profile: personality, win rate, rating, model version. */
export function describeProfile(p) {
  const traits = TRAITS.map(([key, short]) => `${short} ${Math.round(p[key] ?? 50)}`).join(' · ');
  const parts = [traits];
  if (p.rating != null) parts.push(`rating ${Number(p.rating).toFixed(1)}`);
  if (p.win_rate != null) parts.push(`win ${Math.round(p.win_rate * 100)}%`);
  parts.push(isTrained(p) ? `model v${p.model_version}` : 'not trained');
  return parts.join(' · ');
}

export class AssignmentModal {
  /**
   * @param dialog the <dialog> element
   * @param handlers {start(assignment), change(slots), uploaded(fighter)}
   */
  constructor(dialog, handlers) {
    this.dialog = dialog;
    this.handlers = handlers;
    this.fighters = [];
    this.profiles = [];
    this.slots = []; // [{fighter_id, control}] control: 'human' | 'default' | 'bot:NAME' | 'profile:NAME'
    this.roster = dialog.querySelector('#roster-list');
    this.list = dialog.querySelector('#slot-list');
    this.count = dialog.querySelector('#slot-count');
    this.error = dialog.querySelector('#assign-error');
    this.startButton = dialog.querySelector('#start-battle');
    this.maxSeconds = dialog.querySelector('#max-seconds');
    this.seed = dialog.querySelector('#seed');
    this.startButton.addEventListener('click', e => { e.preventDefault(); this._start(); });
    dialog.querySelector('#assign-close')?.addEventListener('click', e => { e.preventDefault(); this.close(); });
    dialog.addEventListener('cancel', e => { if (!this.cancellable) e.preventDefault(); });
    this._bindUpload(dialog.querySelector('#upload-form'));
    this.cancellable = false;
  }

  setData(fighters, profiles) {
    this.fighters = fighters;
    this.profiles = profiles;
    if (this.slots.length === 0) this.slots = this._restore();
    this.slots = this.slots.filter(s => this._fighter(s.fighter_id));
    this._render();
  }

  open(cancellable = false) {
    this.cancellable = cancellable;
    this.dialog.querySelector('#assign-close').hidden = !cancellable;
    this.error.textContent = '';
    if (!this.dialog.open) this.dialog.showModal();
    this.startButton.focus();
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  get isOpen() { return this.dialog.open; }

  _fighter(id) { return this.fighters.find(f => f.id === id); }

  _profilesOf(fighterId) { return this.profiles.filter(p => p.fighter_id === fighterId); }

  /** The last assignment of this browser, else the first two fighters: you against the default AI. */
  _restore() {
    // ?fighter_id=F&profile_name=P (the trainer's "fight it now"): that profile against you, on another fighter.
    const url = new URLSearchParams(location.search);
    const fighterId = Number(url.get('fighter_id')), profileName = url.get('profile_name');
    if (this._fighter(fighterId) && profileName) {
      const opponent = this.fighters.find(f => f.id !== fighterId);
      return [{ fighter_id: fighterId, control: `profile:${profileName}` }, ...(opponent ? [{ fighter_id: opponent.id, control: 'human' }] : [])];
    }
    try {
      const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
      if (Array.isArray(saved) && saved.length >= MIN_FIGHTERS) return saved;
    } catch { /* ignore */ }
    return this.fighters.slice(0, 2).map((f, i) => ({ fighter_id: f.id, control: i === 0 ? 'human' : 'default' }));
  }

  _render() {
    this.roster.replaceChildren();
    for (const f of this.fighters) {
      const chosen = this.slots.some(s => s.fighter_id === f.id);
      const item = el('li', 'roster-item' + (chosen ? ' chosen' : ''));
      item.dataset.fighterId = f.id;
      const size = f.metadata_json?.size ?? 1, speed = f.metadata_json?.speed ?? 1;
      const trained = this._profilesOf(f.id).filter(isTrained).length;
      const button = el('button', 'roster-button');
      button.type = 'button';
      button.setAttribute('aria-pressed', String(chosen));
      button.append(el('span', 'roster-name', f.name), el('span', 'roster-meta', `size ${fmt(size)} · speed ${fmt(speed)}` + (trained ? ` · ${trained} trained` : '')));
      button.disabled = !chosen && this.slots.length >= MAX_FIGHTERS;
      button.addEventListener('click', () => {
        if (chosen) this.slots = this.slots.filter(s => s.fighter_id !== f.id);
        else if (this.slots.length < MAX_FIGHTERS) this.slots.push({ fighter_id: f.id, control: this._defaultControl(f.id) });
        this._changed();
      });
      item.append(button);
      this.roster.append(item);
    }

    this.list.replaceChildren();
    this.slots.forEach((slot, i) => {
      const f = this._fighter(slot.fighter_id);
      const row = el('li', 'slot-row');
      row.dataset.slot = i;
      row.dataset.fighterId = f.id;
      row.style.setProperty('--slot', SLOT_COLOURS[i % SLOT_COLOURS.length]);
      const head = el('div', 'slot-head');
      head.append(el('span', 'swatch'), el('span', 'slot-name', f.name));
      const remove = el('button', 'slot-remove', '×');
      remove.type = 'button';
      remove.title = `Remove ${f.name}`;
      remove.setAttribute('aria-label', `Remove ${f.name}`);
      remove.addEventListener('click', () => { this.slots.splice(i, 1); this._changed(); });
      head.append(remove);

      const select = el('select', 'slot-control');
      select.setAttribute('aria-label', `Controller of ${f.name}`);
      select.append(option('human', 'Human (keyboard)'), option('default', 'Default AI'));
      const bots = el('optgroup');
      bots.label = 'Bots';
      for (const [name, what] of BOTS) bots.append(option(`bot:${name}`, `Bot: ${name} (${what})`));
      select.append(bots);
      const profiles = this._profilesOf(f.id);
      if (profiles.length > 0) {
        const group = el('optgroup');
        group.label = 'Trained profiles';
        for (const p of profiles) {
          const o = option(`profile:${p.profile_name}`, `${p.profile_name}` + (p.rating != null ? ` (rating ${Number(p.rating).toFixed(1)})` : p.win_rate != null ? ` (win ${Math.round(p.win_rate * 100)}%)` : ''));
          o.disabled = !isTrained(p);
          group.append(o);
        }
        select.append(group);
      }
      select.value = slot.control;
      if (select.value !== slot.control) { select.value = 'default'; slot.control = 'default'; }
      select.addEventListener('change', () => { slot.control = select.value; this._changed(); });

      const detail = el('div', 'slot-detail');
      if (slot.control.startsWith('profile:')) {
        const p = profiles.find(p => p.profile_name === slot.control.slice(8));
        if (p) {
          detail.append(personalityBars(p), el('div', 'slot-detail-text', describeProfile(p)));
        }
      } else if (slot.control.startsWith('bot:')) {
        detail.textContent = BOTS.find(([n]) => n === slot.control.slice(4))?.[1] ?? '';
      } else if (slot.control === 'human') {
        detail.textContent = 'You, with the keyboard';
      } else {
        detail.textContent = 'The server picks the fighter\'s best trained profile, else a bot';
      }
      row.append(head, select, detail);
      this.list.append(row);
    });
    this.count.textContent = `${this.slots.length}/${MAX_FIGHTERS}`;
    const problem = this._problem();
    this.startButton.disabled = problem !== null;
    this.startButton.title = problem ?? 'Start the battle';
    this.dialog.querySelector('#assign-hint').textContent = problem ?? `${this.slots.length} fighters ready`;
  }

  /** A trained profile when the fighter has one, else the default AI. */
  _defaultControl(fighterId) {
    const trained = this._profilesOf(fighterId).filter(isTrained).sort((a, b) => (b.rating ?? b.win_rate ?? 0) - (a.rating ?? a.win_rate ?? 0));
    return trained.length > 0 ? `profile:${trained[0].profile_name}` : 'default';
  }

  _problem() {
    if (this.slots.length < MIN_FIGHTERS) return `Choose at least ${MIN_FIGHTERS} fighters`;
    if (this.slots.length > MAX_FIGHTERS) return `At most ${MAX_FIGHTERS} fighters`;
    if (this.slots.filter(s => s.control === 'human').length > MAX_HUMANS) return `At most ${MAX_HUMANS} humans share one keyboard`;
    return null;
  }

  _changed() {
    this.error.textContent = '';
    this._render();
    this.handlers.change?.(this.slots.map(s => ({ ...s })));
  }

  /** The POST /api/matches body of the current assignment. */
  request() {
    const seedText = this.seed.value.trim();
    return {
      fighters: this.slots.map(s => {
        const body = { fighter_id: s.fighter_id, controller: s.control.split(':')[0] };
        if (s.control.startsWith('bot:')) body.bot = s.control.slice(4);
        if (s.control.startsWith('profile:')) body.profile_name = s.control.slice(8);
        return body;
      }),
      seed: seedText === '' ? Math.floor(Math.random() * 2 ** 31) : Number(seedText),
      max_seconds: Number(this.maxSeconds.value),
      ...(Number(new URLSearchParams(location.search).get('speed')) > 0 ? { speed: Number(new URLSearchParams(location.search).get('speed')) } : {}), // ?speed=4: a faster match
    };
  }

  showError(message) {
    this.error.textContent = message;
  }

  _start() {
    const problem = this._problem();
    if (problem) { this.showError(problem); return; }
    if (this.seed.value.trim() !== '' && !Number.isInteger(Number(this.seed.value.trim()))) { this.showError('seed: must be a whole number (or empty for a random one)'); return; }
    localStorage.setItem(STORAGE_KEY, JSON.stringify(this.slots));
    this.handlers.start?.(this.request());
  }

  _bindUpload(form) {
    if (!form) return;
    const status = form.querySelector('#upload-status');
    form.addEventListener('submit', async e => {
      e.preventDefault();
      status.textContent = 'Uploading…';
      status.className = 'upload-status';
      try {
        const fighter = await postForm('/api/fighters/upload', new FormData(form));
        status.textContent = `${fighter.name} joined the roster.`;
        form.reset();
        this.handlers.uploaded?.(fighter);
      } catch (error) {
        status.textContent = error.message;
        status.className = 'upload-status error';
      }
    });
  }
}

function option(value, label) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = label;
  return o;
}

function personalityBars(p) {
  const bars = el('div', 'traits');
  for (const [key, short] of TRAITS) {
    const v = Math.max(0, Math.min(100, p[key] ?? 50));
    const trait = el('div', 'trait');
    trait.title = `${key.replace('_', ' ')}: ${Math.round(v)}`;
    const bar = el('div', 'trait-bar');
    const fill = el('div', 'trait-fill');
    fill.style.width = `${v}%`;
    bar.append(fill);
    trait.append(el('span', 'trait-name', short), bar);
    bars.append(trait);
  }
  return bars;
}

function fmt(n) { return Number(n).toFixed(2).replace(/0$/, ''); }
