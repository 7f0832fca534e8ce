// window.ringside: what the browser tests (tests/Ringside.Web.Tests) and tooling read and drive on the arena page.
// main.js hands over the page's parts; the hooks only read them, pause the frame loop or step it by hand.
import * as THREE from '/vendor/three/build/three.module.js';
import { TICKS_PER_SECOND } from './coords.js';

/**
 * Installs window.ringside. `page` has the stage, the crowd, `shown` (what the page has shown of the match), `step(dt)`,
 * `showPreview(ids)`, `views()` (the FighterViews on stage), a `paused` property and `resume()`.
 */
export function installHooks(page) {
  const { stage, crowd, shown } = page;
  const hooks = {
    ready: false,
    match: null,
    shown,
    pause() { page.paused = true; },
    resume() { page.resume(); },
    get paused() { return page.paused; },
    /** Steps and renders one frame now (also while paused). */
    renderOnce(dt = 1 / TICKS_PER_SECOND) { page.step(dt); stage.render(); return this.stats(); },
    stats() {
      const info = stage.renderer.info;
      return {
        calls: info.render.calls, triangles: info.render.triangles, geometries: info.memory.geometries, textures: info.memory.textures,
        objects: objectCounts(stage.scene), crowd: crowd.count, fighters: page.views().length, preset: stage.preset, quality: stage.quality,
        canvas: { width: stage.renderer.domElement.width, height: stage.renderer.domElement.height },
      };
    },
    /** Each fighter on stage: where it is on screen (CSS pixels, from its bounding box) and what it is. */
    fighters() {
      const rect = stage.renderer.domElement.getBoundingClientRect();
      return page.views().map(v => {
        const box = new THREE.Box3().setFromObject(v.body, true);
        let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
        for (let i = 0; i < 8; i++) {
          const p = new THREE.Vector3(i & 1 ? box.max.x : box.min.x, i & 2 ? box.max.y : box.min.y, i & 4 ? box.max.z : box.min.z).project(stage.camera);
          const x = rect.left + (p.x + 1) / 2 * rect.width, y = rect.top + (1 - p.y) / 2 * rect.height;
          minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
        }
        return {
          slot: v.slot, fighterId: v.info.fighter_id, name: v.info.name, colour: v.colour, alive: v.alive, health: v.health,
          clips: v.clipNames, fallback: v.fallback, scale: v.scale, visible: v.root.visible,
          position: { x: v.root.position.x, y: -v.root.position.z }, // sim coordinates
          screen: { x: minX, y: minY, width: maxX - minX, height: maxY - minY },
        };
      });
    },
    /** Shows or hides every overlay over the canvas (names, scoreboard, banners, bars). */
    showHud(show) { document.body.classList.toggle('hide-hud', !show); },
    knockOut(slot) { page.views()[slot]?.knockOut(false); },
    setFighterVisible(slot, visible) { const v = page.views()[slot]; if (v) v.root.visible = visible; },
    /** Puts these fighter ids on stage as before a battle; resolves when their models are loaded. */
    async preview(ids) { await page.showPreview(ids); return page.views().length; },
    setPreset(name) { stage.setPreset(name, true); },
    /** Mean milliseconds per frame (update + render, waiting for the GPU by reading a pixel) over `frames` frames. */
    measure(frames = 20) {
      const gl = stage.renderer.getContext(), pixel = new Uint8Array(4);
      page.step(1 / TICKS_PER_SECOND); stage.render(); gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel); // warm up
      const start = performance.now();
      for (let i = 0; i < frames; i++) {
        page.step(1 / TICKS_PER_SECOND);
        stage.render();
        gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
      }
      return (performance.now() - start) / frames;
    },
    stage, crowd, THREE,
  };
  window.ringside = hooks;
  return hooks;
}

function objectCounts(scene) {
  const counts = { meshes: 0, skinnedMeshes: 0, instancedMeshes: 0, instances: 0, lights: 0 };
  scene.traverse(o => {
    if (o.isInstancedMesh) { counts.instancedMeshes++; counts.instances += o.count; }
    else if (o.isSkinnedMesh) counts.skinnedMeshes++;
    else if (o.isMesh) counts.meshes++;
    if (o.isLight) counts.lights++;
  });
  return counts;
}
