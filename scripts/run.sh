#!/usr/bin/env bash
# The main job: installs what is missing, builds, starts switchback-server (GPU 0 when a
# CUDA device is present, else the CPU reference backend on a small sweep), runs the
# client sweep into results.jsonl, prints the summary table, stops the server.
#
#   scripts/run.sh [extra switchback-client sweep flags, e.g. --dims 4096]
set -euo pipefail
source "$(dirname "$0")/common.sh"
OUT=${OUT_FILE:-$SWITCHBACK_ROOT/results.jsonl}
PORT=${PORT:-50051}

ensure_packages
build

server=$BUILD_DIR/server/switchback-server
client=$BUILD_DIR/client/switchback-client
if has_gpu; then
  log "CUDA device found: full default sweep on GPU 0"
  server_args=(--gpu 0)
  sweep_args=()
else
  log "no CUDA device: CPU reference backend, small sweep"
  server_args=(--cpu)
  sweep_args=(--dims 256,384 --batch-sizes 1024,2048 --repeat 4)
fi

"$server" "${server_args[@]}" --listen "127.0.0.1:$PORT" &
server_pid=$!
trap 'kill -TERM $server_pid 2>/dev/null || true; wait $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  "$client" info --server "127.0.0.1:$PORT" >/dev/null 2>&1 && break
  kill -0 $server_pid 2>/dev/null || { log "server exited early"; exit 1; }
  sleep 0.1
done

start=$(date +%s)
"$client" sweep --server "127.0.0.1:$PORT" --out "$OUT" "${sweep_args[@]}" "$@"
log "wrote $(wc -l <"$OUT") lines to $OUT in $(( $(date +%s) - start )) s"
