// The crowd: spectators on stepped stands around the ring, drawn as two instanced meshes (bodies and heads, one draw
// call each), bouncing gently, and cheering (jumping) when a hit lands or someone goes down.
import * as THREE from '/vendor/three/build/three.module.js';

const SHIRTS = [0xe74c3c, 0x3498db, 0xf1c40f, 0x2ecc71, 0xecf0f1, 0x9b59b6, 0xe67e22, 0x1abc9c, 0x34495e, 0xfd79a8];
const SKINS = [0xf1c27d, 0xe0ac69, 0xc68642, 0x8d5524, 0xffdbac, 0xa0522d];

export class Crowd {
  /** Stands start `inner` metres from the centre; `rows` tiers of `perRow` seats per side. */
  constructor(scene, { inner = 10.2, rows = 4, perRow = 26, rowDepth = 1.1, rowRise = 0.55 } = {}) {
    this.excitement = 0;
    this.time = 0;
    const seats = [];
    const random = mulberry32(20240601);
    for (let side = 0; side < 4; side++) {
      const yaw = side * Math.PI / 2; // side 0 is the stand on +z (sim south)
      for (let row = 0; row < rows; row++) {
        const distance = inner + row * rowDepth;
        const halfWidth = distance - 0.6; // the stands' corners meet on the diagonals
        for (let i = 0; i < perRow; i++) {
          if (random() < 0.12) continue; // empty seats
          const along = -halfWidth + (2 * halfWidth) * (i + 0.5 + (random() - 0.5) * 0.3) / perRow;
          const x = Math.cos(yaw) * along + Math.sin(yaw) * distance;
          const z = -Math.sin(yaw) * along + Math.cos(yaw) * distance;
          seats.push({ x, z, floor: row * rowRise, phase: random() * Math.PI * 2, rate: 0.8 + random() * 0.6, height: 0.9 + random() * 0.25, eager: random() });
        }
      }
    }
    this.seats = seats;
    this._addStands(scene, inner, rows, rowDepth, rowRise);

    const bodyGeometry = new THREE.CylinderGeometry(0.2, 0.26, 1, 6).translate(0, 0.5, 0); // low-poly: 372 of them
    const headGeometry = new THREE.SphereGeometry(0.15, 7, 4);
    this.bodies = new THREE.InstancedMesh(bodyGeometry, new THREE.MeshLambertMaterial(), seats.length);
    this.heads = new THREE.InstancedMesh(headGeometry, new THREE.MeshLambertMaterial(), seats.length);
    this.bodies.name = 'crowd-bodies';
    this.heads.name = 'crowd-heads';
    const colour = new THREE.Color();
    seats.forEach((s, i) => {
      this.bodies.setColorAt(i, colour.set(SHIRTS[Math.floor(random() * SHIRTS.length)]));
      this.heads.setColorAt(i, colour.set(SKINS[Math.floor(random() * SKINS.length)]));
    });
    for (const mesh of [this.bodies, this.heads]) {
      mesh.instanceMatrix.setUsage(THREE.DynamicDrawUsage);
      mesh.frustumCulled = false; // the instances span the whole arena
      scene.add(mesh);
    }
    this._matrix = new THREE.Matrix4();
    this._scale = new THREE.Vector3();
    this._position = new THREE.Vector3();
    this._identity = new THREE.Quaternion();
    this.update(0);
  }

  get count() { return this.seats.length; }

  /** The stepped stands: one unit box instanced per side and tier (one draw call). Sides alternate full and short
   *  widths so that they meet at the corners without overlapping. */
  _addStands(scene, inner, rows, rowDepth, rowRise) {
    const stands = new THREE.InstancedMesh(new THREE.BoxGeometry(1, 1, 1), new THREE.MeshLambertMaterial({ color: 0x262a36 }), 4 * rows);
    const m = new THREE.Matrix4(), q = new THREE.Quaternion(), up = new THREE.Vector3(0, 1, 0);
    for (let side = 0; side < 4; side++) {
      const yaw = side * Math.PI / 2;
      for (let row = 0; row < rows; row++) {
        const distance = inner + row * rowDepth, height = (row + 1) * rowRise;
        const width = 2 * (distance + (side % 2 === 0 ? 1 : -1) * rowDepth / 2);
        m.compose(new THREE.Vector3(Math.sin(yaw) * distance, height / 2, Math.cos(yaw) * distance), q.setFromAxisAngle(up, yaw), new THREE.Vector3(width, height, rowDepth));
        stands.setMatrixAt(side * rows + row, m);
      }
    }
    stands.name = 'stands';
    scene.add(stands);
  }

  /** A hit (0.35), a knockout (1), a victory (1.5): the crowd jumps, then calms down over a few seconds. */
  cheer(amount) {
    this.excitement = Math.min(2, this.excitement + amount);
  }

  update(dt) {
    this.time += dt;
    this.excitement *= Math.exp(-dt / 1.6);
    const t = this.time, excitement = this.excitement;
    this.seats.forEach((s, i) => {
      const sway = 0.03 * Math.sin(t * s.rate * 2 + s.phase);
      const jump = excitement * (0.12 + 0.2 * s.eager) * Math.abs(Math.sin(t * (6 + 3 * s.eager) + s.phase));
      const y = s.floor + Math.max(0, sway) + jump;
      this._scale.set(1, s.height, 1);
      this._matrix.compose(this._position.set(s.x, y, s.z), this._identity, this._scale);
      this.bodies.setMatrixAt(i, this._matrix);
      this._scale.set(1, 1, 1);
      this._matrix.compose(this._position.set(s.x, y + s.height + 0.14, s.z), this._identity, this._scale);
      this.heads.setMatrixAt(i, this._matrix);
    });
    this.bodies.instanceMatrix.needsUpdate = true;
    this.heads.instanceMatrix.needsUpdate = true;
  }
}

/** A small seeded generator, so the crowd is the same on every load. */
function mulberry32(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
