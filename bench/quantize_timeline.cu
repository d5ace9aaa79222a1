// Where the weight quantizers' time goes: the kernel built with SWITCHBACK_WQ_TIMELINE
// stamps %globaltimer per block at entry, after posting its maxima, once it has seen the
// posts it waits for (colwise: those of its last region's strip), once the divisor is known
// (global modes) and at exit; this prints the spans of the last of 40
// back-to-back calls (relative to the first block's entry) beside the time per call of 64
// more, as the original mode calls them. A second line gives the same block's phases in SM
// cycles (clock64; the timer moves in 256 ns steps on the H200), median and slowest block:
// pass 1's loads, its reduction and post, the wait for the posts, pass 2; and the SM clock
// they imply. For colwise a third line takes the blocks by strip: when each strip's last
// block posted, and how long after that the first and the last of its blocks saw the posts
// (so that a late strip can be told from a slow exchange), then the median block's cycles
// from its post through each step to its first poll, and the six blocks that saw their
// strip last with the other block on their SM. Not a test.
//
//   quantize_timeline [--strip 64|256] [--launch 0..3] [rows cols ...]
//   (default: the sweep's w shapes 4096 x 1024 ... 16384 x 4096; --strip and --launch as in
//   kernels/cuda/quantize_weight_tuning.h)
#define SWITCHBACK_WQ_TIMELINE
#include "kernels/cuda/quantize_weight.cu"  // this target compiles the kernel itself, stamped

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <vector>

namespace {

__global__ void Fill(__half* p, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    p[i] = __float2half(static_cast<float>(static_cast<int64_t>((i * 2654435761ull) % 20001) - 10000) * 1e-4f);
  }
}

// Colwise: per strip, when its last block posted and when its blocks saw the strip's
// posts (thread 0's column), so that a late strip can be told from a slow exchange.
struct Polls {
  unsigned long long start[1024];
  unsigned count[1024], smid[1024];
  long long steps[1024][5];  // clock64 after the grid-launch hint, housekeeping, first region, barrier, at the poll
};

void PrintStrips(const unsigned long long (&tl)[1024][6], const int (&strip_of)[1024], const Polls& polls,
                 unsigned long long entry) {
  struct Strip {
    unsigned long long last_post = 0, first_seen = ~0ull, last_seen = 0;
    int blocks = 0;
  };
  std::vector<Strip> strips;
  for (int b = 0; b < 1024; ++b) {
    if (tl[b][0] == 0 || strip_of[b] < 0) continue;
    if (strip_of[b] >= static_cast<int>(strips.size())) strips.resize(strip_of[b] + 1);
    Strip& s = strips[strip_of[b]];
    ++s.blocks;
    s.last_post = std::max(s.last_post, tl[b][1]);
    s.first_seen = std::min(s.first_seen, tl[b][2]);
    s.last_seen = std::max(s.last_seen, tl[b][2]);
  }
  std::vector<double> first_lag, last_lag, posts;
  for (const Strip& s : strips) {
    if (s.blocks == 0) continue;
    first_lag.push_back((static_cast<double>(s.first_seen) - static_cast<double>(s.last_post)) / 1e3);
    last_lag.push_back((static_cast<double>(s.last_seen) - static_cast<double>(s.last_post)) / 1e3);
    posts.push_back((static_cast<double>(s.last_post) - static_cast<double>(entry)) / 1e3);
  }
  if (posts.empty()) return;
  auto span = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    char text[64];
    std::snprintf(text, sizeof(text), "%5.2f/%5.2f/%5.2f", v.front(), v[v.size() / 2], v.back());
    return std::string(text);
  };
  std::printf("%26s %zu strips (min/median/max us) | strip's last post %s | -> first block seeing it %s | -> last %s\n", "",
              posts.size(), span(posts).c_str(), span(first_lag).c_str(), span(last_lag).c_str());
  // The blocks that saw their strip's posts last, and the other block on the same SM.
  std::vector<int> order;
  for (int b = 0; b < 1024; ++b) {
    if (tl[b][0] != 0 && strip_of[b] >= 0) order.push_back(b);
  }
  std::sort(order.begin(), order.end(), [&](int a, int b) { return tl[a][2] > tl[b][2]; });
  auto us = [&](unsigned long long t) { return (static_cast<double>(t) - static_cast<double>(entry)) / 1e3; };
  auto describe = [&](int b) {
    char text[240];
    const long long* st = polls.steps[b];
    std::snprintf(text, sizeof(text),
                  "block %3d strip %2d SM %3u: posted %5.2f, polled from %5.2f, %4u loads, seen %5.2f, exit %5.2f "
                  "[cycles after the post: hint %lld, housekeeping %lld, region %lld, barrier %lld, poll %lld]",
                  b, strip_of[b], polls.smid[b], us(tl[b][1]), us(polls.start[b]), polls.count[b], us(tl[b][2]), us(tl[b][4]),
                  st[0], st[1], st[2], st[3], st[4]);
    return std::string(text);
  };
  {  // the median block's steps
    long long med[5];
    for (int i = 0; i < 5; ++i) {
      std::vector<long long> v;
      for (int b : order) v.push_back(polls.steps[b][i]);
      std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
      med[i] = v[v.size() / 2];
    }
    std::printf("%26s median block, cycles after its post: grid-launch hint %lld, housekeeping %lld, first region %lld, "
                "barrier %lld, first poll %lld\n", "", med[0], med[1], med[2], med[3], med[4]);
  }
  for (size_t i = 0; i < order.size() && i < 6; ++i) {
    const int b = order[i];
    int other = -1;
    for (int o : order) {
      if (o != b && polls.smid[o] == polls.smid[b]) other = o;
    }
    std::printf("%26s late: %s (strip's last post %5.2f) | same SM: %s\n", "", describe(b).c_str(),
                us(strips[strip_of[b]].last_post), other < 0 ? "none" : describe(other).c_str());
  }
  // And the first seers, for the per-load time when the words are already complete.
  for (size_t i = order.size(); i-- > 0 && i + 3 >= order.size();) {
    std::printf("%26s early: %s (strip's last post %5.2f)\n", "", describe(order[i]).c_str(),
                us(strips[strip_of[order[i]]].last_post));
  }
}

}  // namespace

int main(int argc, char** argv) {
  namespace cuda = switchback::cuda;
  std::vector<std::pair<int64_t, int64_t>> shapes;
  int strip = 0, launch = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--strip") {
      strip = std::atoi(argv[i + 1]);
    } else if (arg == "--launch") {
      launch = std::atoi(argv[i + 1]);
    } else {
      shapes.emplace_back(std::atoll(argv[i]), std::atoll(argv[i + 1]));
    }
  }
  cuda::OverrideWeightQuantizerForBench(strip, launch);
  if (shapes.empty()) shapes = {{4096, 1024}, {5120, 1280}, {8192, 2048}, {16384, 4096}};
  const char* names[] = {"colwise_T", "global", "global_T"};
  std::printf("us from the first block's entry: the last block's entry, pass 1 done and posted (first..last block), "
              "posts seen (first..last), divisor known (last), exit (last) | us per call, 64 back to back\n");
  for (const auto& shape : shapes) {
    const int64_t rows = shape.first, cols = shape.second;
    const int64_t n = rows * cols;
    __half *w = nullptr, *state = nullptr;
    int8_t* codes = nullptr;
    void* scratch = nullptr;
    if (cudaMalloc(&w, n * 2) != cudaSuccess || cudaMalloc(&codes, n) != cudaSuccess ||
        cudaMalloc(&state, 2 * (rows + cols)) != cudaSuccess ||
        cudaMalloc(&scratch, cuda::QuantizeScratchBytes(rows, cols)) != cudaSuccess) {
      std::printf("allocation failed\n");
      return 1;
    }
    if (!cuda::ClearQuantizeScratch(scratch, rows, cols, nullptr).ok()) return 1;
    Fill<<<1024, 256>>>(w, n);
    for (int mode = 0; mode < 3; ++mode) {
      auto op = [&] {
        if (mode == 0) return cuda::QuantizeColwiseTranspose(w, rows, cols, codes, state, scratch, nullptr);
        if (mode == 1) return cuda::QuantizeGlobal(w, rows, cols, codes, state, scratch, nullptr);
        return cuda::QuantizeGlobalTranspose(w, rows, cols, codes, state, scratch, nullptr);
      };
      static unsigned long long zero[1024][6];
      static int no_strip[1024];
      std::fill(std::begin(no_strip), std::end(no_strip), -1);
      cudaMemcpyToSymbol(cuda::g_wq_timeline, zero, sizeof(zero));
      cudaMemcpyToSymbol(cuda::g_wq_cycles, zero, sizeof(zero));
      cudaMemcpyToSymbol(cuda::g_wq_strip, no_strip, sizeof(no_strip));
      for (int i = 0; i < 40; ++i) (void)op();
      static unsigned long long tl[1024][6];
      static long long cy[1024][6];
      cudaMemcpyFromSymbol(tl, cuda::g_wq_timeline, sizeof(tl));
      cudaMemcpyFromSymbol(cy, cuda::g_wq_cycles, sizeof(cy));
      static int strip_of[1024];
      cudaMemcpyFromSymbol(strip_of, cuda::g_wq_strip, sizeof(strip_of));
      static Polls polls;
      cudaMemcpyFromSymbol(polls.start, cuda::g_wq_poll_start, sizeof(polls.start));
      cudaMemcpyFromSymbol(polls.count, cuda::g_wq_polls, sizeof(polls.count));
      cudaMemcpyFromSymbol(polls.smid, cuda::g_wq_smid, sizeof(polls.smid));
      cudaMemcpyFromSymbol(polls.steps, cuda::g_wq_steps, sizeof(polls.steps));
      for (int b = 0; b < 1024; ++b) {  // relative to the block's post (its mark 1), in cycles
        for (int i = 0; i < 5; ++i) polls.steps[b][i] = cy[b][1] == 0 ? 0 : polls.steps[b][i] - cy[b][1];
      }
      // Per-block spans in cycles: loads (entry -> loads done), post (-> posted), wait (->
      // posts seen), pass 2 (-> exit); and cycles per ns over the block's life.
      std::vector<double> spans[4], ghz;
      for (int b = 0; b < 1024; ++b) {
        if (tl[b][0] == 0 || cy[b][5] == 0) continue;  // not in the grid, or no loads-done mark (dynamic kernel)
        const long long* c = cy[b];
        spans[0].push_back(static_cast<double>(c[5] - c[0]));
        spans[1].push_back(static_cast<double>(c[1] - c[5]));
        spans[2].push_back(static_cast<double>(c[2] - c[1]));
        spans[3].push_back(static_cast<double>(c[4] - c[2]));
        if (tl[b][4] > tl[b][0]) ghz.push_back(static_cast<double>(c[4] - c[0]) / static_cast<double>(tl[b][4] - tl[b][0]));
      }
      auto median = [](std::vector<double> v) {
        if (v.empty()) return 0.0;
        std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
        return v[v.size() / 2];
      };
      auto slowest = [](const std::vector<double>& v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); };
      unsigned long long entry = ~0ull, entry_last = 0, p1_first = ~0ull, p1_last = 0, bar_first = ~0ull, bar_last = 0,
                         divisor = 0, exit = 0;
      int blocks = 0;
      for (const auto& b : tl) {
        if (b[0] == 0) continue;  // a block index the grid does not have
        ++blocks;
        entry = std::min(entry, b[0]);
        entry_last = std::max(entry_last, b[0]);
        p1_first = std::min(p1_first, b[1]);
        p1_last = std::max(p1_last, b[1]);
        bar_first = std::min(bar_first, b[2]);
        bar_last = std::max(bar_last, b[2]);
        divisor = std::max(divisor, b[3]);
        exit = std::max(exit, b[4]);
      }
      cudaEvent_t e0, e1;
      cudaEventCreate(&e0);
      cudaEventCreate(&e1);
      cudaEventRecord(e0);
      for (int i = 0; i < 64; ++i) (void)op();
      cudaEventRecord(e1);
      cudaEventSynchronize(e1);
      float ms = 0;
      cudaEventElapsedTime(&ms, e0, e1);
      if (blocks == 0) {  // colwise on the cluster kernel (quantize_colwise_cluster.cu): not stamped
        std::printf("%6ld x %5ld %-9s no stamps: another kernel ran (the cluster kernel) | %6.2f\n", static_cast<long>(rows),
                    static_cast<long>(cols), names[mode], ms * 1e3 / 64);
        continue;
      }
      auto us = [&](unsigned long long t) { return (static_cast<double>(t) - static_cast<double>(entry)) / 1e3; };
      char div[16] = "     -";
      if (divisor) std::snprintf(div, sizeof(div), "%6.2f", us(divisor));
      std::printf("%6ld x %5ld %-9s %3d blocks, entered ..%4.2f | pass 1 %6.2f..%6.2f | posts seen %6.2f..%6.2f | divisor %s | "
                  "exit %6.2f | %6.2f\n",
                  static_cast<long>(rows), static_cast<long>(cols), names[mode], blocks, us(entry_last), us(p1_first), us(p1_last),
                  us(bar_first), us(bar_last), div, us(exit), ms * 1e3 / 64);
      if (!spans[0].empty()) {
        std::printf("%26s cycles (median/slowest block) | loads %5.0f/%5.0f | reduce+post %5.0f/%5.0f | wait %5.0f/%5.0f | "
                    "pass 2 %5.0f/%5.0f | SM ~%4.0f MHz\n",
                    "", median(spans[0]), slowest(spans[0]), median(spans[1]), slowest(spans[1]), median(spans[2]),
                    slowest(spans[2]), median(spans[3]), slowest(spans[3]), median(ghz) * 1e3);
      }
      if (mode == 0) PrintStrips(tl, strip_of, polls, entry);
    }
    cudaFree(w);
    cudaFree(codes);
    cudaFree(state);
    cudaFree(scratch);
  }
  const cudaError_t e = cudaDeviceSynchronize();
  std::printf("status: %s\n", cudaGetErrorString(e));
  return e == cudaSuccess ? 0 : 1;
}
