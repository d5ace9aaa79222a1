// The one Hopper GEMM template: TMA warp-specialized int8 mainloop (CollectiveBuilder) and
// an epilogue visitor tree computing fp16(acc * (sa[m] * sb[n] / 127^2) + bias[n]).
// sb is a row broadcast whose stride is chosen at run time: a vector (rowwise) or a
// scalar (global) in the same kernel. A null bias broadcasts zero.
#pragma once

#include <cuda_fp16.h>

#include "absl/strings/str_cat.h"
#include "cute/tensor.hpp"
#include "cutlass/cutlass.h"
#include "cutlass/epilogue/collective/collective_builder.hpp"
#include "cutlass/epilogue/fusion/sm90_callbacks_tma_warpspecialized.hpp"
#include "cutlass/epilogue/fusion/sm90_visitor_compute_tma_warpspecialized.hpp"
#include "cutlass/epilogue/fusion/sm90_visitor_load_tma_warpspecialized.hpp"
#include "cutlass/gemm/collective/collective_builder.hpp"
#include "cutlass/gemm/device/gemm_universal_adapter.h"
#include "cutlass/gemm/kernel/gemm_universal.hpp"
#include "cutlass/util/packed_stride.hpp"
#include "kernels/cuda/sm90/int8_gemm_sm90_args.h"
#include "kernels/dequant_scale.h"

namespace switchback::cuda::sm90 {

namespace fusion = cutlass::epilogue::fusion;

// scale = RN(RN(sa * sb) / 16129) as an epilogue compute node, without a division per
// element (kernels/dequant_scale.h).
template <class T>
struct DequantScaleFn {
  CUTLASS_HOST_DEVICE T operator()(T sa, T sb) const { return DequantScale(sa, sb); }
};
template <int N>
struct DequantScaleFn<cutlass::Array<float, N>> {
  CUTLASS_HOST_DEVICE cutlass::Array<float, N> operator()(cutlass::Array<float, N> const& sa,
                                                          cutlass::Array<float, N> const& sb) const {
    cutlass::Array<float, N> out;
    CUTLASS_PRAGMA_UNROLL
    for (int i = 0; i < N; ++i) out[i] = DequantScale(sa[i], sb[i]);
    return out;
  }
};

// EpilogueTile: the subtile the epilogue computes, stages in shared memory and stores by
// TMA at a time; each subtile costs two barriers of the consumer warpgroup and a proxy
// fence, so fewer, larger subtiles pay where the epilogue is a large share (small K).
template <class TileShape, class ClusterShape, class MainloopSchedule, class EpilogueSchedule,
          class EpilogueTile = cutlass::epilogue::collective::EpilogueTileAuto>
struct DequantGemm {
  using ElementAcc = int32_t;
  using ElementCompute = float;
  using RS = cutlass::FloatRoundStyle;
  static constexpr RS kRound = RS::round_to_nearest;

  // Leaves: the accumulator, sa per row m, sb per column n (or scalar), bias per column n.
  using Acc = fusion::Sm90AccFetch;
  using Sa = fusion::Sm90ColBroadcast<0, TileShape, cutlass::half_t, float,
                                      cute::Stride<cute::_1, cute::_0, int64_t>>;
  using Sb = fusion::Sm90RowBroadcast<0, TileShape, cutlass::half_t, float,
                                      cute::Stride<cute::_0, bool, int64_t>>;
  using Bias = fusion::Sm90RowBroadcast<0, TileShape, cutlass::half_t, float,
                                        cute::Stride<cute::_0, cute::_1, int64_t>>;
  template <template <class> class Fn, class Out = float>
  using Compute = fusion::Sm90Compute<Fn, Out, float, kRound>;
  // scale = sa * sb / 16129 ; out = acc * scale + bias, in that order (as the reference).
  using Scale = fusion::Sm90EVT<Compute<DequantScaleFn>, Sa, Sb>;
  using Product = fusion::Sm90EVT<Compute<cutlass::multiplies>, Acc, Scale>;
  using Fusion = fusion::Sm90EVT<Compute<cutlass::plus, cutlass::half_t>, Product, Bias>;

  using Epilogue = typename cutlass::epilogue::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, TileShape, ClusterShape,
      EpilogueTile, ElementAcc, ElementCompute, void,
      cutlass::layout::RowMajor, 8, cutlass::half_t, cutlass::layout::RowMajor, 8, EpilogueSchedule,
      Fusion>::CollectiveOp;

  // a [M,K] row-major; b [N,K] row-major = column-major [K,N]: both K-major.
  using Mainloop = typename cutlass::gemm::collective::CollectiveBuilder<
      cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, int8_t, cutlass::layout::RowMajor, 16,
      int8_t, cutlass::layout::ColumnMajor, 16, ElementAcc, TileShape, ClusterShape,
      cutlass::gemm::collective::StageCountAutoCarveout<static_cast<int>(
          sizeof(typename Epilogue::SharedStorage))>,
      MainloopSchedule>::CollectiveOp;

  using Kernel = cutlass::gemm::kernel::GemmUniversal<cute::Shape<int, int, int, int>, Mainloop, Epilogue>;
  using Gemm = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;
};

// The ping-pong kernels' epilogue subtile: 64 x 128, two per 128 x 128 tile (CUTLASS's
// default is 64 x 32, eight). The D staging grows from 8 to 32 KB and the mainloop keeps its
// six stages. Tenth session, one variant per process over the sweep's products on the H200
// (bench/results/h200_2026-12-02_s10_epilogue_tile_sustained.txt): +4% TOP/s (median) at
// K <= 1408 and +6% at K = 2048 over 64 x 32, 64 x 64 half of that; in the sweep, +2% at
// K <= 1408 and within the run-to-run spread elsewhere (docs/BENCHMARKS.md, tenth session).
using PingpongEpilogueTile = cute::Shape<cute::_64, cute::_128>;

template <class Config>
absl::Status RunDequantGemm(const GemmArgs& g, GemmWorkspace& workspace) {
  using Gemm = typename Config::Gemm;
  using Kernel = typename Config::Kernel;
  const int m = static_cast<int>(g.m), n = static_cast<int>(g.n), k = static_cast<int>(g.k);
  auto stride_a = cutlass::make_cute_packed_stride(typename Kernel::StrideA{}, cute::make_shape(m, k, 1));
  auto stride_b = cutlass::make_cute_packed_stride(typename Kernel::StrideB{}, cute::make_shape(n, k, 1));
  auto stride_d = cutlass::make_cute_packed_stride(typename Kernel::StrideD{}, cute::make_shape(m, n, 1));
  typename Gemm::Arguments args{
      cutlass::gemm::GemmUniversalMode::kGemm,
      {m, n, k, 1},
      {g.a, stride_a, g.b, stride_b},
      {{}, nullptr, stride_d, reinterpret_cast<cutlass::half_t*>(g.out), stride_d}};
  using Raster = decltype(args.scheduler.raster_order);
  args.scheduler.max_swizzle_size = g.swizzle;
  args.scheduler.raster_order = g.raster == 'm'   ? Raster::AlongM
                                : g.raster == 'n' ? Raster::AlongN
                                                  : Raster::Heuristic;
  auto& fusion = args.epilogue.thread;  // {Product, Bias, plus}
  auto& product = fusion.op_0;          // {Acc, Scale, multiplies}
  auto& scale = product.op_1;           // {Sa, Sb, DequantScaleFn}
  scale.op_0 = {reinterpret_cast<const cutlass::half_t*>(g.sa), cutlass::half_t(0),
                {cute::_1{}, cute::_0{}, int64_t{0}}};
  scale.op_1 = {reinterpret_cast<const cutlass::half_t*>(g.sb), cutlass::half_t(0),
                {cute::_0{}, !g.sb_is_scalar, int64_t{0}}};
  fusion.op_1 = {reinterpret_cast<const cutlass::half_t*>(g.bias), cutlass::half_t(0),
                 {cute::_0{}, cute::_1{}, int64_t{0}}};

  Gemm gemm;
  if (gemm.can_implement(args) != cutlass::Status::kSuccess) {
    return absl::UnimplementedError("CUTLASS sm90 GEMM cannot implement this shape");
  }
  const size_t bytes = Gemm::get_workspace_size(args);
  void* ws = nullptr;
  if (absl::Status s = workspace.Reserve(bytes, &ws); !s.ok()) return s;
  if (cutlass::Status s = gemm.initialize(args, ws, g.stream); s != cutlass::Status::kSuccess) {
    return absl::InternalError(absl::StrCat("CUTLASS initialize: ", cutlassGetStatusString(s)));
  }
  if (cutlass::Status s = gemm.run(g.stream); s != cutlass::Status::kSuccess) {
    return absl::InternalError(absl::StrCat("CUTLASS run: ", cutlassGetStatusString(s)));
  }
  if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) {
    return absl::InternalError(absl::StrCat("CUTLASS launch: ", cudaGetErrorString(e)));
  }
  return absl::OkStatus();
}

}  // namespace switchback::cuda::sm90
