#include "kernels/cuda/gemm_fp16.h"

#include <map>
#include <vector>
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
  // The heuristic's candidates, best first; after the first call, only the fastest.
  std::vector<cublasLtMatmulAlgo_t> algos;
  std::vector<size_t> workspace_needed;  // per algorithm, as the heuristic reported it
  bool tuned = false;
  std::string variant;

  ~Plan() {
    if (desc) cublasLtMatmulDescDestroy(desc);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (c) cublasLtMatrixLayoutDestroy(c);
  }
};

// GemmFp16Runner::Options::candidates > 1: the heuristic's top candidates are timed once,
// on the first call's own buffers (a warm-up call, never a timed one), and the fastest kept.
// On the H100 that lost to the heuristic's first choice, which is also what cuBLAS runs
// under torch.matmul (docs/BENCHMARKS.md, interleaved with torch: top 6, 160 of 180
// products within 3%; the first, 174; the top 12 in two rounds was worse still and ran a
// cuBLAS kernel that racecheck flags).
constexpr int kMaxCandidates = 16;

std::string AlgoName(const cublasLtMatmulAlgo_t& algo) {
  int id = 0, tile = 0, stages = 0;
  size_t written = 0;
  cublasLtMatmulAlgoConfigGetAttribute(&algo, CUBLASLT_ALGO_CONFIG_ID, &id, sizeof(id), &written);
  cublasLtMatmulAlgoConfigGetAttribute(&algo, CUBLASLT_ALGO_CONFIG_TILE_ID, &tile, sizeof(tile), &written);
  cublasLtMatmulAlgoConfigGetAttribute(&algo, CUBLASLT_ALGO_CONFIG_STAGES_ID, &stages, sizeof(stages), &written);
  // Candidates of one algorithm, tile and stage count can still differ in these.
  int32_t split_k = 1;
  uint32_t swizzle = 0;
  uint16_t cluster = 0;
  cublasLtMatmulAlgoConfigGetAttribute(&algo, CUBLASLT_ALGO_CONFIG_SPLITK_NUM, &split_k, sizeof(split_k), &written);
  cublasLtMatmulAlgoConfigGetAttribute(&algo, CUBLASLT_ALGO_CONFIG_CTA_SWIZZLING, &swizzle, sizeof(swizzle), &written);
  cublasLtMatmulAlgoConfigGetAttribute(&algo, CUBLASLT_ALGO_CONFIG_CLUSTER_SHAPE_ID, &cluster, sizeof(cluster), &written);
  return absl::StrCat("cublasLt_fp16_algo", id, "_tile", tile, "_stages", stages, "_splitk", split_k, "_swizzle",
                      swizzle, "_cluster", cluster);
}

}  // namespace

struct GemmFp16Runner::Impl {
  Options options;
  cublasLtHandle_t handle = nullptr;
  int32_t sm_count = 0;  // the device's SMs, set on every plan as cuBLAS does under torch.matmul
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
    SB_CUBLAS_CHECK(
        cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_SM_COUNT_TARGET, &sm_count, sizeof(sm_count)));
    // Stored shapes (column-major rows x cols, ld = rows).
    const uint64_t a_rows = tb == Transpose::kYes ? k : n, a_cols = tb == Transpose::kYes ? n : k;
    const uint64_t b_rows = ta == Transpose::kYes ? m : k, b_cols = ta == Transpose::kYes ? k : m;
    SB_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->a, CUDA_R_16F, a_rows, a_cols, a_rows));
    SB_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->b, CUDA_R_16F, b_rows, b_cols, b_rows));
    SB_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->c, CUDA_R_16F, n, m, n));
    cublasLtMatmulPreference_t pref = nullptr;
    SB_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
    const uint64_t ws = options.workspace_bytes;
    cublasStatus_t st = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws));
    cublasLtMatmulHeuristicResult_t results[kMaxCandidates] = {};
    int found = 0;
    if (st == CUBLAS_STATUS_SUCCESS) {
      st = cublasLtMatmulAlgoGetHeuristic(handle, plan->desc, plan->a, plan->b, plan->c, plan->c, pref,
                                          options.candidates, results, &found);
    }
    cublasLtMatmulPreferenceDestroy(pref);
    SB_CUBLAS_CHECK(st);
    if (found == 0) {
      return absl::UnimplementedError(absl::StrCat("cuBLASLt has no fp16 algorithm for m=", m, " n=", n, " k=", k));
    }
    for (int i = 0; i < found; ++i) {
      if (results[i].state == CUBLAS_STATUS_SUCCESS) {
        plan->algos.push_back(results[i].algo);
        plan->workspace_needed.push_back(results[i].workspaceSize);
      }
    }
    if (plan->algos.empty()) return absl::UnimplementedError("cuBLASLt returned no usable fp16 algorithm");
    plan->variant = AlgoName(plan->algos.front());
    Plan* raw = plan.get();
    plans.emplace(key, std::move(plan));
    return raw;
  }
};

absl::StatusOr<std::unique_ptr<GemmFp16Runner>> GemmFp16Runner::Create(const Options& options) {
  if (options.candidates < 1 || options.candidates > kMaxCandidates) {
    return absl::InvalidArgumentError(absl::StrCat("fp16 runner: candidates must be 1..", kMaxCandidates));
  }
  auto runner = std::unique_ptr<GemmFp16Runner>(new GemmFp16Runner());
  runner->impl_ = std::make_unique<Impl>();
  runner->impl_->options = options;
  SB_CUBLAS_CHECK(cublasLtCreate(&runner->impl_->handle));
  int device = 0;
  SB_CUDA_CHECK(cudaGetDevice(&device));
  SB_CUDA_CHECK(cudaDeviceGetAttribute(&runner->impl_->sm_count, cudaDevAttrMultiProcessorCount, device));
  if (options.workspace_bytes > 0) SB_CUDA_CHECK(cudaMalloc(&runner->impl_->workspace, options.workspace_bytes));
  return runner;
}

GemmFp16Runner::~GemmFp16Runner() = default;

absl::Status GemmFp16Runner::Run(Transpose ta, Transpose tb, int64_t m, int64_t n, int64_t k,
                                 const __half* a, const __half* b, __half* c, cudaStream_t stream,
                                 std::string* variant) {
  if (m <= 0 || n <= 0) return absl::OkStatus();
  absl::StatusOr<Plan*> plan = impl_->PlanFor(ta, tb, m, n, k);
  if (!plan.ok()) return plan.status();
  Plan& p = **plan;
  const float alpha = 1.0f, beta = 0.0f;
  auto call = [&](size_t i) {
    const size_t ws = impl_->options.call_with_needed_workspace ? p.workspace_needed[i] : impl_->options.workspace_bytes;
    return cublasLtMatmul(impl_->handle, p.desc, &alpha, b, p.a, a, p.b, &beta, c, p.c, c, p.c, &p.algos[i],
                          impl_->workspace, ws, stream);
  };
  if (!p.tuned && p.algos.size() > 1) {
    cudaEvent_t start, stop;
    SB_CUDA_CHECK(cudaEventCreate(&start));
    SB_CUDA_CHECK(cudaEventCreate(&stop));
    float best_ms = 1e30f;
    size_t best = 0;
    for (size_t i = 0; i < p.algos.size(); ++i) {
      if (call(i) != CUBLAS_STATUS_SUCCESS) continue;  // warm-up; skip what fails
      cudaEventRecord(start, stream);
      for (int r = 0; r < 3; ++r) call(i);
      cudaEventRecord(stop, stream);
      float ms = 0;
      if (cudaEventSynchronize(stop) == cudaSuccess && cudaEventElapsedTime(&ms, start, stop) == cudaSuccess &&
          ms < best_ms) {
        best_ms = ms;
        best = i;
      }
    }
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    p.algos = {p.algos[best]};
    p.workspace_needed = {p.workspace_needed[best]};
    p.variant = AlgoName(p.algos.front());
  }
  p.tuned = true;
  SB_CUBLAS_CHECK(call(0));
  if (variant) *variant = p.variant;
  return absl::OkStatus();
}

}  // namespace switchback::cuda
