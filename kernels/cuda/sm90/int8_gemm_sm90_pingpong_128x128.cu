// Smaller problems: 128 x 128 x 128 tiles, two consumer warpgroups taking turns on
// different tiles (ping-pong), so one's epilogue overlaps the other's mainloop.
#include "kernels/cuda/sm90/int8_gemm_sm90_kernel.cuh"

namespace switchback::cuda::sm90 {

absl::Status RunPingpong128x128(const GemmArgs& args, GemmWorkspace& workspace) {
  using Config = DequantGemm<cute::Shape<cute::_128, cute::_128, cute::_128>,
                             cute::Shape<cute::_1, cute::_1, cute::_1>,
                             cutlass::gemm::KernelTmaWarpSpecializedPingpong,
                             cutlass::epilogue::TmaWarpSpecialized, PingpongEpilogueTile>;
  return RunDequantGemm<Config>(args, workspace);
}

}  // namespace switchback::cuda::sm90
