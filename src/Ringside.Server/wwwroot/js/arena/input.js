// The human's keyboard: keys held → one contract-v1 action per human slot, in screen space relative to the camera
// (pressing "up" moves the fighter away from the viewer whatever the camera angle). The action holds on the server
// until the next input, so only changes are sent; releasing every key sends idle (8).
import { ATTACK, IDLE, actionOfScreenInput } from './coords.js';

// One human: WASD or the arrows, Space to attack. Two humans on one keyboard: WASD + Space, arrows + Enter.
const LAYOUTS = {
  single: [{ up: ['KeyW', 'ArrowUp'], down: ['KeyS', 'ArrowDown'], left: ['KeyA', 'ArrowLeft'], right: ['KeyD', 'ArrowRight'], attack: ['Space', 'KeyJ', 'Enter'] }],
  double: [
    { up: ['KeyW'], down: ['KeyS'], left: ['KeyA'], right: ['KeyD'], attack: ['Space'] },
    { up: ['ArrowUp'], down: ['ArrowDown'], left: ['ArrowLeft'], right: ['ArrowRight'], attack: ['Enter', 'ShiftRight'] },
  ],
};

export class HumanInput {
  constructor(target = window) {
    this.down = new Set();
    this.players = []; // [{slot, layout}]
    this.virtual = { right: 0, forward: 0, attack: false }; // the on-screen pad (touch)
    this._handled = new Set(Object.values(LAYOUTS).flat().flatMap(l => Object.values(l).flat()));
    target.addEventListener('keydown', e => {
      if (e.target instanceof HTMLElement && e.target.closest('input, select, textarea, dialog[open]')) return;
      if (!this._handled.has(e.code) || this.players.length === 0) return;
      e.preventDefault(); // no page scrolling on arrows and space during a match
      this.down.add(e.code);
    });
    target.addEventListener('keyup', e => {
      this.down.delete(e.code);
      if (this.players.length > 0 && this._handled.has(e.code)) e.preventDefault(); // Space must not also click a focused button
    });
    window.addEventListener('blur', () => this.down.clear());
  }

  /** The slots this page controls, in order (the first human gets WASD, the second the arrows). */
  setPlayers(slots) {
    const layouts = slots.length > 1 ? LAYOUTS.double : LAYOUTS.single;
    this.players = slots.slice(0, layouts.length).map((slot, i) => ({ slot, layout: layouts[i] }));
    this.down.clear();
  }

  static help(count) {
    return count > 1 ? 'P1: WASD + Space · P2: arrows + Enter' : 'Move: WASD or arrows · Attack: Space';
  }

  /** Current action per controlled slot, given the camera's forward vector (three.js). */
  actions(cameraForward) {
    return this.players.map(({ slot, layout }, i) => {
      const held = codes => codes.some(c => this.down.has(c));
      let right = (held(layout.right) ? 1 : 0) - (held(layout.left) ? 1 : 0);
      let forward = (held(layout.up) ? 1 : 0) - (held(layout.down) ? 1 : 0);
      let attack = held(layout.attack);
      if (i === 0) { right ||= this.virtual.right; forward ||= this.virtual.forward; attack ||= this.virtual.attack; }
      const action = attack ? ATTACK : actionOfScreenInput(right, forward, cameraForward);
      return { slot, action: action ?? IDLE };
    });
  }
}
