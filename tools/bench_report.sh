#!/usr/bin/env bash
# Runs vlmrt's benchmarks and their peers side by side and writes the report:
# bench/report.json (every value of every round), bench/report.md and
# bench/report_*.png (see bench/report/main.go).
#
#   tools/bench_report.sh [--quick] [--rounds N] [--out DIR] [--logs DIR] [--work DIR] [--keep-work]
#
#   --quick       one round, three matmul shapes, short runs, no thread scaling, no avx2
#                 runs (a few minutes); writes into /tmp/vlmrt-report/quick unless --out
#   --rounds N    rounds back to back (default 3; --quick 1); each round runs the Go
#                 benchmarks, then every peer, so that a slow spell of the shared machine
#                 shows as spread instead of favouring one side
#   --out DIR     where report.json, report.md and report_*.png go (default: bench/)
#   --logs DIR    the raw output of every step (default /tmp/vlmrt-report/logs)
#   --work DIR    the ONNX models and the Go test binary (default /tmp/vlmrt-report/work)
#
# Needs Go, and for the peers Debian's python3-numpy, python3-torch, python3-onnx,
# python3-pil, libopenblas0-pthread, nodejs and npm (tools/bench_ort.sh installs
# onnxruntime-node 1.30.0 outside the repository). A peer that fails is left out of the
# report with a note; the Go benchmarks must pass.
#
# Steps: build the bench/ test binary once (the same code in every round); export the
# ONNX models (tools/bench_torch.py --onnx-dir, bench_vit.py --onnx, bench_caption.py
# --onnx-dir) and their int8 forms (tools/quantize_onnx.py); then per round:
#   Go:       BenchmarkMatMul, BenchmarkInt8MatMul, BenchmarkInt8DecoderLayer and
#             BenchmarkInt8ViTB16 (at the CPU's best level and, full mode, VLMRT_ISA=avx2),
#             BenchmarkViTB16 (1 and 2 threads, full mode), BenchmarkCaptionShapes
#   peers:    bench_openblas.py, bench_torch.py (matmul, decoder layer; --int8),
#             bench_vit.py (float, --int8), bench_ort.sh (float and int8 models),
#             bench_caption.py, bench_caption_ort.js (float and int8)
# and last `go run ./bench/report assemble` and `go run ./bench/report` (from bench/report).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
args="$*"

quick=0
rounds=
out=
logs=/tmp/vlmrt-report/logs
work=/tmp/vlmrt-report/work
keep_work=0
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--rounds) rounds=$2; shift ;;
	--out) out=$2; shift ;;
	--logs) logs=$2; shift ;;
	--work) work=$2; shift ;;
	--keep-work) keep_work=1 ;;
	-h | --help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench_report.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ $quick = 1 ]; then
	rounds=${rounds:-1}
	out=${out:-/tmp/vlmrt-report/quick}
else
	rounds=${rounds:-3}
	out=${out:-bench}
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
PY=/usr/bin/python3
command="tools/bench_report.sh${args:+ $args}"

rm -rf "$logs"
mkdir -p "$logs" "$work"
logs=$(cd "$logs" && pwd)
work=$(cd "$work" && pwd)
meta=$logs/meta.txt

say() { echo "bench_report.sh: $*" >&2; }
note() { echo "note: $*" >>"$meta"; say "$*"; }
# step LABEL FILE CMD...: records the load, runs CMD with stdout appended to FILE
# (stderr to FILE.err); a failure is a note, not the end of the run.
step() {
	local label=$1 file=$2
	shift 2
	echo "$label $(cut -d' ' -f1-3 /proc/loadavg)" >>"$logs/load.txt"
	say "$label"
	"$@" >>"$file" 2>>"$file.err" || {
		local rc=$?
		note "$label failed (exit status $rc; see $(basename "$(dirname "$file")")/$(basename "$file").err in the logs): left out"
		return 1
	}
}

# --------------------------------------------------------------- the machine
{
	echo "machine: $(nproc) vCPUs, Linux $(uname -r) $(uname -m)"
	model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs || true)
	family=$(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | xargs || true)
	cpumodel=$(grep -m1 '^model[[:space:]]*:' /proc/cpuinfo | cut -d: -f2 | xargs || true)
	feats=""
	grep -qw avx512f /proc/cpuinfo && feats="AVX-512"
	grep -qw avx512_vnni /proc/cpuinfo && feats="$feats VNNI"
	[ -z "$feats" ] && grep -qw avx2 /proc/cpuinfo && feats="AVX2"
	echo "cpu: $model (family $family model $cpumodel; $feats)"
	echo "date_start: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "mode: $([ $quick = 1 ] && echo quick || echo full)"
	echo "rounds: $rounds"
	echo "go: $(go version | awk '{print $3}')"
	commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	if git diff --quiet HEAD -- bench kernels runtime heads encoders pipeline preprocess generate tokenizer weights parallel internal go.mod 2>/dev/null; then
		echo "commit: $commit"
	else
		echo "commit: $commit with uncommitted changes in the working tree"
	fi
	echo "command: $command"
} >"$meta"
busy=$(ps -eo pcpu=,args= --sort=-pcpu | awk -v me=$$ '$1 >= 20 {c=$2; for (i=3; i<=NF && i<=4; i++) c=c" "$i; printf "%s%s (%.0f%% CPU)", sep, c, $1; sep="; "}' | head -c 300)
if [ -n "$busy" ]; then
	note "other jobs at the start (over 20% CPU): $busy"
fi

# --------------------------------------------------------------- build and export
say "building the bench/ test binary"
go test -c -o "$work/bench.test" ./bench/
gobench() { # gobench [VAR=VALUE...] -- ARGS...: runs the test binary in bench/
	local envs=() o
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	o=$(cd "$root/bench" && env "${envs[@]}" "$work/bench.test" -test.run '^$' "$@") || { echo "$o"; return 1; }
	echo "$o"
	grep -q '^Benchmark' <<<"$o" || { echo "bench_report.sh: no benchmark matched $*" >&2; return 1; }
}

peers=1
tools/bench_ort.sh --install || { note "onnxruntime-node could not be installed: no ONNX Runtime figures"; peers=0; }
onnx=$work/onnx
onnx8=$work/onnx-int8
cap=$work/caption
cap8=$work/caption-int8
if [ ! -f "$onnx/vit_b16.onnx" ] || [ ! -f "$cap/caption_step.onnx" ] || [ $keep_work = 0 ]; then
	rm -rf "$onnx" "$onnx8" "$cap" "$cap8"
	mkdir -p "$onnx" "$onnx8" "$cap8"
	step "export: bench_torch.py --onnx-dir" "$logs/export.txt" $PY tools/bench_torch.py --onnx-dir "$onnx" || true
	step "export: bench_vit.py --onnx" "$logs/export.txt" $PY tools/bench_vit.py --runs 1 --onnx "$onnx/vit_b16.onnx" || true
	step "export: bench_caption.py --onnx-dir" "$logs/export.txt" $PY tools/bench_caption.py --rounds 1 --onnx-dir "$cap" || true
	for f in "$onnx"/matmul_*.onnx "$onnx"/transformer_decoder_layer_*.onnx "$onnx"/vit_b16.onnx; do
		[ -f "$f" ] && step "export: quantize_onnx.py $(basename "$f")" "$logs/export.txt" $PY tools/quantize_onnx.py "$f" "$onnx8/$(basename "$f")" || true
	done
	for f in caption_vision caption_step; do
		[ -f "$cap/$f.onnx" ] && step "export: quantize_onnx.py $f" "$logs/export.txt" $PY tools/quantize_onnx.py "$cap/$f.onnx" "$cap8/$f.onnx" || true
	done
	[ -f "$cap/caption.io.safetensors" ] && cp "$cap/caption.io.safetensors" "$cap8/"
fi

# --------------------------------------------------------------- the rounds
if [ $quick = 1 ]; then
	mm_shapes='^(1x768x768|64x768x768|16x768x32000)$'
	mm='^BenchmarkMatMul$/'$mm_shapes'/^(avx512|avx2)$'
	mm8='^BenchmarkInt8MatMul$/^(1x768x768|64x768x768)$/^avx512$/'
	bt_mm=300ms bt_layer=300ms bt_vit=3x bt_cap=1s
	vit_runs=3 ort_runs=5 cap_rounds=5 quickflag=--quick
else
	mm='^BenchmarkMatMul$/./^(avx512|avx2|threads2)$'
	mm8='^BenchmarkInt8MatMul$/./^(avx512|avx2)$/'
	bt_mm=300ms bt_layer=1s bt_vit=10x bt_cap=2s
	vit_runs=10 ort_runs=21 cap_rounds=20 quickflag=
fi
for r in $(seq 1 "$rounds"); do
	d=$logs/round$r
	mkdir -p "$d"
	say "round $r of $rounds"
	step "round $r: go matmul" "$d/go_matmul.txt" gobench -- -test.bench "$mm" -test.benchtime $bt_mm
	step "round $r: go int8 matmul" "$d/go_int8_matmul.txt" gobench -- -test.bench "$mm8" -test.benchtime $bt_mm
	step "round $r: go decoder layer" "$d/go_layers.txt" gobench -- -test.bench '^BenchmarkInt8DecoderLayer$' -test.benchtime $bt_layer
	step "round $r: go vit" "$d/go_layers.txt" gobench -- -test.bench '^BenchmarkInt8ViTB16$' -test.benchtime $bt_vit
	if [ $quick = 0 ]; then
		step "round $r: go decoder layer, avx2" "$d/go_layers_avx2.txt" gobench VLMRT_ISA=avx2 -- -test.bench '^BenchmarkInt8DecoderLayer$' -test.benchtime $bt_layer
		step "round $r: go vit, avx2" "$d/go_layers_avx2.txt" gobench VLMRT_ISA=avx2 -- -test.bench '^BenchmarkInt8ViTB16$' -test.benchtime $bt_vit
		step "round $r: go vit threads" "$d/go_vit_threads.txt" gobench -- -test.bench '^BenchmarkViTB16$' -test.benchtime $bt_vit
	fi
	step "round $r: go caption" "$d/go_caption.txt" gobench -- -test.bench '^BenchmarkCaptionShapes$' -test.benchtime $bt_cap
	[ $peers = 1 ] || continue
	step "round $r: openblas" "$d/openblas.txt" env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 $PY tools/bench_openblas.py || true
	step "round $r: torch matmul" "$d/torch.txt" $PY tools/bench_torch.py $quickflag --only matmul || true
	step "round $r: torch decoder layer" "$d/torch.txt" $PY tools/bench_torch.py $quickflag --only transformer_decoder_layer || true
	step "round $r: torch int8" "$d/torch_int8.txt" $PY tools/bench_torch.py $quickflag --int8 || true
	step "round $r: torch vit" "$d/vit_torch.txt" $PY tools/bench_vit.py --runs $vit_runs || true
	step "round $r: torch vit int8" "$d/vit_torch_int8.txt" $PY tools/bench_vit.py --runs $vit_runs --int8 || true
	step "round $r: ort" "$d/ort.txt" tools/bench_ort.sh --runs $ort_runs "$onnx" || true
	step "round $r: ort int8" "$d/ort_int8.txt" tools/bench_ort.sh --runs $ort_runs --tol 0.05 "$onnx8" || true
	step "round $r: caption torch" "$d/caption_torch.txt" $PY tools/bench_caption.py --rounds $cap_rounds || true
	step "round $r: caption ort" "$d/caption_ort.txt" node tools/bench_caption_ort.js --rounds $cap_rounds "$cap" || true
	step "round $r: caption ort int8" "$d/caption_ort_int8.txt" node tools/bench_caption_ort.js --rounds $cap_rounds --tol-tokens --name caption_int8 "$cap8" || true
done
echo "end $(cut -d' ' -f1-3 /proc/loadavg)" >>"$logs/load.txt"
echo "date_end: $(date -u '+%Y-%m-%d %H:%M UTC')" >>"$meta"

# --------------------------------------------------------------- peers' versions
r1=$logs/round1
v=$(grep -h -m1 '^# torch ' "$r1/torch.txt" 2>/dev/null | sed 's/^# //; s/, python.*//' || true)
b=$(grep -h -m1 '^# blas in use' "$r1/torch.txt" 2>/dev/null | sed 's/^# blas in use: //' || true)
[ -n "$v" ] && echo "peer.PyTorch: $v, BLAS $b; one intra-op thread" >>"$meta"
v=$(grep -h -m1 '^ort_version' "$r1/ort.txt" 2>/dev/null | cut -d' ' -f2 || true)
[ -n "$v" ] && echo "peer.ONNX Runtime: onnxruntime-node $v (Node.js $(node --version 2>/dev/null)), intraOpNumThreads 1, interOpNumThreads 1, sequential, graph optimisation all" >>"$meta"
v=$(grep -h -m1 '^blas:' "$r1/openblas.txt" 2>/dev/null | sed 's/^blas: //' || true)
[ -n "$v" ] && echo "peer.OpenBLAS: $v, one thread, through numpy" >>"$meta"

say "assembling $out/report.json"
(cd bench/report && go run . assemble -logs "$logs" -o "$out/report.json")
(cd bench/report && go run . -in "$out/report.json" -out "$out")
say "wrote $out/report.md, $out/report.json and $(cd "$out" && ls report_*.png | tr '\n' ' ')"
