#!/bin/sh
# Installs ONNX Runtime for tools/bench_ort.js (onnxruntime-node from the npm
# registry, outside the repository) and runs it:
#
#   tools/bench_ort.sh --install            # install only (idempotent)
#   tools/bench_ort.sh [bench_ort.js flags] MODEL.onnx|DIR ...
#   tools/bench_ort.sh --tol 0.05 --save-optimized DIR/opt DIR
#                                           # int8 models of tools/quantize_onnx.py,
#                                           # checked against the float outputs
#
# The package goes into ${VLMRT_ORT_DIR:-${XDG_CACHE_HOME:-~/.cache}/vlmrt/ort}.
# --ignore-scripts: the package's install script only fetches GPU parts; the
# CPU binaries (bin/napi-v*/linux/x64/libonnxruntime.so.1) are in the package.
set -eu
version=1.30.0
dir=${VLMRT_ORT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vlmrt/ort}
have=$(node -p "try { require('$dir/node_modules/onnxruntime-node/package.json').version } catch (e) { '' }" 2>/dev/null || true)
if [ "$have" != "$version" ]; then
	echo "bench_ort.sh: installing onnxruntime-node@$version into $dir" >&2
	mkdir -p "$dir"
	(cd "$dir" && npm install --ignore-scripts --no-audit --no-fund onnxruntime-node@$version >&2)
fi
if [ "${1:-}" = "--install" ]; then
	exit 0
fi
VLMRT_ORT_DIR=$dir exec node "$(dirname "$0")/bench_ort.js" "$@"
