// An epilogue visitor leaf broadcasting a row vector v[n] (or a scalar v[0]) along M, read
// by each consumer thread straight from global memory into the registers of its own
// accumulator columns.
//
// Why not CUTLASS's Sm90RowBroadcast: it stages the tile's 128 values in shared memory
// (one value per thread), which needs a consumer-warpgroup barrier before any thread can
// read them back, after every mainloop. Here every thread issues its own loads (the wgmma
// accumulator layout gives each thread 32 of a tile's 128 columns, in pairs, so a warp's
// load touches 16 bytes) and waits only for them; no barrier, no shared memory. The scalar
// case is one load and a fill, chosen at run time, so rowwise and mixed stay one kernel.
#pragma once

#include "cute/tensor.hpp"
#include "cutlass/cutlass.h"
#include "cutlass/epilogue/fusion/sm90_visitor_tma_warpspecialized.hpp"
#include "cutlass/numeric_conversion.h"

namespace switchback::cuda::sm90 {

template <class CtaTileShapeMNK, class ElementInput, class ElementCompute>
struct RegisterRowBroadcast {
  struct SharedStorage {};

  struct Arguments {
    const ElementInput* ptr_row = nullptr;  // null: every value is null_default
    ElementInput null_default = ElementInput(0);
    bool scalar = false;  // true: v[0] for every column
  };
  using Params = Arguments;

  template <class ProblemShape>
  static constexpr Params to_underlying_arguments(ProblemShape const&, Arguments const& args, void*) {
    return args;
  }
  template <class ProblemShape>
  static bool can_implement(ProblemShape const&, Arguments const&) {
    return true;
  }
  template <class ProblemShape>
  static size_t get_workspace_size(ProblemShape const&, Arguments const&) {
    return 0;
  }
  template <class ProblemShape>
  static cutlass::Status initialize_workspace(ProblemShape const&, Arguments const&, void*, cudaStream_t,
                                              cutlass::CudaHostAdapter* = nullptr) {
    return cutlass::Status::kSuccess;
  }

  CUTLASS_HOST_DEVICE RegisterRowBroadcast() {}
  CUTLASS_HOST_DEVICE RegisterRowBroadcast(Params const& params, SharedStorage const&) : params(params) {}

  Params params;

  CUTLASS_DEVICE bool is_producer_load_needed() const { return false; }
  CUTLASS_DEVICE bool is_C_load_needed() const { return false; }
  CUTLASS_DEVICE bool is_zero() const { return params.ptr_row == nullptr && params.null_default == ElementInput(0); }

  template <class... Args>
  CUTLASS_DEVICE auto get_producer_load_callbacks(cutlass::epilogue::fusion::ProducerLoadArgs<Args...> const&) {
    return cutlass::epilogue::fusion::EmptyProducerLoadCallbacks{};
  }

  template <class GTensor, class RTensor, class CTensor, class Residue>
  struct ConsumerStoreCallbacks : cutlass::epilogue::fusion::EmptyConsumerStoreCallbacks {
    CUTLASS_DEVICE ConsumerStoreCallbacks(GTensor g, RTensor r, CTensor c, Residue residue, Params const& p)
        : tCgRow(g), tCrRow(r), tCcRow(c), residue_tCcRow(residue), params(p) {}

    GTensor tCgRow;  // (CPY,CPY_M,CPY_N,EPI_M,EPI_N), stride 0 along M
    RTensor tCrRow;  // same shape, registers only for the distinct columns
    CTensor tCcRow;  // coordinates relative to the tile, for the ragged edge
    Residue residue_tCcRow;
    Params const& params;

    CUTLASS_DEVICE void begin() {
      using namespace cute;
      if (params.ptr_row == nullptr || params.scalar) {
        const ElementInput v = params.ptr_row == nullptr ? params.null_default : params.ptr_row[0];
        fill(tCrRow, static_cast<ElementCompute>(v));
        return;
      }
      // Columns come in pairs (N % 8 == 0 is checked by the dispatcher): two per load
      // where the vector's base allows it.
      if ((reinterpret_cast<uintptr_t>(params.ptr_row) & (2 * sizeof(ElementInput) - 1)) == 0) {
        Load<2>();
      } else {
        Load<1>();
      }
    }

    template <int kMaxVector>
    CUTLASS_DEVICE void Load() {
      using namespace cute;
      Tensor g = filter_zeros(tCgRow);
      Tensor r = make_tensor_like<ElementInput>(filter_zeros(tCrRow));
      Tensor c = filter_zeros(tCcRow, tCgRow.stride());
      constexpr auto kCommon = decltype(max_common_layout(g, r)){};
      constexpr int kVector = cute::min(kMaxVector, int(size(kCommon)));
      using Vec = cute::uint_bit_t<kVector * cute::sizeof_bits_v<ElementInput>>;
      Tensor g_vec = recast<Vec>(coalesce(g));
      Tensor r_vec = recast<Vec>(coalesce(r));
      Tensor c_vec = tensor<1>(zipped_divide(c, kCommon.compose(Int<kVector>{})));
      Tensor p_vec = cute::lazy::transform(c_vec, [&](auto const& crd) { return elem_less(crd, residue_tCcRow); });
      clear(r);
      copy_if(p_vec, g_vec, r_vec);
      constexpr int kSize = size(r);
      using Input = cutlass::Array<ElementInput, kSize>;
      using Compute = cutlass::Array<ElementCompute, kSize>;
      recast<Compute>(filter(tCrRow))(_0{}) =
          cutlass::NumericArrayConverter<ElementCompute, ElementInput, kSize>{}(recast<Input>(coalesce(r))(_0{}));
    }

    template <class ElementAccumulator, int FragmentSize>
    CUTLASS_DEVICE cutlass::Array<ElementCompute, FragmentSize> visit(
        cutlass::Array<ElementAccumulator, FragmentSize> const&, int epi_v, int epi_m, int epi_n) {
      cutlass::Array<ElementCompute, FragmentSize> out;
      auto row = tCrRow(cute::_, cute::_, cute::_, epi_m, epi_n);
      CUTLASS_PRAGMA_UNROLL
      for (int i = 0; i < FragmentSize; ++i) out[i] = row(epi_v * FragmentSize + i);
      return out;
    }
  };

  template <bool ReferenceSrc, class... Args>
  CUTLASS_DEVICE auto get_consumer_store_callbacks(cutlass::epilogue::fusion::ConsumerStoreArgs<Args...> const& args) {
    using namespace cute;
    auto [M, N, K, L] = args.problem_shape_mnkl;
    // [M, N, L] with stride 0 along M and L: one vector for every row.
    Tensor mRow = make_tensor(make_gmem_ptr(params.ptr_row),
                              make_layout(make_shape(M, N, L), make_stride(_0{}, _1{}, _0{})));
    Tensor tCgRow = cutlass::epilogue::fusion::sm90_partition_for_epilogue<ReferenceSrc>(
        mRow, args.tile_shape_mnk, args.tile_coord_mnkl, args.epi_tile, args.tiled_copy, args.thread_idx);
    Tensor tCrRow = make_tensor_like<ElementCompute>(tCgRow);
    return ConsumerStoreCallbacks<decltype(tCgRow), decltype(tCrRow), decltype(args.tCcD),
                                  decltype(args.residue_tCcD)>(tCgRow, tCrRow, args.tCcD, args.residue_tCcD,
                                                                params);
  }
};

}  // namespace switchback::cuda::sm90
