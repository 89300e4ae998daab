#!/usr/bin/env node
// ONNX Runtime (npm onnxruntime-node) on .npy inputs of every element type qcc has, float16 and
// bool included (../shared/tools/ort-run.js reads and writes float32 and integers only):
//
//   node ort_run_npy.js MODEL.onnx --in NAME=FILE.npy ... --out-dir DIR
//
// Each output is written to DIR/<output name>.npy in the type the model produces. One intra-op
// thread, all graph optimizations (as ort-run.js). ONNX Runtime is found through ORT_NODE_DIR
// (a folder whose node_modules holds onnxruntime-node).
'use strict';
const fs = require('fs');
const path = require('path');

function loadOrt() {
  const dirs = [process.env.ORT_NODE_DIR, process.cwd()].filter(Boolean);
  for (const d of dirs) {
    try { return require(path.join(d, 'node_modules', 'onnxruntime-node')); } catch (e) { /* next */ }
  }
  return require('onnxruntime-node');
}

// numpy descr -> [onnxruntime-node type, typed array]; float16 travels as its bit patterns.
const DTYPES = {
  '<f4': ['float32', Float32Array], '<f2': ['float16', Uint16Array], '|i1': ['int8', Int8Array],
  '|u1': ['uint8', Uint8Array], '<i4': ['int32', Int32Array], '<i8': ['int64', BigInt64Array],
  '|b1': ['bool', Uint8Array],
};
const DESCR = Object.fromEntries(Object.entries(DTYPES).map(([d, [t]]) => [t, d]));

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const hlen = buf[6] === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = buf[6] === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: fortran order not supported`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map(s => s.trim())
    .filter(Boolean).map(Number);
  const dt = DTYPES[descr];
  if (!dt) throw new Error(`${file}: dtype ${descr} not supported`);
  const bytes = buf.subarray(hstart + hlen);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const data = dt[0] === 'bool' ? Array.from(copy, v => v !== 0) : new dt[1](copy.buffer);
  return { type: dt[0], data, dims: shape };
}

function writeNpy(file, t) {
  const descr = DESCR[t.type];
  if (!descr) throw new Error(`output type ${t.type} not supported`);
  const shape = t.dims.length === 1 ? `(${t.dims[0]},)` : `(${t.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre.writeUInt16LE(header.length, 8);
  const data = t.type === 'bool' ? Buffer.from(Array.from(t.data, v => (v ? 1 : 0)))
    : Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), data]));
}

async function main() {
  const args = process.argv.slice(2);
  const ins = {};
  let model = null, outDir = null;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--in') { const [k, v] = args[++i].split('='); ins[k] = v; }
    else if (args[i] === '--out-dir') outDir = args[++i];
    else model = args[i];
  }
  if (!model || !outDir) {
    console.error('usage: ort_run_npy.js MODEL.onnx --in NAME=FILE.npy ... --out-dir DIR');
    process.exit(2);
  }
  const ort = loadOrt();
  const sess = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = {};
  for (const name of sess.inputNames) {
    if (!ins[name]) throw new Error(`no input given for ${name}`);
    const t = readNpy(ins[name]);
    feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  }
  const out = await sess.run(feeds);
  fs.mkdirSync(outDir, { recursive: true });
  for (const name of sess.outputNames)
    writeNpy(path.join(outDir, name.replace(/[^A-Za-z0-9_.-]/g, '_') + '.npy'), out[name]);
}

main().catch(e => { console.error(String((e && e.message) || e)); process.exit(1); });
