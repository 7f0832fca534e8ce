// A trained policy run in the browser from its .safetensors file: the file the server saves, loads and serves
// (GET /api/fighter-profiles/{fighter_id}/{profile_name}/model), read here without any library. Safetensors is
// 8 bytes of header length (little-endian), a JSON header naming each tensor's dtype, shape and byte range, then
// the raw data. The network is the server's actor-critic MLP (src/Ringside.Learning/ActorCriticNetwork.cs):
// dense layers y = W·x + b with PyTorch's names and [out, in] weights, tanh or ReLU between them, a policy head of
// action logits and a value head. Contract v1: 30 observation floats in, 10 actions out.

import { apiFetch } from './api.js';

export async function loadPolicy(url) {
  const response = await apiFetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${url}`);
  return parsePolicy(await response.arrayBuffer());
}

export function parsePolicy(buffer) {
  const headerLength = Number(new DataView(buffer).getBigUint64(0, true));
  if (headerLength <= 0 || 8 + headerLength > buffer.byteLength) throw new Error('not a safetensors file: bad header length');
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength)));
  const metadata = header.__metadata__ ?? {};
  if (metadata.format !== 'ringside-policy') throw new Error(`not a Ringside policy (format "${metadata.format ?? 'none'}")`);
  const spec = JSON.parse(metadata.architecture);
  const dataStart = 8 + headerLength;

  const tensor = (name, rows, columns) => {
    const t = header[name];
    if (!t) throw new Error(`the model has no tensor ${name}`);
    if (t.dtype !== 'F32') throw new Error(`${name} is ${t.dtype}, expected F32`);
    const shape = columns === undefined ? [rows] : [rows, columns];
    if (t.shape.join() !== shape.join()) throw new Error(`${name} has shape [${t.shape}], expected [${shape}]`);
    const [start, end] = t.data_offsets;
    if (end - start !== 4 * shape.reduce((a, b) => a * b, 1) || dataStart + end > buffer.byteLength) throw new Error(`${name}: its data does not match its shape`);
    // A copy: the data offsets need not be 4-byte aligned for a Float32Array view.
    return new Float32Array(buffer.slice(dataStart + start, dataStart + end));
  };
  const dense = (name, inputs, outputs) => ({ weight: tensor(`${name}.weight`, outputs, inputs), bias: tensor(`${name}.bias`, outputs), inputs, outputs });
  const trunk = prefix => {
    let inputs = spec.observation_size;
    return spec.hidden_sizes.map((size, i) => { const layer = dense(`${prefix}.${2 * i}`, inputs, size); inputs = size; return layer; });
  };
  const top = spec.hidden_sizes.length ? spec.hidden_sizes.at(-1) : spec.observation_size;
  const actorTrunk = trunk(spec.shared_trunk ? 'trunk' : 'actor');
  const criticTrunk = spec.shared_trunk ? actorTrunk : trunk('critic');
  const depth = spec.hidden_sizes.length;
  const actorHead = dense(spec.shared_trunk ? 'actor' : `actor.${2 * depth}`, top, spec.action_count);
  const criticHead = dense(spec.shared_trunk ? 'critic' : `critic.${2 * depth}`, top, 1);
  const activate = spec.activation === 'relu' ? x => Math.max(0, x) : Math.tanh;

  const apply = (layer, x, activation) => {
    const y = new Float64Array(layer.outputs);
    for (let o = 0; o < layer.outputs; o++) {
      let sum = layer.bias[o];
      const row = o * layer.inputs;
      for (let i = 0; i < layer.inputs; i++) sum += layer.weight[row + i] * x[i];
      y[o] = activation ? activation(sum) : sum;
    }
    return y;
  };
  const run = (layers, observation) => layers.reduce((x, layer) => apply(layer, x, activate), observation);

  return {
    spec,
    metadata,
    /** The action probabilities (softmax of the logits), the value estimate and the most probable action. */
    act(observation) {
      if (observation.length !== spec.observation_size) throw new Error(`observation must hold ${spec.observation_size} values, got ${observation.length}`);
      const hidden = run(actorTrunk, observation);
      const logits = apply(actorHead, hidden);
      const max = Math.max(...logits);
      const exp = logits.map(l => Math.exp(l - max));
      const total = exp.reduce((a, b) => a + b, 0);
      const probabilities = Array.from(exp, e => e / total);
      const value = apply(criticHead, spec.shared_trunk ? hidden : run(criticTrunk, observation))[0];
      return { probabilities, value, action: probabilities.indexOf(Math.max(...probabilities)) };
    },
  };
}
