#!/usr/bin/env bash
# On a GPU host, from the repository root, with a bundle made by deploy/bundle.sh:
#   tests     every *_test binary of the bundle (GPU tests included), then compute-sanitizer
#             memcheck and racecheck on the CUDA kernel tests' small shapes
#   sweep     switchback-server --gpu 0 and switchback-client sweep on loopback (SWEEP_ARGS)
#   modes     a second original sweep, then cold and graph sweeps (MODES), one server
#   torch     bench/torch_baselines.py on the same shapes, same run
#   fp16      bench/fp16_interleaved.py: our fp16 products and torch.matmul alternately,
#             same process and tensors (the bundle's lib/libswitchback_fp16.so)
#   fp16_choices  bench/fp16_choices.py: cuBLASLt's log of what torch.matmul and our runner
#             ran on every fp16 product of the sweep ($OUT/cublaslt.log.gz), compared
#             product by product ($OUT/fp16_choices.txt)
#   bench     the int8 GEMM variants' TOP/s on the sweep's shapes (bench/int8_gemm_bench,
#             BENCH_ARGS names the variants), then the quantizers on the weight shapes
#             (bench/quantize_bench) and where the weight quantizers' time goes
#             (bench/quantize_timeline); SM clock and power are logged meanwhile
#   ceiling   bench/tensor_core_ceiling: the int8 tensor-core work alone (wgmma from shared
#             memory or registers, no memory traffic) held under the power cap for 8 s per
#             operand kind, beside our products on the same card before and after
#             (CEILING_ARGS, default four large products; $OUT/ceiling.txt with the card's
#             power limits; bench/ceiling_report.py reads it by rules 1 and 2 into
#             $OUT/ceiling_report.txt)
#   gemm_ab   int8 GEMM variants A/B on sustained timing: bench/int8_gemm_bench --sweep once per
#             variant (GEMM_AB, the first is the base) in GEMM_AB_PASSES (default 2) alternating
#             passes, one process each, summarized by bench/gemm_ab.py ($OUT/gemm_ab.txt)
#   quantize_ab  the quantizers A/B: bench/quantize_bench once per arm (QUANTIZE_AB, the first
#             is the base: "-" the bundle's binary as it is, "--flag" the bundle's with that
#             flag, a path another build's quantize_bench) in QUANTIZE_AB_PASSES (default 3)
#             alternating passes, summarized by bench/quantize_ab.py ($OUT/quantize_ab.txt)
#   bnb       bench/bnb_baselines.py: bitsandbytes' Triton kernels on the same shapes, same
#             card and session (BNB_ARGS narrows the sweep; BNB_TIMEOUT seconds caps the step,
#             lines already written stay); needs .anchor/bnb from bench/fetch_bnb.sh, carried
#   int8_bnb  bench/int8_interleaved.py: our int8 products and bitsandbytes' Triton ones
#             alternately, same process and quantized tensors (INT8_BNB_ARGS, e.g.
#             "--configs 65536x4096x1024,..."; $OUT/int8_vs_bnb.jsonl; needs .anchor/bnb and
#             the bundle's lib/libswitchback_int8.so)
#   report    bench/report.py over the sweep and torch results ($OUT/bnb.jsonl as the
#             anchors when the bnb step wrote one, $OUT/int8_vs_bnb.jsonl as --int8 when the
#             int8_bnb step did)
# Results go to $OUT (default ./out); server, client, per-test and sanitizer logs into
# $OUT/logs.tar.gz (the device tool brings back at most 8 files). SANITIZE=0 skips the
# compute-sanitizer runs of the tests step (about 2 of its minutes). DEADLINE (seconds since
# the epoch) ends the bnb step by then, for a device call with a fixed budget.
#
#   BUNDLE=.bundle/switchback OUT=/tmp/out bench/run_device.sh tests sweep torch report
set -uo pipefail
BUNDLE=${BUNDLE:-.bundle/switchback}
OUT=${OUT:-out}
PORT=${PORT:-50099}
mkdir -p "$OUT"
LOGS=$(mktemp -d)
export SWITCHBACK_ANCHORS_DIR="$PWD/bench/anchors"
export LD_LIBRARY_PATH="$BUNDLE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(tests sweep torch report)
nvidia-smi >"$LOGS/nvidia-smi.txt" 2>&1 || true
status=0

for step in "${steps[@]}"; do
  case $step in
    tests)
      for t in "$BUNDLE"/bin/*_test; do
        name=$(basename "$t")
        [ "$name" = server_test ] || [ "$name" = client_test ] && continue
        if timeout "${TEST_TIMEOUT:-600}" "$t" --gtest_brief=1 >"$LOGS/$name.log" 2>&1; then r=PASS; else r=FAIL; status=1; fi
        printf '%-28s %s  (%s)\n' "$name" "$r" "$(grep -E '^\[  (PASSED|SKIPPED|FAILED)' "$LOGS/$name.log" | tr '\n' ' ')"
        [ $r = FAIL ] && grep -E "Failure|FAILED|error" -A3 "$LOGS/$name.log" | head -30
      done | tee "$OUT/tests.txt"
      for t in "$BUNDLE"/bin/cuda_kernels_test "$BUNDLE"/bin/int8_gemm_sm90_test "$BUNDLE"/bin/cuda_backend_test; do
        [ -x "$t" ] && [ "${SANITIZE:-1}" != 0 ] || continue
        case $(basename "$t") in
          int8_gemm_sm90_test) filter='*Ragged130x*:*Ragged1x*' ;;
          cuda_backend_test) filter='*Every*' ;;
          *) filter='*Small*:*Ragged*' ;;
        esac
        for tool in memcheck racecheck; do
          compute-sanitizer --tool $tool --error-exitcode 9 "$t" --gtest_filter="$filter" \
            >"$LOGS/sanitizer_${tool}_$(basename "$t").log" 2>&1
          echo "compute-sanitizer $tool $(basename "$t"): rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$LOGS/sanitizer_${tool}_$(basename "$t").log" | tail -1)"
        done
      done | tee -a "$OUT/tests.txt"
      ;;
    sweep)
      "$BUNDLE/bin/switchback-server" --gpu 0 --listen "127.0.0.1:$PORT" >"$LOGS/server.log" 2>&1 &
      pid=$!
      for _ in $(seq 300); do
        "$BUNDLE/bin/switchback-client" info --server "127.0.0.1:$PORT" >"$LOGS/info.txt" 2>&1 && break
        sleep 0.2
      done
      start=$(date +%s)
      # shellcheck disable=SC2086
      timeout "${SWEEP_TIMEOUT:-0}" "$BUNDLE/bin/switchback-client" sweep --server "127.0.0.1:$PORT" --out "$OUT/ours.jsonl" ${SWEEP_ARGS:-} \
        2>"$LOGS/client.log" || status=1
      echo "sweep: $(wc -l <"$OUT/ours.jsonl") lines in $(( $(date +%s) - start )) s"
      tail -n 70 "$LOGS/client.log"
      kill -TERM $pid; wait $pid
      echo "server exit: $?"
      ;;
    modes)
      # A second original run (the spread between runs), then cold and graph.
      "$BUNDLE/bin/switchback-server" --gpu 0 --listen "127.0.0.1:$PORT" >"$LOGS/server_modes.log" 2>&1 &
      pid=$!
      for _ in $(seq 300); do
        "$BUNDLE/bin/switchback-client" info --server "127.0.0.1:$PORT" >/dev/null 2>&1 && break
        sleep 0.2
      done
      for mode in ${MODES:-original cold graph}; do
        start=$(date +%s)
        # shellcheck disable=SC2086
        "$BUNDLE/bin/switchback-client" sweep --server "127.0.0.1:$PORT" --mode "$mode" \
          --out "$OUT/ours_$mode.jsonl" ${SWEEP_ARGS:-} 2>"$LOGS/client_$mode.log" || status=1
        echo "mode $mode: $(wc -l <"$OUT/ours_$mode.jsonl") lines in $(( $(date +%s) - start )) s"
      done
      kill -TERM $pid; wait $pid
      ;;
    torch)
      # shellcheck disable=SC2086
      python3 bench/torch_baselines.py --out "$OUT/torch.jsonl" ${TORCH_ARGS:-} 2>"$LOGS/torch.log" || status=1
      echo "torch: $(wc -l <"$OUT/torch.jsonl") lines"
      ;;
    fp16)
      # shellcheck disable=SC2086
      python3 bench/fp16_interleaved.py --lib "$BUNDLE/lib/libswitchback_fp16.so" \
        --out "$OUT/fp16_vs_torch.jsonl" ${FP16_ARGS:-} 2>&1 | tee "$LOGS/fp16.log" || status=1
      echo "fp16: $(wc -l <"$OUT/fp16_vs_torch.jsonl") lines"
      ;;
    fp16_choices)
      python3 bench/fp16_choices.py --lib "$BUNDLE/lib/libswitchback_fp16.so" --log "$OUT/cublaslt.log" \
        >"$LOGS/fp16_choices.log" 2>&1 || status=1
      python3 bench/fp16_choices.py --compare "$OUT/cublaslt.log" >"$OUT/fp16_choices.txt" || status=1
      tail -n 1 "$OUT/fp16_choices.txt"
      gzip -f "$OUT/cublaslt.log"
      ;;
    bench)
      nvidia-smi --query-gpu=clocks.sm,power.draw,temperature.gpu --format=csv,noheader,nounits \
        -lms 100 >"$LOGS/clocks_int8_bench.csv" 2>/dev/null &
      smi=$!
      # shellcheck disable=SC2086
      "$BUNDLE/bin/int8_gemm_bench" ${BENCH_ARGS:-} | tee "$OUT/bench.txt" || status=1
      kill $smi 2>/dev/null
      python3 - "$LOGS/clocks_int8_bench.csv" <<'PY' | tee -a "$OUT/bench.txt"
import statistics, sys
rows = [[float(v) for v in l.split(",")] for l in open(sys.argv[1]) if l.strip() and "[" not in l]
busy = [r for r in rows if r[1] > 300]  # samples while a GEMM ran (power above idle)
if busy:
    c, p = [r[0] for r in busy], [r[1] for r in busy]
    print(f"during the int8 bench ({len(busy)} samples above 300 W): SM clock {min(c):.0f}-{max(c):.0f} MHz "
          f"(median {statistics.median(c):.0f}), power {min(p):.0f}-{max(p):.0f} W (median {statistics.median(p):.0f})")
PY
      "$BUNDLE/bin/quantize_bench" | tee -a "$OUT/bench.txt" || status=1
      "$BUNDLE/bin/quantize_timeline" | tee -a "$OUT/bench.txt" || status=1
      ;;
    ceiling)
      nvidia-smi --query-gpu=name,power.limit,power.default_limit,power.max_limit,clocks.max.sm \
        --format=csv >"$OUT/ceiling.txt" 2>&1 || true
      # shellcheck disable=SC2086
      timeout 600 "$BUNDLE/bin/tensor_core_ceiling" \
        ${CEILING_ARGS:---gemm 131072 16384 4096 --gemm 131072 4096 16384 --gemm 65536 2048 8192 --gemm 131072 4096 1024} \
        | tee -a "$OUT/ceiling.txt" || status=1
      python3 bench/ceiling_report.py "$OUT/ceiling.txt" | tee "$OUT/ceiling_report.txt" || status=1
      ;;
    gemm_ab)
      [ -n "${GEMM_AB:-}" ] || { echo "gemm_ab: set GEMM_AB to the variants (the first is the base)" >&2; status=2; continue; }
      for pass in $(seq "${GEMM_AB_PASSES:-2}"); do
        for v in $GEMM_AB; do
          echo "== pass $pass $v"
          timeout 300 "$BUNDLE/bin/int8_gemm_bench" --rounds 5 --sweep "$v" | grep -v '^ *M ' || status=1
        done
      done >"$LOGS/gemm_ab_raw.txt" 2>&1
      { python3 bench/gemm_ab.py "$LOGS/gemm_ab_raw.txt" && echo && cat "$LOGS/gemm_ab_raw.txt"; } >"$OUT/gemm_ab.txt" || status=1
      grep -A99 '^K ' "$OUT/gemm_ab.txt" | grep -v '^ *[0-9]' | head -40
      ;;
    quantize_ab)
      [ -n "${QUANTIZE_AB:-}" ] || { echo "quantize_ab: set QUANTIZE_AB to the arms (the first is the base)" >&2; status=2; continue; }
      for pass in $(seq "${QUANTIZE_AB_PASSES:-3}"); do
        for arm in $QUANTIZE_AB; do
          echo "== pass $pass $arm"
          case $arm in
            -) timeout 300 "$BUNDLE/bin/quantize_bench" ;;
            --*) timeout 300 "$BUNDLE/bin/quantize_bench" "$arm" ;;
            *) timeout 300 "$arm" ;;
          esac || status=1
        done
      done >"$LOGS/quantize_ab_raw.txt" 2>&1
      { python3 bench/quantize_ab.py "$LOGS/quantize_ab_raw.txt" && echo && cat "$LOGS/quantize_ab_raw.txt"; } >"$OUT/quantize_ab.txt" || status=1
      sed -n '/^time over the base/,/^$/p' "$OUT/quantize_ab.txt"
      ;;
    bnb)
      limit=${BNB_TIMEOUT:-0}
      if [ -n "${DEADLINE:-}" ]; then
        left=$(( DEADLINE - $(date +%s) ))
        if [ "$left" -lt 30 ]; then echo "bnb: skipped, ${left} s to the deadline"; continue; fi
        if [ "$limit" = 0 ] || [ "$limit" -gt "$left" ]; then limit=$left; fi
      fi
      # shellcheck disable=SC2086
      timeout "$limit" python3 bench/bnb_baselines.py --bnb .anchor/bnb --out "$OUT/bnb.jsonl" \
        ${BNB_ARGS:-} 2>"$LOGS/bnb.log" || status=1
      echo "bnb: $(wc -l <"$OUT/bnb.jsonl") lines; $(tail -n 2 "$LOGS/bnb.log" | tr '\n' ' ')"
      ;;
    int8_bnb)
      # shellcheck disable=SC2086
      python3 bench/int8_interleaved.py --lib "$BUNDLE/lib/libswitchback_int8.so" --bnb .anchor/bnb \
        --out "$OUT/int8_vs_bnb.jsonl" ${INT8_BNB_ARGS:-} 2>"$LOGS/int8_bnb.log" || status=1
      echo "int8_bnb: $(wc -l <"$OUT/int8_vs_bnb.jsonl") lines"; grep '^int8 ' "$LOGS/int8_bnb.log"
      ;;
    report)
      extra=()
      [ -s "$OUT/bnb.jsonl" ] && extra=(--anchors "$OUT/bnb.jsonl")
      [ -s "$OUT/int8_vs_bnb.jsonl" ] && extra+=(--int8 "$OUT/int8_vs_bnb.jsonl")
      python3 bench/report.py "$OUT/ours.jsonl" --torch "$OUT/torch.jsonl" "${extra[@]}" >"$OUT/report.md" || status=1
      ;;
    *) echo "unknown step $step" >&2; status=2 ;;
  esac
done
tar -C "$LOGS" -czf "$OUT/logs.tar.gz" . 2>/dev/null
exit $status
