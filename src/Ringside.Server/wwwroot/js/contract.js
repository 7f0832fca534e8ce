// Contract v1's sizes and the training budget's units, as the server states them (GET /api/contract; docs/SERVER.md,
// "Contract"; docs/CONTRACT.md explains each). Read once per page: the modules that import this one run after it.
import { getJson } from './api.js';

export const contract = await getJson('/api/contract');

export const {
  observation_size: OBSERVATION_SIZE,
  action_names: ACTION_NAMES,
  idle_action: IDLE,
  attack_action: ATTACK,
  ticks_per_second: TICKS_PER_SECOND,
  ring_half_size: RING_HALF_SIZE,
  steps_per_iteration: STEPS_PER_ITERATION,
  arenas_per_iteration: ARENAS_PER_ITERATION,
  steps_per_arena: STEPS_PER_ARENA,
  steps_per_epoch: STEPS_PER_EPOCH,
} = contract;
