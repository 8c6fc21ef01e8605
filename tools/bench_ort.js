#!/usr/bin/env node
// ONNX Runtime peer of the vlmrt benchmarks: times ONNX models on the CPU
// with one intra-op thread and prints `name: value` lines.
//
//   tools/bench_ort.sh [--runs N] [--min-sample-ms T] [--only SUBSTRING] [--io FILE] [--tol T]
//                      [--save-optimized DIR] [--opt-level L] MODEL.onnx|DIR ...
//   node tools/bench_ort.js ...        (the same, once bench_ort.sh --install has run)
//
// ONNX Runtime comes from the npm registry, onnxruntime-node 1.30.0 (its CPU
// binaries are inside the package), installed by tools/bench_ort.sh into
// ${XDG_CACHE_HOME:-~/.cache}/vlmrt/ort, outside the repository; set
// VLMRT_ORT_DIR to use another directory holding node_modules/onnxruntime-node.
//
// Session options: intraOpNumThreads 1, interOpNumThreads 1, executionMode
// sequential, graphOptimizationLevel all (the memory arena and pattern left at
// their defaults; --opt-level disabled|basic|extended|all sets another level,
// e.g. basic to run a quantized model's MatMulInteger + Cast + Mul unfused). A DIR argument means every *.onnx in it, by name.
//
// Inputs and expected outputs: NAME.io.safetensors beside NAME.onnx, or the
// file given with --io (used for every model): tensors `input.<input name>`
// feed the model, and each `output.<output name>` present is compared with
// what ONNX Runtime computed (`NAME.ort_max_abs_err`, `NAME.ort_check: PASS`
// when the error is at most tol * max(1, max |expected|), default tol 1e-4;
// the script exits with status 1 if any check fails; `NAME.ort_rel_err` is the
// error over max |expected| alone). An int8 model made by
// tools/quantize_onnx.py carries its float model's io file, so the check
// compares it with the float outputs: give it a quantization tolerance
// (--tol 0.05). Metadata `flops` (2 x
// multiply-adds per call) adds the GFLOP/s lines. tools/bench_torch.py
// --onnx-dir and tools/bench_vit.py --onnx write such pairs;
// tools/make_encoder_fixtures.py's reference.safetensors is one for the ViT.
//
// Timing: warm-up calls (at least 3 and 0.2 s), then --runs samples (default
// 21), each as many calls as last --min-sample-ms (default 20 ms) together,
// as `vlmrt bench matmul` and tools/bench_openblas.py measure: per call,
// the median and least of the samples, against the wall (`ort_ms_p50`,
// `ort_ms_min`) and the process's CPU time (`ort_cpu_ms_p50`,
// `ort_cpu_ms_min`, steadier on a shared machine). A call is one awaited
// session.run from JavaScript, so it includes the binding's cost per call;
// the `call_overhead` model of bench_torch.py (one Add of a [1, 1] tensor)
// measures that alone.
//
// --save-optimized DIR writes each model as ONNX Runtime optimised it
// (session option optimizedModelFilePath: DIR/NAME.optimized.onnx) and
// prints the optimised graph's operator counts as `NAME.ort_ops` (read from
// that file by a minimal protobuf walk), e.g. whether MatMulInteger + Cast +
// Mul became com.microsoft MatMulIntegerToFloat or DynamicQuantizeMatMul.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const ORT_VERSION = '1.30.0';

function usage(msg) {
  if (msg) process.stderr.write(`bench_ort.js: ${msg}\n`);
  process.stderr.write('usage: bench_ort.js [--runs N] [--min-sample-ms T] [--only SUBSTRING] [--io FILE] [--tol T] [--save-optimized DIR] [--opt-level L] MODEL.onnx|DIR ...\n');
  process.exit(msg ? 2 : 0);
}

function parseArgs(argv) {
  const o = { runs: 21, minSampleMs: 20, only: null, io: null, tol: 1e-4, saveOptimized: null, optLevel: 'all', models: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--runs': o.runs = parseInt(val(), 10); break;
      case '--min-sample-ms': o.minSampleMs = parseFloat(val()); break;
      case '--only': o.only = val(); break;
      case '--io': o.io = val(); break;
      case '--tol': o.tol = parseFloat(val()); break;
      case '--save-optimized': o.saveOptimized = val(); break;
      case '--opt-level': o.optLevel = val(); break;
      case '-h': case '--help': usage(); break;
      default:
        if (a.startsWith('-')) usage(`unknown flag ${a}`);
        o.models.push(a);
    }
  }
  if (!(o.runs > 0) || !(o.minSampleMs > 0) || !(o.tol > 0)) usage('--runs, --min-sample-ms and --tol must be positive');
  if (o.models.length === 0) usage('no model');
  if (!['disabled', 'basic', 'extended', 'all'].includes(o.optLevel)) usage('--opt-level: disabled, basic, extended or all');
  return o;
}

function loadOrt() {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const dir = process.env.VLMRT_ORT_DIR || path.join(cache, 'vlmrt', 'ort');
  const candidates = [path.join(dir, 'node_modules', 'onnxruntime-node'), 'onnxruntime-node'];
  for (const c of candidates) {
    try {
      return require(c);
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  process.stderr.write(`bench_ort.js: onnxruntime-node is not installed in ${dir}: run tools/bench_ort.sh --install\n`);
  process.exit(2);
}

// readSafetensors returns {tensors: {name: {dtype, shape, data}}, metadata}.
function readSafetensors(file) {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const base = 8 + n;
  const tensors = {};
  let metadata = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = t;
      continue;
    }
    const [s, e] = t.data_offsets;
    const bytes = buf.buffer.slice(buf.byteOffset + base + s, buf.byteOffset + base + e); // a copy: aligned
    let data;
    switch (t.dtype) {
      case 'F32': data = new Float32Array(bytes); break;
      case 'F64': data = Float32Array.from(new Float64Array(bytes)); break;
      case 'I32': data = new Int32Array(bytes); break;
      case 'I64': data = new BigInt64Array(bytes); break;
      default: continue; // not an input or output this script handles
    }
    tensors[name] = { dtype: t.dtype, shape: t.shape, data };
  }
  return { tensors, metadata };
}

function ortType(dtype) {
  return { F32: 'float32', F64: 'float32', I32: 'int32', I64: 'int64' }[dtype];
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function modelList(args) {
  const out = [];
  for (const m of args) {
    if (fs.statSync(m).isDirectory()) {
      for (const f of fs.readdirSync(m).filter((f) => f.endsWith('.onnx')).sort()) out.push(path.join(m, f));
    } else {
      out.push(m);
    }
  }
  return out;
}

// protobuf wire format, just enough to list a ModelProto's node op types:
// ModelProto.graph = 7, GraphProto.node = 1, NodeProto.op_type = 4,
// NodeProto.domain = 7.
function pbFields(buf, start, end, visit) {
  let i = start;
  const varint = () => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  while (i < end) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const n = varint();
      visit(field, i, i + n);
      i += n;
    } else throw new Error(`protobuf wire type ${wire}`);
  }
}

function opCounts(file) {
  const buf = fs.readFileSync(file);
  const counts = {};
  pbFields(buf, 0, buf.length, (f, s, e) => {
    if (f !== 7) return;
    pbFields(buf, s, e, (gf, gs, ge) => {
      if (gf !== 1) return;
      let op = '';
      let domain = '';
      pbFields(buf, gs, ge, (nf, ns, ne) => {
        if (nf === 4) op = buf.toString('utf8', ns, ne);
        if (nf === 7) domain = buf.toString('utf8', ns, ne);
      });
      const k = domain && domain !== 'ai.onnx' ? `${domain}.${op}` : op;
      counts[k] = (counts[k] || 0) + 1;
    });
  });
  return Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
}

function cpuModel() {
  const cpus = os.cpus();
  return cpus.length ? `${cpus[0].model} (${cpus.length} logical CPUs)` : 'unknown';
}

async function benchModel(ort, file, o) {
  const name = path.basename(file, '.onnx');
  const ioFile = o.io || file.replace(/\.onnx$/, '') + '.io.safetensors';
  const io = fs.existsSync(ioFile) ? readSafetensors(ioFile) : { tensors: {}, metadata: {} };
  const opts = {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: o.optLevel,
  };
  let optimized = null;
  if (o.saveOptimized) {
    fs.mkdirSync(o.saveOptimized, { recursive: true });
    optimized = path.join(o.saveOptimized, name + '.optimized.onnx');
    opts.optimizedModelFilePath = optimized;
  }
  const session = await ort.InferenceSession.create(file, opts);
  if (optimized && fs.existsSync(optimized)) console.log(`${name}.ort_ops: ${opCounts(optimized)}`);
  const feeds = {};
  for (const inName of session.inputNames) {
    const t = io.tensors['input.' + inName];
    if (!t) throw new Error(`${file}: no input.${inName} in ${ioFile}`);
    feeds[inName] = new ort.Tensor(ortType(t.dtype), t.data, t.shape);
  }

  let outputs = await session.run(feeds);
  let ok = true;
  for (const outName of session.outputNames) {
    const want = io.tensors['output.' + outName];
    if (!want) continue;
    const got = outputs[outName].data;
    if (got.length !== want.data.length) throw new Error(`${name}: output ${outName} has ${got.length} values, want ${want.data.length}`);
    let err = 0;
    let scale = 1;
    for (let i = 0; i < got.length; i++) {
      err = Math.max(err, Math.abs(got[i] - want.data[i]));
      scale = Math.max(scale, Math.abs(want.data[i]));
    }
    if (!(err <= o.tol * scale)) ok = false; // NaN fails too
    let amax = 0;
    for (let i = 0; i < want.data.length; i++) amax = Math.max(amax, Math.abs(want.data[i]));
    console.log(`${name}.${outName}.ort_max_abs_err: ${err.toExponential(2)} (max |expected| ${scale.toPrecision(3)})`);
    if (amax > 0) console.log(`${name}.${outName}.ort_rel_err: ${(err / amax).toExponential(2)}`);
    console.log(`${name}.${outName}.ort_check: ${err <= o.tol * scale ? 'PASS' : 'FAIL'}`);
  }

  // Warm-up, and the number of calls per sample.
  const t0 = process.hrtime.bigint();
  let calls = 0;
  while (calls < 3 || Number(process.hrtime.bigint() - t0) < 2e8) {
    outputs = await session.run(feeds);
    calls++;
  }
  const perCallMs = Number(process.hrtime.bigint() - t0) / 1e6 / calls;
  const inner = Math.max(1, Math.round(o.minSampleMs / perCallMs));
  const wall = [];
  const cpu = [];
  for (let r = 0; r < o.runs; r++) {
    const w0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (let i = 0; i < inner; i++) outputs = await session.run(feeds);
    const c = process.cpuUsage(c0);
    wall.push(Number(process.hrtime.bigint() - w0) / 1e6 / inner);
    cpu.push((c.user + c.system) / 1e3 / inner);
  }
  const fmt = (x) => (x < 1 ? x.toFixed(4) : x.toFixed(2));
  console.log(`${name}.ort_ms_p50: ${fmt(median(wall))}`);
  console.log(`${name}.ort_ms_min: ${fmt(Math.min(...wall))}`);
  console.log(`${name}.ort_cpu_ms_p50: ${fmt(median(cpu))}`);
  console.log(`${name}.ort_cpu_ms_min: ${fmt(Math.min(...cpu))}`);
  const flops = Number(io.metadata.flops || 0);
  if (flops > 0) {
    console.log(`${name}.ort_gflops: ${(flops / median(wall) / 1e6).toFixed(1)}`);
    console.log(`${name}.ort_cpu_gflops: ${(flops / median(cpu) / 1e6).toFixed(1)}`);
  }
  console.log(`${name}.ort_calls_per_sample: ${inner}`);
  if (typeof session.release === 'function') await session.release();
  return ok;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const ort = loadOrt();
  const version = (ort.env && ort.env.versions && (ort.env.versions.node || ort.env.versions.common)) || 'unknown';
  console.log(`ort_version: ${version}`);
  if (version !== ORT_VERSION) console.log(`# bench_ort.js was written for onnxruntime-node ${ORT_VERSION}`);
  console.log(`ort_options: intraOpNumThreads 1, interOpNumThreads 1, executionMode sequential, graphOptimizationLevel ${o.optLevel}`);
  console.log(`node: ${process.version}`);
  console.log(`cpu: ${cpuModel()}`);
  console.log(`load_average: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  let ok = true;
  for (const file of modelList(o.models)) {
    if (o.only && !path.basename(file).includes(o.only)) continue;
    ok = (await benchModel(ort, file, o)) && ok;
  }
  if (!ok) {
    process.stderr.write('bench_ort.js: an output differs from the expected one (see the ort_check lines)\n');
    process.exit(1);
  }
}

// tools/bench_caption_ort.js reuses the loader and readers.
module.exports = { loadOrt, readSafetensors, median, cpuModel, ORT_VERSION };

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`bench_ort.js: ${e && e.message ? e.message : e}\n`);
    process.exit(1);
  });
}
