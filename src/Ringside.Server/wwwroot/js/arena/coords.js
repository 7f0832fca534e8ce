// Simulation ↔ three.js coordinates, in one place.
//
// The simulation (docs/CONTRACT.md) is a plane: x east, y north, metres, the ring a square from -5 to +5.
// three.js is y-up and right-handed. We map
//     three.x = sim.x,   three.z = -sim.y,   three.y = height above the arena floor (the mat is at MAT_HEIGHT),
// so sim north (+y) is three's -z (away from the default "broadcast" camera, which stands on the south side at +z)
// and a counter-clockwise turn in the sim is a counter-clockwise turn seen from above in three.js.
// A facing unit vector (fx, fy) is the three.js direction (fx, 0, -fy); our GLB fighters face +z in model space, so
// the yaw that turns a model to face (fx, fy) is atan2(fx, -fy).

import { IDLE } from '../contract.js';

/** Height of the ring's mat above the arena floor, metres. Fighters stand on it. */
export const MAT_HEIGHT = 1.0;

/** Contract v1 actions: 0-7 move (0 east, then counter-clockwise in 45° steps), IDLE and ATTACK (from the server). */
export { ATTACK, IDLE, RING_HALF_SIZE, TICKS_PER_SECOND } from '../contract.js';

export function simToThree(x, y, out) {
  out.x = x;
  out.z = -y;
  return out;
}

/** Yaw (rotation about three's y axis) of a model facing +z that should face the sim direction (fx, fy). */
export function yawOfFacing(fx, fy) {
  return Math.atan2(fx, -fy);
}

/**
 * The move action (0-7) nearest to a sim-space direction, or IDLE for a zero vector.
 * 0 = +x (east), 1 = north-east, 2 = +y (north), ... 6 = -y (south), 7 = south-east.
 */
export function actionOfSimDirection(dx, dy) {
  if (Math.hypot(dx, dy) < 1e-6) return IDLE;
  const angle = Math.atan2(dy, dx); // counter-clockwise from east
  return ((Math.round(angle / (Math.PI / 4)) % 8) + 8) % 8;
}

/** Unit sim direction of a move action. */
export function simDirectionOfAction(action) {
  const angle = action * (Math.PI / 4);
  return { x: Math.cos(angle), y: Math.sin(angle) };
}

/**
 * A screen-space input (right: +1 = the screen's right, forward: +1 = into the screen) to a move action, given the
 * camera's forward direction in three.js coordinates. The camera's forward and right are flattened onto the ground.
 */
export function actionOfScreenInput(right, forward, cameraForward) {
  if (right === 0 && forward === 0) return IDLE;
  let fx = cameraForward.x, fz = cameraForward.z;
  const length = Math.hypot(fx, fz);
  if (length < 1e-6) { fx = 0; fz = -1; } else { fx /= length; fz /= length; } // straight down: screen up is north
  // right = forward × up = (-fz, 0, fx) for a y-up world.
  const rx = -fz, rz = fx;
  const wx = fx * forward + rx * right, wz = fz * forward + rz * right;
  return actionOfSimDirection(wx, -wz); // three (x, z) → sim (x, -z)
}
