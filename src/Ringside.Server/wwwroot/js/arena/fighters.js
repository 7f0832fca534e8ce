// Fighters: GLB models loaded once per file and cloned per fighter (SkeletonUtils keeps each clone's skeleton its own),
// one AnimationMixer each, clips picked by name with crossfades, and a procedural fallback for models without our
// clip names. A FighterView only shows what the server says; it never moves a fighter by itself.
import * as THREE from '/vendor/three/build/three.module.js';
import { GLTFLoader } from '/vendor/three/examples/jsm/loaders/GLTFLoader.js';
import * as SkeletonUtils from '/vendor/three/examples/jsm/utils/SkeletonUtils.js';
import { keyHeaders } from '../api.js';
import { MAT_HEIGHT } from './coords.js';

/** A size-1 fighter is this tall (docs/CONTRACT.md: body radius 0.5 m · size; Ringside.Assets: 1.8 m · size). */
export const NORMAL_HEIGHT = 1.8;
export const CLIPS = ['idle', 'walk', 'attack', 'hit', 'knockout', 'victory'];
export const SLOT_COLOURS = ['#e74c3c', '#3498db', '#2ecc71', '#f1c40f', '#9b59b6', '#e67e22', '#1abc9c', '#fd79a8'];

const loader = new GLTFLoader();
const cache = new Map(); // url → Promise<gltf>

export function loadModel(url) {
  if (!cache.has(url)) {
    const promise = loader.setRequestHeader(keyHeaders()).loadAsync(url); // a server that closes reads serves GLBs to keys only
    promise.catch(() => cache.delete(url)); // a failed load may be retried later
    cache.set(url, promise);
  }
  return cache.get(url);
}

/** The clip for a standard name: exact (case-insensitive), else one whose name contains it ("Armature|Idle_Loop"). */
function findClip(clips, name) {
  return clips.find(c => c.name.toLowerCase() === name) ?? clips.find(c => c.name.toLowerCase().includes(name)) ?? null;
}

export class FighterView {
  /**
   * @param info {slot, fighter_id, name, glb_filename, size, speed}
   * @param gltf a loaded GLB, or null when it could not be loaded (a stand-in body is drawn instead).
   */
  constructor(info, gltf) {
    this.info = info;
    this.slot = info.slot;
    this.colour = SLOT_COLOURS[info.slot % SLOT_COLOURS.length];
    this.height = NORMAL_HEIGHT * (info.size || 1);
    this.radius = 0.5 * (info.size || 1);
    this.alive = true;
    this.health = 100;
    this.moving = false;
    this.oneShot = null; // the attack or hit clip playing over the base (idle/walk)
    this.finished = null; // 'knockout' or 'victory': nothing else plays after it
    this.procedural = { attack: 0, hit: 0, knockout: 0, victory: 0, walk: 0 }; // fallback animation timers
    this.fall = null; // a ring-out: sliding off the apron to the floor

    this.root = new THREE.Group(); // at the fighter's position, turned to its facing
    this.root.name = `fighter-${info.slot}`;
    this.root.userData.slot = info.slot;
    this.model = new THREE.Group(); // normalisation (scale, grounding) and procedural motion
    this.root.add(this.model);

    const scene = gltf ? SkeletonUtils.clone(gltf.scene) : standIn(this.height, this.colour);
    this.body = scene;
    scene.traverse(o => {
      if (o.isMesh) {
        o.castShadow = true;
        o.receiveShadow = true;
        if (o.isSkinnedMesh) o.frustumCulled = false; // bounds are the bind pose's; a knocked-out fighter lies outside them
      }
    });
    this.model.add(scene);
    this._normalise();

    // A disc under the fighter in its slot's colour, the size of its body in the simulation.
    const disc = new THREE.Mesh(new THREE.RingGeometry(this.radius * 0.86, this.radius, 40).rotateX(-Math.PI / 2),
      new THREE.MeshBasicMaterial({ color: this.colour, transparent: true, opacity: 0.85, depthWrite: false }));
    disc.position.y = 0.012;
    disc.renderOrder = 1;
    disc.name = 'slot-disc';
    this.disc = disc;
    this.root.add(disc);

    this.mixer = new THREE.AnimationMixer(scene);
    this.actions = {};
    const clips = gltf?.animations ?? [];
    for (const name of CLIPS) {
      const clip = findClip(clips, name);
      if (clip) this.actions[name] = this.mixer.clipAction(clip);
    }
    // A model with clips but none of our names: its first clip stands in for idle and walk.
    if (!this.actions.idle && !this.actions.walk && clips.length > 0) {
      this.actions.idle = this.mixer.clipAction(clips[0]);
    }
    this.clipNames = clips.map(c => c.name);
    this.fallback = CLIPS.filter(n => !this.actions[n]);
    for (const name of ['attack', 'hit', 'knockout']) {
      const a = this.actions[name];
      if (a) { a.setLoop(THREE.LoopOnce, 1); a.clampWhenFinished = name === 'knockout'; }
    }
    this.mixer.addEventListener('finished', e => {
      if (this.oneShot && e.action === this.actions[this.oneShot]) {
        this.oneShot = null;
        this._fadeTo(this._base(), 0.2);
      }
    });
    // Keep every looping action playing and blend by weight (three.js skinning example).
    this.current = null;
    const start = this.actions.idle ?? this.actions.walk;
    if (start) { start.play(); this.current = start; }
  }

  /**
   * Our GLBs are in metres with the size baked in, standing on y = 0 and centred: they are left as they are. Any other
   * model (an upload in centimetres, say) is scaled to the fighter's height (1.8 m × size), centred and stood on the mat.
   */
  _normalise() {
    this.body.updateMatrixWorld(true);
    const box = new THREE.Box3().setFromObject(this.body, true); // precise: skinned vertices in the bind pose
    this.scale = 1;
    if (box.isEmpty()) return;
    const measured = box.max.y - box.min.y;
    if (measured > 1e-6 && Math.abs(measured / this.height - 1) > 0.08) {
      const scale = this.height / measured, centre = box.getCenter(new THREE.Vector3());
      this.scale = scale;
      this.body.scale.multiplyScalar(scale);
      this.body.position.multiplyScalar(scale).sub(new THREE.Vector3(centre.x, box.min.y, centre.z).multiplyScalar(scale));
    } else if (Math.abs(box.min.y) > 0.03) {
      this.body.position.y -= box.min.y;
    }
  }

  _base() {
    if (!this.alive) return 'knockout';
    return this.moving && this.actions.walk ? 'walk' : 'idle';
  }

  _fadeTo(name, duration) {
    const next = this.actions[name] ?? (name === 'walk' ? this.actions.idle : null);
    if (!next || next === this.current) return;
    next.reset().setEffectiveTimeScale(next === this.actions.walk ? this._walkRate ?? 1 : 1).setEffectiveWeight(1).play();
    if (this.current) this.current.crossFadeTo(next, duration, false);
    this.current = next;
  }

  /** Plays a one-shot clip (attack or hit) over the base; falls back to procedural motion without the clip. */
  _oneShot(name) {
    if (this.finished) return;
    if (this.actions[name]) {
      if (name === 'attack' && this.oneShot === 'hit') return; // getting hit wins over swinging
      this.oneShot = name;
      this.actions[name].reset();
      if (this.current === this.actions[name]) this.actions[name].play(); // the same clip again: restart it
      else this._fadeTo(name, 0.08);
    } else {
      this.procedural[name] = 1;
    }
  }

  /** Events of a server state for this fighter: attack, hit_landed, hit_taken, knockout, ring_out. */
  onEvents(events) {
    for (const e of events) {
      if (e === 'attack') this._oneShot('attack');
      else if (e === 'hit_taken') this._oneShot('hit');
      else if (e === 'knockout' || e === 'ring_out') this.knockOut(e === 'ring_out');
    }
  }

  knockOut(ringOut = false) {
    if (this.finished === 'knockout') return;
    this.alive = false;
    this.finished = 'knockout';
    this.oneShot = null;
    if (this.actions.knockout) this._fadeTo('knockout', 0.15);
    else this.procedural.knockout = 0.0001;
    if (ringOut) {
      // Over the ropes: slide out past the apron and drop to the floor.
      const out = this.root.position.clone().setY(0);
      const away = Math.abs(out.x) > Math.abs(out.z) ? new THREE.Vector3(Math.sign(out.x), 0, 0) : new THREE.Vector3(0, 0, Math.sign(out.z) || 1);
      this.fall = { t: 0, from: this.root.position.clone(), to: this.root.position.clone().addScaledVector(away, 1.6).setY(0) };
    }
    this.disc.visible = false;
  }

  celebrate() {
    if (!this.alive) return;
    this.finished = 'victory';
    this.oneShot = null;
    if (this.actions.victory) {
      this.actions.victory.setLoop(THREE.LoopRepeat, Infinity);
      this._fadeTo('victory', 0.25);
    } else this.procedural.victory = 0.0001;
  }

  /**
   * Applies an interpolated server state (three.js position, yaw, velocity magnitude) and advances animation.
   * @param moving whether the fighter is walking (speed over a threshold).
   */
  update(dt, { position, yaw, speed, health, alive }) {
    if (position && !this.fall) this.root.position.copy(position);
    if (yaw !== undefined && this.alive) this.root.rotation.y = turnToward(this.root.rotation.y, yaw, dt * 14);
    if (health !== undefined) this.health = health;
    if (alive === false && this.alive) this.knockOut(false);
    const moving = (speed ?? 0) > 0.35;
    const maxSpeed = 3.5 * (this.info.speed || 1) / Math.sqrt(this.info.size || 1);
    this._walkRate = THREE.MathUtils.clamp((speed ?? 0) / (0.75 * maxSpeed), 0.6, 1.6);
    if (this.actions.walk && this.current === this.actions.walk) this.actions.walk.setEffectiveTimeScale(this._walkRate);
    if (moving !== this.moving) {
      this.moving = moving;
      if (!this.oneShot && !this.finished) this._fadeTo(this._base(), 0.2);
    }
    if (this.fall) {
      this.fall.t = Math.min(1, this.fall.t + dt / 0.7);
      const t = this.fall.t;
      this.root.position.lerpVectors(this.fall.from, this.fall.to, t);
      this.root.position.y = THREE.MathUtils.lerp(this.fall.from.y, 0, t * t) + Math.sin(t * Math.PI) * 0.5;
    }
    this.mixer.update(dt);
    this._procedural(dt, speed ?? 0);
  }

  /** Motion for what the model has no clip for: a bob, a lunge, a recoil, a fall, a jump. Applied to the model group. */
  _procedural(dt, speed) {
    const p = this.procedural, m = this.model;
    m.position.set(0, 0, 0);
    m.rotation.set(0, 0, 0);
    if (this.fallback.length === 0) return;
    const t = performance.now() / 1000;
    if (this.fallback.includes('idle') && this.alive && !this.finished) m.position.y += 0.03 * this.height * Math.max(0, Math.sin(t * 3 + this.slot));
    if (this.fallback.includes('walk') && this.moving && this.alive) {
      p.walk += dt * speed * 3;
      m.position.y += 0.05 * Math.abs(Math.sin(p.walk));
      m.rotation.z = 0.06 * Math.sin(p.walk);
    }
    if (p.attack > 0) { p.attack = Math.max(0, p.attack - dt / 0.3); m.position.z += 0.25 * Math.sin(p.attack * Math.PI); m.rotation.x += 0.25 * Math.sin(p.attack * Math.PI); }
    if (p.hit > 0) { p.hit = Math.max(0, p.hit - dt / 0.35); m.position.z -= 0.2 * Math.sin(p.hit * Math.PI); m.rotation.x -= 0.3 * Math.sin(p.hit * Math.PI); }
    if (p.knockout > 0) { p.knockout = Math.min(1, p.knockout + dt / 0.6); m.rotation.x = -Math.PI / 2 * easeOutBounce(p.knockout); m.position.y += 0.15 * this.radius * p.knockout; }
    if (p.victory > 0) { p.victory += dt; m.position.y += 0.35 * Math.abs(Math.sin(p.victory * 5)); m.rotation.y = p.victory * 3; }
  }

  /** World position of the top of the head, for name tags. */
  headPosition(out) {
    return out.copy(this.root.position).setY(this.root.position.y + this.height * (this.alive ? 1.08 : 0.45) + 0.1);
  }

  dispose() {
    this.mixer.stopAllAction();
    this.root.removeFromParent();
    this.root.traverse(o => {
      if (o.isMesh && o.name === 'slot-disc') { o.geometry.dispose(); o.material.dispose(); }
    });
  }
}

/** A fighter whose GLB did not load: a capsule in its slot's colour, so the match can still be followed. */
function standIn(height, colour) {
  const group = new THREE.Group();
  const body = new THREE.Mesh(new THREE.CapsuleGeometry(height * 0.2, height * 0.55, 4, 12), new THREE.MeshStandardMaterial({ color: colour, roughness: 0.6 }));
  body.position.y = height / 2;
  const nose = new THREE.Mesh(new THREE.BoxGeometry(height * 0.12, height * 0.06, height * 0.12), new THREE.MeshStandardMaterial({ color: 0x222222 }));
  nose.position.set(0, height * 0.8, height * 0.2);
  group.add(body, nose);
  return group;
}

function turnToward(current, target, maxStep) {
  let d = target - current;
  d = Math.atan2(Math.sin(d), Math.cos(d));
  return current + THREE.MathUtils.clamp(d, -maxStep, maxStep);
}

function easeOutBounce(x) {
  const n = 7.5625, d = 2.75;
  if (x < 1 / d) return n * x * x;
  if (x < 2 / d) return n * (x -= 1.5 / d) * x + 0.75;
  if (x < 2.5 / d) return n * (x -= 2.25 / d) * x + 0.9375;
  return n * (x -= 2.625 / d) * x + 0.984375;
}

export { MAT_HEIGHT };
