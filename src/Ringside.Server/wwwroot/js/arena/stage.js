// The arena's stage: renderer, scene, lights and shadows, the ring (mat, apron, posts, ropes, turnbuckles),
// the arena floor and barricade, and the orbit camera with its presets.
import * as THREE from '/vendor/three/build/three.module.js';
import { OrbitControls } from '/vendor/three/examples/jsm/controls/OrbitControls.js';
import { MAT_HEIGHT, RING_HALF_SIZE } from './coords.js';

const ROPE_HEIGHTS = [0.45, 0.85, 1.25]; // above the mat, metres
const POST_OFFSET = RING_HALF_SIZE + 0.15; // posts stand just outside the ropes' line
const POST_HEIGHT = 1.5;
const APRON_HALF = RING_HALF_SIZE + 0.6;

/** Camera presets: where the camera stands and what it looks at (three.js coordinates, see coords.js). */
export const CAMERA_PRESETS = {
  broadcast: { label: 'Broadcast', position: [0, 7.2, 13.5], target: [0, MAT_HEIGHT + 0.2, 0.6] },
  overhead: { label: 'Overhead', position: [0, 17.5, 0.01], target: [0, MAT_HEIGHT, 0] },
  corner: { label: 'Corner', position: [10.5, 6.2, 10.5], target: [0, MAT_HEIGHT + 0.3, 0] },
  ringside: { label: 'Ringside', position: [-2.5, 2.6, 9.8], target: [0, MAT_HEIGHT + 0.9, 0] },
};

/** In "low" quality the drawing buffer holds at most this many pixels (640×360) and is scaled up to the window. */
const LOW_QUALITY_PIXELS = 640 * 360;

/**
 * "high" (antialiasing, 2048 shadow map, PBR surfaces, up to 2× pixel ratio) on a GPU; "low" when WebGL is rendered
 * in software (SwiftShader, llvmpipe: headless browsers, machines without a GPU): no antialiasing, a 512 shadow map,
 * Lambert instead of PBR on the static surfaces, and at most 640×360 pixels drawn. Measured with SwiftShader, each
 * of these roughly halves its part of the frame time. ?quality=low|high overrides the choice.
 */
export function chooseQuality(requested) {
  if (requested === 'low' || requested === 'high') return requested;
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (!gl) return 'low';
    const debug = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return /swiftshader|llvmpipe|software|basic render/i.test(renderer) ? 'low' : 'high';
  } catch {
    return 'low';
  }
}

export class Stage {
  constructor(container, quality = 'high') {
    this.container = container;
    this.quality = quality;
    const high = quality === 'high';
    this.renderer = new THREE.WebGLRenderer({ antialias: high, powerPreference: 'high-performance' });
    this.renderer.setPixelRatio(this._pixelRatio(window.innerWidth, window.innerHeight));
    this.renderer.shadowMap.enabled = true;
    this.renderer.shadowMap.type = THREE.PCFShadowMap;
    this.renderer.toneMapping = THREE.ACESFilmicToneMapping;
    this.renderer.toneMappingExposure = 1.05;
    this.renderer.domElement.id = 'arena-canvas';
    this.renderer.domElement.setAttribute('aria-label', 'The arena, rendered in 3D');
    container.appendChild(this.renderer.domElement);

    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(0x0b0d14);
    this.scene.fog = new THREE.Fog(0x0b0d14, 30, 60);

    this.camera = new THREE.PerspectiveCamera(45, 16 / 9, 0.1, 120);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.enableDamping = true;
    this.controls.dampingFactor = 0.12;
    this.controls.minDistance = 4;
    this.controls.maxDistance = 32;
    this.controls.maxPolarAngle = Math.PI * 0.47; // never below the floor
    this._tween = null;
    this._userMoved = false;
    this.controls.addEventListener('start', () => { this._userMoved = true; this._tween = null; });
    this.setPreset('broadcast', true);

    this._addLights();
    this._addArena();
    this.ring = this._addRing();
    this.resize();
  }

  /** A material for a static surface: PBR in high quality, Lambert (much cheaper per pixel) in low. */
  surface({ color, map, roughness = 0.8, metalness = 0 }) {
    const base = {};
    if (color !== undefined) base.color = color;
    if (map !== undefined) base.map = map;
    if (this.quality === 'high') return new THREE.MeshStandardMaterial({ ...base, roughness, metalness });
    return new THREE.MeshLambertMaterial(base);
  }

  _pixelRatio(width, height) {
    if (this.quality === 'high') return Math.min(window.devicePixelRatio || 1, 2);
    return Math.min(1, Math.sqrt(LOW_QUALITY_PIXELS / Math.max(1, width * height)));
  }

  _addLights() {
    this.scene.add(new THREE.HemisphereLight(0xbfd4ff, 0x2a2238, 1.1));
    // The key light: high over the ring, the only shadow caster (shadow camera fitted to the ring and apron).
    const key = new THREE.DirectionalLight(0xfff4e0, 2.4);
    key.position.set(4, 16, 7);
    key.target.position.set(0, MAT_HEIGHT, 0);
    key.castShadow = true;
    const size = this.quality === 'high' ? 2048 : 512;
    key.shadow.mapSize.set(size, size);
    const s = APRON_HALF + 0.9; // the ring and apron: where fighters are
    Object.assign(key.shadow.camera, { left: -s, right: s, top: s, bottom: -s, near: 4, far: 30 });
    key.shadow.bias = -0.0008;
    key.shadow.normalBias = 0.02;
    this.scene.add(key, key.target);
    // Coloured rims from two corners, as arena lighting rigs do.
    const rimA = new THREE.DirectionalLight(0x6aa8ff, 0.7);
    rimA.position.set(-12, 8, -10);
    const rimB = new THREE.DirectionalLight(0xff6a8a, 0.5);
    rimB.position.set(12, 6, -8);
    this.scene.add(rimA, rimB);
    this.keyLight = key;
  }

  _addArena() {
    const floor = new THREE.Mesh(new THREE.PlaneGeometry(70, 70), this.surface({ color: 0x171a24, roughness: 0.95 }));
    floor.rotation.x = -Math.PI / 2;
    floor.receiveShadow = true;
    floor.name = 'arena-floor';
    this.scene.add(floor);
    // Padded mats around the apron and a barricade separating the crowd.
    const mats = new THREE.Mesh(new THREE.PlaneGeometry(2 * APRON_HALF + 4, 2 * APRON_HALF + 4), this.surface({ color: 0x23262f, roughness: 1 }));
    mats.rotation.x = -Math.PI / 2;
    mats.position.y = 0.01;
    mats.receiveShadow = true;
    this.scene.add(mats);
    const barricadeGeometry = new THREE.BoxGeometry(1, 1.1, 0.12);
    const barricade = new THREE.InstancedMesh(barricadeGeometry, this.surface({ color: 0x2b2f3a, roughness: 0.6, metalness: 0.3 }), 4);
    const d = APRON_HALF + 3.2, length = 2 * d;
    const m = new THREE.Matrix4();
    [[0, d, 0], [0, -d, 0], [d, 0, Math.PI / 2], [-d, 0, Math.PI / 2]].forEach(([x, z, yaw], i) => {
      m.compose(new THREE.Vector3(x, 0.55, z), new THREE.Quaternion().setFromEuler(new THREE.Euler(0, yaw, 0)), new THREE.Vector3(length, 1, 1));
      barricade.setMatrixAt(i, m);
    });
    barricade.name = 'barricade';
    this.scene.add(barricade);
  }

  _addRing() {
    const ring = new THREE.Group();
    ring.name = 'ring';

    // Apron: the skirt around the raised ring, and the mat on top with the logo.
    const apron = new THREE.Mesh(new THREE.BoxGeometry(2 * APRON_HALF, MAT_HEIGHT - 0.02, 2 * APRON_HALF),
      this.surface({ map: apronTexture(), roughness: 0.8 }));
    apron.position.y = (MAT_HEIGHT - 0.02) / 2;
    apron.receiveShadow = true; // its shadow would only darken the floor under it: not worth a shadow-map pass
    apron.name = 'apron';
    const mat = new THREE.Mesh(new THREE.BoxGeometry(2 * APRON_HALF, 0.04, 2 * APRON_HALF),
      this.surface({ map: matTexture(), roughness: 0.85 }));
    mat.position.y = MAT_HEIGHT - 0.02;
    mat.receiveShadow = true;
    mat.name = 'mat';
    ring.add(apron, mat);

    // Four posts (red and blue corners, two neutral), three ropes per side, a turnbuckle pad at each rope end.
    const corners = [[1, 1], [-1, 1], [-1, -1], [1, -1]];
    const postColours = [0xd63031, 0xdfe6e9, 0x0984e3, 0xdfe6e9];
    const posts = new THREE.InstancedMesh(new THREE.CylinderGeometry(0.09, 0.09, POST_HEIGHT + 0.1, 12), this.surface({ roughness: 0.35, metalness: 0.6 }), 4);
    const pads = new THREE.InstancedMesh(new THREE.BoxGeometry(0.26, 0.3, 0.26), this.surface({ roughness: 0.7 }), 12);
    const m = new THREE.Matrix4(), colour = new THREE.Color();
    corners.forEach(([cx, cz], i) => {
      m.makeTranslation(cx * POST_OFFSET, MAT_HEIGHT + POST_HEIGHT / 2 - 0.05, cz * POST_OFFSET);
      posts.setMatrixAt(i, m);
      posts.setColorAt(i, colour.set(postColours[i]));
      ROPE_HEIGHTS.forEach((h, r) => {
        m.makeTranslation(cx * POST_OFFSET, MAT_HEIGHT + h, cz * POST_OFFSET);
        pads.setMatrixAt(i * 3 + r, m);
        pads.setColorAt(i * 3 + r, colour.set(postColours[i] === 0xdfe6e9 ? 0x2d3436 : postColours[i]));
      });
    });
    posts.castShadow = pads.castShadow = true;
    posts.name = 'posts';
    pads.name = 'turnbuckles';

    // Ropes: one unit cylinder instanced 12 times (4 sides × 3 heights), red, white and blue from the top down.
    const ropes = new THREE.InstancedMesh(new THREE.CylinderGeometry(0.035, 0.035, 1, 8).rotateZ(Math.PI / 2),
      this.surface({ roughness: 0.45 }), 12);
    const ropeColours = [0x0984e3, 0xf5f6fa, 0xd63031]; // bottom to top
    const span = 2 * POST_OFFSET;
    const sides = [[0, POST_OFFSET, 0], [0, -POST_OFFSET, 0], [POST_OFFSET, 0, Math.PI / 2], [-POST_OFFSET, 0, Math.PI / 2]];
    let n = 0;
    for (const [x, z, yaw] of sides) {
      ROPE_HEIGHTS.forEach((h, r) => {
        m.compose(new THREE.Vector3(x, MAT_HEIGHT + h, z), new THREE.Quaternion().setFromEuler(new THREE.Euler(0, yaw, 0)), new THREE.Vector3(span, 1, 1));
        ropes.setMatrixAt(n, m);
        ropes.setColorAt(n, colour.set(ropeColours[r]));
        n++;
      });
    }
    ropes.castShadow = true;
    ropes.name = 'ropes';
    ring.add(posts, pads, ropes);

    this.scene.add(ring);
    return ring;
  }

  /** Moves the camera to a preset (smoothly unless immediate). */
  setPreset(name, immediate = false) {
    const preset = CAMERA_PRESETS[name];
    if (!preset) return;
    this.preset = name;
    this._userMoved = false;
    const target = new THREE.Vector3(...preset.target);
    const scale = this._distanceScale();
    const offset = new THREE.Vector3(...preset.position).sub(target).multiplyScalar(scale);
    offset.y *= 1 + (scale - 1) * 0.6; // farther back (a portrait screen): also higher, to look over the near stand
    const position = offset.add(target);
    if (immediate) {
      this.camera.position.copy(position);
      this.controls.target.copy(target);
      this.controls.update();
      this._tween = null;
      return;
    }
    this._tween = { from: this.camera.position.clone(), fromTarget: this.controls.target.clone(), to: position, toTarget: target, t: 0 };
  }

  /**
   * How much farther than the preset the camera stands so that the ring (with some apron) fits across the view:
   * 1 on a landscape screen, more on a portrait phone, where the horizontal field of view is narrow.
   */
  _distanceScale() {
    const halfWidth = Math.atan(Math.tan(THREE.MathUtils.degToRad(this.camera.fov) / 2) * this.camera.aspect);
    const needed = 7.2 / Math.tan(halfWidth); // distance at which ±7.2 m fill the width
    return THREE.MathUtils.clamp(needed / 14.5, 1, 2.6);
  }

  /** Per frame: camera tween and orbit damping. */
  update(dt) {
    if (this._tween) {
      const tw = this._tween;
      tw.t = Math.min(1, tw.t + dt / 0.7);
      const e = tw.t < 0.5 ? 2 * tw.t * tw.t : 1 - Math.pow(-2 * tw.t + 2, 2) / 2;
      this.camera.position.lerpVectors(tw.from, tw.to, e);
      this.controls.target.lerpVectors(tw.fromTarget, tw.toTarget, e);
      if (tw.t >= 1) this._tween = null;
    }
    this.controls.update();
  }

  resize() {
    const w = Math.max(1, this.container.clientWidth), h = Math.max(1, this.container.clientHeight);
    this.renderer.setPixelRatio(this._pixelRatio(w, h));
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    // On a narrow (portrait) screen, widen the view so the whole ring stays in frame.
    const fov = this.camera.aspect < 1 ? 55 : 45;
    const reframe = fov !== this.camera.fov || (this._lastScale ?? 1) !== this._distanceScale();
    this.camera.fov = fov;
    this.camera.updateProjectionMatrix();
    if (reframe && this.preset && !this._userMoved) this.setPreset(this.preset, true);
    this._lastScale = this._distanceScale();
  }

  render() {
    this.renderer.render(this.scene, this.camera);
  }
}

function canvasTexture(width, height, draw) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  draw(canvas.getContext('2d'), width, height);
  const texture = new THREE.CanvasTexture(canvas);
  texture.colorSpace = THREE.SRGBColorSpace;
  texture.anisotropy = 4;
  return texture;
}

/** The canvas mat: light grey, a darker border where the ropes are, the Ringside logo in the middle. */
function matTexture() {
  return canvasTexture(1024, 1024, (g, w, h) => {
    g.fillStyle = '#c9ccd4';
    g.fillRect(0, 0, w, h);
    const edge = w * (0.6 / (2 * APRON_HALF)); // the strip outside the ropes
    g.fillStyle = '#2f3542';
    g.fillRect(0, 0, w, edge); g.fillRect(0, h - edge, w, edge); g.fillRect(0, 0, edge, h); g.fillRect(w - edge, 0, edge, h);
    g.strokeStyle = 'rgba(0,0,0,0.12)';
    g.lineWidth = 3;
    for (let i = 1; i < 8; i++) { // canvas seams
      const x = edge + (w - 2 * edge) * i / 8;
      g.beginPath(); g.moveTo(x, edge); g.lineTo(x, h - edge); g.stroke();
    }
    g.save();
    g.translate(w / 2, h / 2);
    g.fillStyle = 'rgba(214, 48, 49, 0.85)';
    g.beginPath(); g.arc(0, 0, w * 0.17, 0, Math.PI * 2); g.fill();
    g.fillStyle = '#f5f6fa';
    g.font = `bold ${Math.round(w * 0.055)}px system-ui, sans-serif`;
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    g.fillText('RINGSIDE', 0, 0);
    g.restore();
  });
}

/** The apron's skirt: dark with a stripe and the logo repeated. */
function apronTexture() {
  const texture = canvasTexture(1024, 128, (g, w, h) => {
    g.fillStyle = '#141722';
    g.fillRect(0, 0, w, h);
    g.fillStyle = '#d63031';
    g.fillRect(0, h * 0.08, w, h * 0.08);
    g.fillStyle = '#e8e8ee';
    g.font = `bold ${Math.round(h * 0.36)}px system-ui, sans-serif`;
    g.textBaseline = 'middle';
    for (let x = 30; x < w; x += 340) g.fillText('RINGSIDE', x, h * 0.6);
  });
  return texture;
}
