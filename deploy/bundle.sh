#!/usr/bin/env bash
# Builds a relocatable bundle: the given binaries (default: server, client and test
# binaries of BUILD_DIR) in DEST/bin and their non-system shared libraries (gRPC,
# protobuf, abseil, c-ares, re2, ...) in DEST/lib, for GPU hosts without gRPC installed.
# The host's own libc, libstdc++, CUDA driver, cudart and cuBLAS(Lt) are never copied.
#
#   deploy/bundle.sh [-b BUILD_DIR] [-o DEST] [binary ...]
#   DEST/bin/switchback-server --gpu 0      (RPATH $ORIGIN/../lib finds the libraries)
set -euo pipefail
build=build
dest=dist/switchback
while getopts "b:o:" opt; do
  case $opt in
    b) build=$OPTARG ;;
    o) dest=$OPTARG ;;
    *) echo "usage: $0 [-b BUILD_DIR] [-o DEST] [binary ...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
  for f in "$build"/server/switchback-server "$build"/client/switchback-client \
           "$build"/tests/*/*_test "$build"/bench/int8_gemm_bench "$build"/bench/quantize_bench \
           "$build"/bench/quantize_timeline "$build"/bench/tensor_core_ceiling; do
    [ -x "$f" ] && bins+=("$f")
  done
fi
[ ${#bins[@]} -gt 0 ] || { echo "bundle: no binaries found under $build (build first)" >&2; exit 1; }

# Libraries every Linux GPU host has (or must provide itself: the driver and CUDA runtime).
system_lib='^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|librt\.|libpthread\.|libgcc_s\.|libstdc\+\+\.|libcuda\.|libcudart\.|libcublas|libcublasLt\.|libnvidia|libz\.|libssl\.|libcrypto\.|libsystemd)'

rm -rf "$dest"
mkdir -p "$dest/bin" "$dest/lib"
for b in "${bins[@]}"; do
  cp -L "$b" "$dest/bin/"
  ldd "$b" | awk '/=> \// {print $1, $3}' | while read -r name path; do
    if ! [[ $name =~ $system_lib ]]; then cp -Ln "$path" "$dest/lib/$name" 2>/dev/null || true; fi
  done
done
# Our fp16 runner and int8 products as libraries for bench/fp16_interleaved.py and
# bench/int8_interleaved.py (ctypes), beside their libraries.
for so in libswitchback_fp16.so libswitchback_int8.so; do
  [ -f "$build/bench/$so" ] || continue
  cp -L "$build/bench/$so" "$dest/lib/"
  ldd "$build/bench/$so" | awk '/=> \// {print $1, $3}' | while read -r name path; do
    if ! [[ $name =~ $system_lib ]]; then cp -Ln "$path" "$dest/lib/$name" 2>/dev/null || true; fi
  done
done
# Tests read fixtures from the source tree; scripts find the bundle root from here.
echo "bundle: $(ls "$dest/bin" | wc -l) binaries, $(ls "$dest/lib" | wc -l) libraries, $(du -sh "$dest" | cut -f1) in $dest"
