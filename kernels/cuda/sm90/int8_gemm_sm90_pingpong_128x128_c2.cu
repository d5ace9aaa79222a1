// Ping-pong 128 x 128 x 128 tiles in 2 x 1 clusters: the pair of CTAs shares b's tile
// through TMA multicast, halving b's L2 traffic.
#include "kernels/cuda/sm90/int8_gemm_sm90_kernel.cuh"

namespace switchback::cuda::sm90 {

absl::Status RunPingpong128x128Cluster2(const GemmArgs& args, GemmWorkspace& workspace) {
  using Config = DequantGemm<cute::Shape<cute::_128, cute::_128, cute::_128>,
                             cute::Shape<cute::_2, cute::_1, cute::_1>,
                             cutlass::gemm::KernelTmaWarpSpecializedPingpong,
                             cutlass::epilogue::TmaWarpSpecialized, PingpongEpilogueTile>;
  return RunDequantGemm<Config>(args, workspace);
}

}  // namespace switchback::cuda::sm90
