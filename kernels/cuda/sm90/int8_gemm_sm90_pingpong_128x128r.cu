// Small K (the dispatcher's K <= 1408): the ping-pong 128 x 128 kernel with sb and bias read
// by each thread straight into registers (RegisterRowBroadcast) rather than through shared
// memory behind a barrier. Where the epilogue is the larger share of a tile's time this
// shortens it: eleventh session, +2-7% TOP/s over the shared-memory broadcast at K = 1024,
// N = 4096 (sustained runs, one variant per process); at K >= 1664 it cost about 2%, so the
// other variants keep CUTLASS's broadcast.
#include "kernels/cuda/sm90/int8_gemm_sm90_kernel.cuh"

namespace switchback::cuda::sm90 {

absl::Status RunPingpong128x128RegisterRows(const GemmArgs& args, GemmWorkspace& workspace) {
  using Config = DequantGemm<cute::Shape<cute::_128, cute::_128, cute::_128>,
                             cute::Shape<cute::_1, cute::_1, cute::_1>,
                             cutlass::gemm::KernelTmaWarpSpecializedPingpong,
                             cutlass::epilogue::TmaWarpSpecialized, PingpongEpilogueTile, true>;
  return RunDequantGemm<Config>(args, workspace);
}

}  // namespace switchback::cuda::sm90
