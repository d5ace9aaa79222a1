#include "kernels/cuda/gemm_fp16.h"

#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "kernels/cuda/check.h"

namespace switchback::cuda {

namespace {

// cuBLASLt is column-major: row-major C [M,N] is column-major C^T [N,M] = op(B)^T op(A)^T,
// so B plays cuBLASLt's A and A plays its B.
struct Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
  std::string variant;

  ~Plan() {
    if (desc) cublasLtMatmulDescDestroy(desc);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (c) cublasLtMatrixLayoutDestroy(c);
  }
};

constexpr size_t kWorkspaceBytes = size_t{32} << 20;

}  // namespace

struct GemmFp16Runner::Impl {
  cublasLtHandle_t handle = nullptr;
  void* workspace = nullptr;
  std::map<std::tuple<int, int, int64_t, int64_t, int64_t>, std::unique_ptr<Plan>> plans;

  ~Impl() {
    plans.clear();
    if (workspace) cudaFree(workspace);
    if (handle) cublasLtDestroy(handle);
  }

  absl::StatusOr<Plan*> PlanFor(Transpose ta, Transpose tb, int64_t m, int64_t n, int64_t k) {
    const auto key = std::make_tuple(static_cast<int>(ta), static_cast<int>(tb), m, n, k);
    if (auto it = plans.find(key); it != plans.end()) return it->second.get();
    auto plan = std::make_unique<Plan>();
    SB_CUBLAS_CHECK(cublasLtMatmulDescCreate(&plan->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    // cuBLASLt's A is op(B)^T (N x K), its B is op(A)^T (K x M), D is C^T (N x M).
    const cublasOperation_t op_a = tb == Transpose::kYes ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t op_b = ta == Transpose::kYes ? CUBLAS_OP_T : CUBLAS_OP_N;
    SB_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_a, sizeof(op_a)));
    SB_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_b, sizeof(op_b)));
    // Stored shapes (column-major rows x cols, ld = rows).
    const uint64_t a_rows = tb == Transpose::kYes ? k : n, a_cols = tb == Transpose::kYes ? n : k;
    const uint64_t b_rows = ta == Transpose::kYes ? m : k, b_cols = ta == Transpose::kYes ? k : m;
    SB_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->a, CUDA_R_16F, a_rows, a_cols, a_rows));
    SB_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->b, CUDA_R_16F, b_rows, b_cols, b_rows));
    SB_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->c, CUDA_R_16F, n, m, n));
    cublasLtMatmulPreference_t pref = nullptr;
    SB_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
    const uint64_t ws = kWorkspaceBytes;
    cublasStatus_t st = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws));
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    if (st == CUBLAS_STATUS_SUCCESS) {
      st = cublasLtMatmulAlgoGetHeuristic(handle, plan->desc, plan->a, plan->b, plan->c, plan->c, pref, 1,
                                          &result, &found);
    }
    cublasLtMatmulPreferenceDestroy(pref);
    SB_CUBLAS_CHECK(st);
    if (found == 0) {
      return absl::UnimplementedError(absl::StrCat("cuBLASLt has no fp16 algorithm for m=", m, " n=", n, " k=", k));
    }
    plan->algo = result.algo;
    int id = 0, tile = 0, stages = 0;
    size_t written = 0;
    cublasLtMatmulAlgoConfigGetAttribute(&plan->algo, CUBLASLT_ALGO_CONFIG_ID, &id, sizeof(id), &written);
    cublasLtMatmulAlgoConfigGetAttribute(&plan->algo, CUBLASLT_ALGO_CONFIG_TILE_ID, &tile, sizeof(tile), &written);
    cublasLtMatmulAlgoConfigGetAttribute(&plan->algo, CUBLASLT_ALGO_CONFIG_STAGES_ID, &stages, sizeof(stages), &written);
    plan->variant = absl::StrCat("cublasLt_fp16_algo", id, "_tile", tile, "_stages", stages);
    Plan* raw = plan.get();
    plans.emplace(key, std::move(plan));
    return raw;
  }
};

absl::StatusOr<std::unique_ptr<GemmFp16Runner>> GemmFp16Runner::Create() {
  auto runner = std::unique_ptr<GemmFp16Runner>(new GemmFp16Runner());
  runner->impl_ = std::make_unique<Impl>();
  SB_CUBLAS_CHECK(cublasLtCreate(&runner->impl_->handle));
  SB_CUDA_CHECK(cudaMalloc(&runner->impl_->workspace, kWorkspaceBytes));
  return runner;
}

GemmFp16Runner::~GemmFp16Runner() = default;

absl::Status GemmFp16Runner::Run(Transpose ta, Transpose tb, int64_t m, int64_t n, int64_t k,
                                 const __half* a, const __half* b, __half* c, cudaStream_t stream,
                                 std::string* variant) {
  if (m <= 0 || n <= 0) return absl::OkStatus();
  absl::StatusOr<Plan*> plan = impl_->PlanFor(ta, tb, m, n, k);
  if (!plan.ok()) return plan.status();
  const float alpha = 1.0f, beta = 0.0f;
  SB_CUBLAS_CHECK(cublasLtMatmul(impl_->handle, (*plan)->desc, &alpha, b, (*plan)->a, a, (*plan)->b, &beta,
                                 c, (*plan)->c, c, (*plan)->c, &(*plan)->algo, impl_->workspace,
                                 kWorkspaceBytes, stream));
  if (variant) *variant = (*plan)->variant;
  return absl::OkStatus();
}

}  // namespace switchback::cuda
