// The heads-up display over the canvas: name tags with health bars that follow the fighters, impact popups, the
// knockout and victory banners, the scoreboard and the clock. Plain DOM positioned from projected 3D points:
// cheap, sharp text at any resolution, and testable.
import * as THREE from '/vendor/three/build/three.module.js';
import { el } from '../dom.js';

const _v = new THREE.Vector3();

export class Hud {
  constructor(root) {
    this.root = root;
    this.tags = new Map(); // slot → {el, bar, fill}
    this.tagLayer = root.querySelector('#tags');
    this.popupLayer = root.querySelector('#popups');
    this.banner = root.querySelector('#banner');
    this.board = root.querySelector('#scoreboard');
    this.clock = root.querySelector('#clock');
    this.status = root.querySelector('#status');
    this._bannerTimer = 0;
  }

  /** Builds the tags and scoreboard rows for a set of fighter views. */
  setFighters(views, you) {
    this.tagLayer.replaceChildren();
    this.board.replaceChildren();
    this.tags.clear();
    for (const view of views) {
      const tag = el('div', 'tag');
      tag.dataset.slot = view.slot;
      tag.style.setProperty('--slot', view.colour);
      const name = el('div', 'tag-name', view.info.name + (you.includes(view.slot) ? ' (YOU)' : ''));
      const bar = el('div', 'bar');
      const fill = el('div', 'bar-fill');
      bar.append(fill);
      tag.append(name, bar);
      if (you.includes(view.slot)) tag.classList.add('you');
      this.tagLayer.append(tag);

      const row = el('li', 'board-row');
      row.dataset.slot = view.slot;
      row.style.setProperty('--slot', view.colour);
      const controller = describeController(view.info);
      row.append(el('span', 'swatch'), el('span', 'board-name', view.info.name), el('span', 'board-ctl', controller));
      const rowBar = el('div', 'bar');
      const rowFill = el('div', 'bar-fill');
      rowBar.append(rowFill);
      row.append(rowBar);
      this.board.append(row);
      this.tags.set(view.slot, { tag, fill, row, rowFill, health: -1, alive: true });
    }
  }

  /** Per frame: tag positions from the fighters' heads, health bars. */
  update(views, camera, width, height) {
    for (const view of views) {
      const t = this.tags.get(view.slot);
      if (!t) continue;
      view.headPosition(_v).project(camera);
      const visible = _v.z < 1 && Math.abs(_v.x) < 1.2 && Math.abs(_v.y) < 1.2;
      t.tag.style.display = visible ? '' : 'none';
      if (visible) t.tag.style.transform = `translate(${((_v.x + 1) / 2 * width).toFixed(1)}px, ${((1 - _v.y) / 2 * height).toFixed(1)}px) translate(-50%, -100%)`;
      const health = Math.round(view.health * 10) / 10;
      if (health !== t.health) {
        t.health = health;
        const w = `${Math.max(0, Math.min(100, health))}%`;
        t.fill.style.width = w;
        t.rowFill.style.width = w;
        t.fill.classList.toggle('low', health < 30);
        t.rowFill.classList.toggle('low', health < 30);
      }
      if (view.alive !== t.alive) {
        t.alive = view.alive;
        t.tag.classList.toggle('out', !view.alive);
        t.row.classList.toggle('out', !view.alive);
      }
    }
  }

  /** A floating text at a world position ("-10", "KO!"), gone after its animation; false when behind the camera. */
  popup(worldPosition, text, camera, width, height, kind = 'hit') {
    _v.copy(worldPosition).project(camera);
    if (_v.z >= 1) return false;
    const p = el('div', `popup ${kind}`, text);
    p.style.left = `${((_v.x + 1) / 2 * width).toFixed(1)}px`;
    p.style.top = `${((1 - _v.y) / 2 * height).toFixed(1)}px`;
    p.style.setProperty('--dx', `${(Math.random() - 0.5) * 40}px`);
    this.popupLayer.append(p);
    p.addEventListener('animationend', () => p.remove());
    setTimeout(() => p.remove(), 2000); // also when animations are paused (tests) or reduced
    return true;
  }

  /** A big banner: "KNOCKOUT!", "VICTORY". Stays for `seconds` (0: until cleared). */
  showBanner(title, subtitle, kind, seconds = 2.2) {
    this.banner.className = `banner show ${kind}`;
    this.banner.querySelector('.banner-title').textContent = title;
    this.banner.querySelector('.banner-sub').textContent = subtitle ?? '';
    clearTimeout(this._bannerTimer);
    if (seconds > 0) this._bannerTimer = setTimeout(() => this.clearBanner(), seconds * 1000);
  }

  clearBanner() {
    clearTimeout(this._bannerTimer);
    this.banner.className = 'banner';
  }

  setClock(seconds, maxSeconds) {
    if (seconds === null) { this.clock.textContent = ''; return; }
    const left = Math.max(0, maxSeconds - seconds);
    this.clock.textContent = `${Math.floor(left / 60)}:${String(Math.floor(left % 60)).padStart(2, '0')}`;
  }

  setStatus(text) {
    this.status.textContent = text;
  }
}

export function describeController(info) {
  switch (info.controller) {
    case 'human': return 'Human';
    case 'bot': return `Bot: ${info.bot ?? ''}`.trim();
    case 'profile': return info.profile_name ? `AI: ${info.profile_name}` + (info.rating != null ? ` (${Math.round(info.rating)})` : '') : 'Default AI';
    case 'default': return 'Default AI';
    default: return ''; // a preview before the battle
  }
}
