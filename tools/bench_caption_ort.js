#!/usr/bin/env node
// ONNX Runtime peer of BenchmarkCaptionShapes: the shapes model's caption of one
// image, the vision tower and a greedy decoding loop driven from here.
//
//   /usr/bin/python3 tools/bench_caption.py --onnx-dir DIR     # the models and DIR/caption.io.safetensors
//   tools/bench_ort.sh --install
//   node tools/bench_caption_ort.js [--rounds N] [--opt-level L] [--name NAME] [--tol-tokens] DIR
//
// DIR holds caption_vision.onnx (pixel_values [1, 64, 64, 3] -> last_hidden_state
// [1, 65, 64]), caption_step.onnx (input_ids [1, S] int64, memory [1, 65, 64] ->
// logits [1, V] of the last position: the whole prefix recomputed at each step,
// as tools/shapes/model.py's greedy does) and caption.io.safetensors
// (`input.pixel_values` [n, 64, 64, 3], the images as Pillow decoded and
// preprocessed them in bench_caption.py; `output.tokens`, `output.lengths`:
// PyTorch's greedy tokens; metadata bos_id, eos_id, max_length and the front
// end's decode_cpu_ms and preprocess_cpu_ms, which ONNX Runtime does not run).
// tools/quantize_onnx.py's int8 forms of the two models work too (it copies
// the io file only for NAME.onnx: copy caption.io.safetensors beside them).
//
// Per image: one vision run, then steps until EOS or max_length, each step one
// session.run of caption_step with the ids so far, argmax of the logits here.
// Sessions: one intra-op and one inter-op thread, sequential, graph
// optimisation all (--opt-level to change it), as tools/bench_ort.js.
//
// The tokens must equal PyTorch's (exit status 1 otherwise; --tol-tokens
// prints how many are identical and goes on, for int8 models). Timing: one
// warm-up round over the images, then --rounds rounds (default 20), each the
// mean per image of the round; lines `NAME.ort_ms_p50`, `_min` (wall),
// `NAME.ort_cpu_ms_p50`, `_min` (the process's CPU time), tokens per image
// and tokens/s (over encode + generate), and `NAME.ort_e2e_cpu_ms_p50`: the
// CPU ms per image with the front end's decode and preprocess measured by
// bench_caption.py (Pillow) added, since ONNX Runtime runs neither.
// `NAME.ort_vision_cpu_us` and `NAME.ort_step_prefixS_cpu_us` (S = 1 and the
// longest caption) time one vision run and one step alone.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { loadOrt, readSafetensors, median, cpuModel, ORT_VERSION } = require('./bench_ort.js');

function usage(msg) {
  if (msg) process.stderr.write(`bench_caption_ort.js: ${msg}\n`);
  process.stderr.write('usage: bench_caption_ort.js [--rounds N] [--opt-level L] [--name NAME] [--tol-tokens] DIR\n');
  process.exit(msg ? 2 : 0);
}

function parseArgs(argv) {
  const o = { rounds: 20, optLevel: 'all', name: 'caption', tolTokens: false, dir: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--rounds': o.rounds = parseInt(val(), 10); break;
      case '--opt-level': o.optLevel = val(); break;
      case '--name': o.name = val(); break;
      case '--tol-tokens': o.tolTokens = true; break;
      case '-h': case '--help': usage(); break;
      default:
        if (a.startsWith('-')) usage(`unknown flag ${a}`);
        if (o.dir) usage('one DIR');
        o.dir = a;
    }
  }
  if (!(o.rounds > 0)) usage('--rounds must be positive');
  if (!o.dir) usage('no DIR');
  if (!['disabled', 'basic', 'extended', 'all'].includes(o.optLevel)) usage('--opt-level: disabled, basic, extended or all');
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const ort = loadOrt();
  const io = readSafetensors(path.join(o.dir, 'caption.io.safetensors'));
  const md = io.metadata;
  const bos = BigInt(md.bos_id);
  const eos = Number(md.eos_id);
  const maxLength = Number(md.max_length);
  const px = io.tensors['input.pixel_values'];
  const wantTokens = io.tensors['output.tokens'];
  const wantLengths = io.tensors['output.lengths'];
  const [n, h, w, c] = px.shape;
  const imageSize = h * w * c;

  const opts = {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: o.optLevel,
  };
  const vision = await ort.InferenceSession.create(path.join(o.dir, 'caption_vision.onnx'), opts);
  const step = await ort.InferenceSession.create(path.join(o.dir, 'caption_step.onnx'), opts);
  const version = (ort.env && ort.env.versions && (ort.env.versions.node || ort.env.versions.common)) || 'unknown';
  console.log(`ort_version: ${version}`);
  if (version !== ORT_VERSION) console.log(`# bench_caption_ort.js was written for onnxruntime-node ${ORT_VERSION}`);
  console.log(`ort_options: intraOpNumThreads 1, interOpNumThreads 1, executionMode sequential, graphOptimizationLevel ${o.optLevel}`);
  console.log(`node: ${process.version}`);
  console.log(`cpu: ${cpuModel()}`);

  const images = [];
  for (let i = 0; i < n; i++) {
    images.push(new ort.Tensor('float32', px.data.slice(i * imageSize, (i + 1) * imageSize), [1, h, w, c]));
  }
  const ids = new BigInt64Array(maxLength + 1);

  // caption runs the tower and the greedy loop; returns the tokens (EOS included).
  async function caption(image) {
    const enc = await vision.run({ pixel_values: image });
    const memory = enc.last_hidden_state;
    const out = [];
    ids[0] = bos;
    for (let s = 1; s <= maxLength; s++) {
      const r = await step.run({ input_ids: new ort.Tensor('int64', ids.subarray(0, s), [1, s]), memory });
      const logits = r.logits.data;
      let best = 0;
      for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
      out.push(best);
      if (best === eos) break;
      ids[s] = BigInt(best);
    }
    return out;
  }

  // Check and warm up.
  let same = 0;
  let tokens = 0;
  for (let i = 0; i < n; i++) {
    const got = await caption(images[i]);
    tokens += got.length;
    const want = Array.from(wantTokens.data.subarray(i * maxLength, i * maxLength + wantLengths.data[i]));
    if (got.length === want.length && got.every((t, k) => t === want[k])) same++;
    else process.stderr.write(`bench_caption_ort.js: image ${i}: tokens ${got}, PyTorch's ${want}\n`);
  }
  console.log(`${o.name}.images: ${n}`);
  console.log(`${o.name}.ort_identical_to_torch: ${same}/${n}`);
  if (same !== n && !o.tolTokens) {
    process.stderr.write('bench_caption_ort.js: the captions differ from PyTorch\'s\n');
    process.exit(1);
  }

  const wall = [];
  const cpu = [];
  for (let r = 0; r < o.rounds; r++) {
    const w0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) await caption(images[i]);
    const cu = process.cpuUsage(c0);
    wall.push(Number(process.hrtime.bigint() - w0) / 1e6 / n);
    cpu.push((cu.user + cu.system) / 1e3 / n);
  }
  // Where the time goes: one vision run, and one step at the shortest and
  // the longest prefix of the captions (the step recomputes the prefix, so
  // the difference bounds what a KV cache could save).
  const runCpuUs = async (f) => {
    for (let i = 0; i < 20; i++) await f();
    const c0 = process.cpuUsage();
    for (let i = 0; i < 200; i++) await f();
    const cu = process.cpuUsage(c0);
    return (cu.user + cu.system) / 200;
  };
  const memory = (await vision.run({ pixel_values: images[0] })).last_hidden_state;
  const longest = Math.max(...Array.from(wantLengths.data));
  const visionUs = await runCpuUs(() => vision.run({ pixel_values: images[0] }));
  const stepUs = {};
  for (const s of [1, longest]) {
    const t = new ort.Tensor('int64', new BigInt64Array(s).fill(bos), [1, s]);
    stepUs[s] = await runCpuUs(() => step.run({ input_ids: t, memory }));
  }

  const perImage = tokens / n;
  const front = Number(md.decode_cpu_ms || 0) + Number(md.preprocess_cpu_ms || 0);
  const f = (x) => x.toFixed(3);
  console.log(`${o.name}.ort_ms_p50: ${f(median(wall))}`);
  console.log(`${o.name}.ort_ms_min: ${f(Math.min(...wall))}`);
  console.log(`${o.name}.ort_cpu_ms_p50: ${f(median(cpu))}`);
  console.log(`${o.name}.ort_cpu_ms_min: ${f(Math.min(...cpu))}`);
  console.log(`${o.name}.ort_tokens_per_image: ${perImage.toFixed(2)}`);
  console.log(`${o.name}.ort_step_runs_per_image: ${perImage.toFixed(2)}`);
  console.log(`${o.name}.ort_tokens_per_s: ${(perImage / median(wall) * 1e3).toFixed(0)}`);
  console.log(`${o.name}.ort_cpu_tokens_per_s: ${(perImage / median(cpu) * 1e3).toFixed(0)}`);
  console.log(`${o.name}.ort_vision_cpu_us: ${visionUs.toFixed(1)}`);
  for (const [s, us] of Object.entries(stepUs)) console.log(`${o.name}.ort_step_prefix${s}_cpu_us: ${us.toFixed(1)}`);
  if (front > 0) {
    console.log(`${o.name}.front_end_cpu_ms: ${f(front)} (Pillow decode ${md.decode_cpu_ms} + preprocess ${md.preprocess_cpu_ms}, bench_caption.py)`);
    console.log(`${o.name}.ort_e2e_cpu_ms_p50: ${f(median(cpu) + front)}`);
  }
  console.log(`load_average: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (typeof vision.release === 'function') await vision.release();
  if (typeof step.release === 'function') await step.release();
}

main().catch((e) => {
  process.stderr.write(`bench_caption_ort.js: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
