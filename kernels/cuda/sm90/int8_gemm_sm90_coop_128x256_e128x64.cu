// Experiment (tenth session): the cooperative 128 x 256 kernel with 128 x 64 epilogue subtiles.
#include "kernels/cuda/sm90/int8_gemm_sm90_kernel.cuh"

namespace switchback::cuda::sm90 {

absl::Status RunCoop128x256E128x64(const GemmArgs& args, GemmWorkspace& workspace) {
  using Config = DequantGemm<cute::Shape<cute::_128, cute::_256, cute::_128>,
                             cute::Shape<cute::_2, cute::_1, cute::_1>,
                             cutlass::gemm::KernelTmaWarpSpecializedCooperative,
                             cutlass::epilogue::TmaWarpSpecializedCooperative, cute::Shape<cute::_128, cute::_64>>;
  static_assert(Config::Mainloop::DispatchPolicy::Stages == 4, "keep the mainloop's four stages");
  return RunDequantGemm<Config>(args, workspace);
}

}  // namespace switchback::cuda::sm90
