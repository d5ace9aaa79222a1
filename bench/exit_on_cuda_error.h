// The bench probes' CUDA check: a failed call prints where and why and ends the process with
// status 2 (a probe has no caller to hand a Status to; the library's checks are
// kernels/cuda/check.h).
#pragma once

#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>

#define EXIT_ON_CUDA_ERROR(call)                                                                  \
  do {                                                                                            \
    if (cudaError_t e_ = (call); e_ != cudaSuccess) {                                             \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
      std::exit(2);                                                                               \
    }                                                                                             \
  } while (0)
