// Large problems: 128 x 256 x 128 tiles, two consumer warpgroups cooperating on each tile,
// 2 x 1 clusters so that the pair shares b's tile through TMA multicast.
#include "kernels/cuda/sm90/int8_gemm_sm90_kernel.cuh"

namespace switchback::cuda::sm90 {

absl::Status RunCoop128x256(const GemmArgs& args, GemmWorkspace& workspace) {
  using Config = DequantGemm<cute::Shape<cute::_128, cute::_256, cute::_128>,
                             cute::Shape<cute::_2, cute::_1, cute::_1>,
                             cutlass::gemm::KernelTmaWarpSpecializedCooperative,
                             cutlass::epilogue::TmaWarpSpecializedCooperative>;
  return RunDequantGemm<Config>(args, workspace);
}

}  // namespace switchback::cuda::sm90
