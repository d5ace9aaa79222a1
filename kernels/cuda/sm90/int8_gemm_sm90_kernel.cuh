// The one Hopper GEMM template: TMA warp-specialized int8 mainloop (CollectiveBuilder) and
// an epilogue visitor tree computing fp16(acc * sa[m] / 127^2 * sb[n] + bias[n]).
// sb is a row broadcast whose stride is chosen at run time: a vector (rowwise) or a
// scalar (global) in the same kernel. A null bias broadcasts zero.
#pragma once

#include <cuda_fp16.h>

#include <type_traits>

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
#include "kernels/cuda/sm90/register_row_broadcast.cuh"
#include "kernels/dequant_scale.h"

namespace switchback::cuda::sm90 {

namespace fusion = cutlass::epilogue::fusion;

// Element-wise functors for the epilogue's compute nodes, each with the Array form the
// visitor tree calls (one fragment at a time).
template <class T, class Op>
struct ElementwiseFn {
  template <class... Args>
  CUTLASS_HOST_DEVICE T operator()(Args const&... args) const {
    return Op{}(args...);
  }
};
template <int N, class Op>
struct ElementwiseFn<cutlass::Array<float, N>, Op> {
  template <class... Args>
  CUTLASS_HOST_DEVICE cutlass::Array<float, N> operator()(Args const&... args) const {
    cutlass::Array<float, N> out;
    CUTLASS_PRAGMA_UNROLL
    for (int i = 0; i < N; ++i) out[i] = Op{}(args[i]...);
    return out;
  }
};
struct DivideBy16129Op {  // RN(x / 16129) without a division (kernels/dequant_scale.h)
  CUTLASS_HOST_DEVICE float operator()(float x) const { return DivideBy16129(x); }
};
struct FmaOp {
  CUTLASS_HOST_DEVICE float operator()(float a, float b, float c) const { return fmaf(a, b, c); }
};
template <class T>
using DivideBy16129Fn = ElementwiseFn<T, DivideBy16129Op>;
template <class T>
using FmaFn = ElementwiseFn<T, FmaOp>;

// The dequantization as an epilogue visitor tree:
//   out = fp16(fma(RN(acc * RN(sa / 16129)), sb, bias))
// Leaves: the accumulator, sa per row m, sb per column n (or a scalar), bias per column n
// (null: zero). sa / 16129 is computed once per accumulator row a thread holds (the
// compiler folds the repeats), leaving two fp32 operations per element besides the
// conversions. The epilogue's issue slots are what bounds the ping-pong kernels at small K,
// so the order matters: the reference's RN(acc * RN(RN(sa * sb) / 16129)) + bias
// (ref::Int8MatmulDequant) took five per element, and this order measured 13% less time per
// call at 131072 x 4096 x 1024 at a fixed clock and +8% TOP/s (median) on the sweep's
// K <= 1408 products (eleventh session, docs/BENCHMARKS.md). The two orders differ by a few
// fp32 ulps of the product before the bias is added and the sum rounded to fp16; the tests
// allow one fp16 ulp, or 8 fp32 ulps of the product where the bias cancels most of it
// (tests/reference/dequant_scale_test.cc checks that bound).
// RegisterRows: sb and bias read into registers by each thread (RegisterRowBroadcast)
// rather than through shared memory behind a barrier.
template <class TileShape, bool RegisterRows>
struct DequantFusion {
  using Acc = fusion::Sm90AccFetch;
  using Sa = fusion::Sm90ColBroadcast<0, TileShape, cutlass::half_t, float,
                                      cute::Stride<cute::_1, cute::_0, int64_t>>;
  using Sb = std::conditional_t<RegisterRows, RegisterRowBroadcast<TileShape, cutlass::half_t, float>,
                                fusion::Sm90RowBroadcast<0, TileShape, cutlass::half_t, float,
                                                         cute::Stride<cute::_0, bool, int64_t>>>;
  using Bias = std::conditional_t<RegisterRows, RegisterRowBroadcast<TileShape, cutlass::half_t, float>,
                                  fusion::Sm90RowBroadcast<0, TileShape, cutlass::half_t, float,
                                                           cute::Stride<cute::_0, cute::_1, int64_t>>>;
  template <template <class> class Fn, class Out = float>
  using Compute = fusion::Sm90Compute<Fn, Out, float, cutlass::FloatRoundStyle::round_to_nearest>;
  using RowScale = fusion::Sm90EVT<Compute<DivideBy16129Fn>, Sa>;
  using Scaled = fusion::Sm90EVT<Compute<cutlass::multiplies>, Acc, RowScale>;
  using Tree = fusion::Sm90EVT<Compute<FmaFn, cutlass::half_t>, Scaled, Sb, Bias>;

  static void SetArguments(const GemmArgs& g, typename Tree::Arguments& tree) {
    [[maybe_unused]] const auto* sb = reinterpret_cast<const cutlass::half_t*>(g.sb);
    [[maybe_unused]] const auto* bias = reinterpret_cast<const cutlass::half_t*>(g.bias);
    const cutlass::half_t zero(0);
    // {{Acc, {Sa, divide}, multiplies}, Sb, Bias, fma}. (maybe_unused: nvcc warns of a
    // variable used only under if constexpr.)
    tree.op_0.op_1.op_0 = {reinterpret_cast<const cutlass::half_t*>(g.sa), zero,
                           {cute::_1{}, cute::_0{}, int64_t{0}}};
    if constexpr (RegisterRows) {
      tree.op_1 = {sb, zero, g.sb_is_scalar};
      tree.op_2 = {bias, zero, false};
    } else {
      tree.op_1 = {sb, zero, {cute::_0{}, !g.sb_is_scalar, int64_t{0}}};
      tree.op_2 = {bias, zero, {cute::_0{}, cute::_1{}, int64_t{0}}};
    }
  }
};

// EpilogueTile: the subtile the epilogue computes, stages in shared memory and stores by
// TMA at a time; each subtile costs two barriers of the consumer warpgroup and a proxy
// fence, so fewer, larger subtiles pay where the epilogue is a large share (small K).
template <class TileShape, class ClusterShape, class MainloopSchedule, class EpilogueSchedule,
          class EpilogueTile = cutlass::epilogue::collective::EpilogueTileAuto, bool RegisterRows = false>
struct DequantGemm {
  using ElementAcc = int32_t;
  using ElementCompute = float;
  using Dequant = DequantFusion<TileShape, RegisterRows>;
  using Fusion = typename Dequant::Tree;

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
  Config::Dequant::SetArguments(g, args.epilogue.thread);

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
