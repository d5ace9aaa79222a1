// The weight quantizers' one-word exchange of a maximum (kernels/max_word.h) on the CPU:
// every poster's two atomic operations (atom.max, then the add-back) applied to one word in
// every order the posters can interleave them, checking what a reader may see after each
// operation: a count of all posters only once every operation is in, and then the largest
// maximum.
#include "kernels/max_word.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace switchback {
namespace {

struct Poster {
  uint32_t max_bits;
  uint64_t owed = 0;  // the add-back, known once its atom.max has run
  int done = 0;       // operations applied: 0, 1 (atom.max), 2 (add-back)
};

// Applies poster p's next operation to `word`, as the GPU's atomics would.
void Step(uint64_t& word, Poster& p) {
  if (p.done == 0) {
    const uint64_t mine = PostedMax(p.max_bits);
    const uint64_t old = word;
    word = std::max(word, mine);  // atom.max.u64
    p.owed = AddBack(mine, old);
  } else {
    word += p.owed;  // red.add.u64
  }
  ++p.done;
}

// What a reader polling the word may conclude after each operation of `order` (poster
// indices, each twice), checked against the posters' state.
void CheckSchedule(std::vector<Poster> posters, const std::vector<int>& order) {
  const uint32_t want_max = std::max_element(posters.begin(), posters.end(), [](const Poster& a, const Poster& b) {
                              return a.max_bits < b.max_bits;
                            })->max_bits;
  const uint32_t n = static_cast<uint32_t>(posters.size());
  uint64_t word = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    Step(word, posters[order[i]]);
    const bool all_in = i + 1 == order.size();
    ASSERT_LE(CountedIn(word), n) << "after operation " << i;
    ASSERT_EQ(CountedIn(word) == n, all_in) << "a reader would stop after operation " << i << " of " << order.size();
    if (all_in) {
      ASSERT_EQ(MaxBits(word), want_max);
    }
  }
}

// Every interleaving of the posters' operations (each poster's two in program order).
void CheckEveryInterleaving(const std::vector<uint32_t>& maxima) {
  std::vector<int> order;
  for (int p = 0; p < static_cast<int>(maxima.size()); ++p) order.insert(order.end(), {p, p});
  std::sort(order.begin(), order.end());
  std::vector<Poster> posters;
  for (uint32_t m : maxima) posters.push_back({m});
  int64_t schedules = 0;
  do {  // permutations of the multiset: each poster's first occurrence is its atom.max
    CheckSchedule(posters, order);
    if (testing::Test::HasFatalFailure()) return;
    ++schedules;
  } while (std::next_permutation(order.begin(), order.end()));
  int64_t want = 1;  // (2n)! / 2^n
  for (size_t i = 2; i <= 2 * maxima.size(); ++i) want *= static_cast<int64_t>(i);
  want >>= maxima.size();
  EXPECT_EQ(schedules, want);
}

TEST(MaxWord, EveryInterleavingOfFivePosters) {
  // Rising, falling, tied and zero maxima (float bits of 0, 1.5, 2, 2 and 65504).
  CheckEveryInterleaving({0x00000000u, 0x3FC00000u, 0x40000000u, 0x40000000u, 0x477FE000u});
  CheckEveryInterleaving({0x477FE000u, 0x40000000u, 0x3FC00000u, 0x3F800000u, 0x00000000u});
  CheckEveryInterleaving({0u, 0u, 0u, 0u, 0u});
}

TEST(MaxWord, RandomSchedulesOfManyPosters) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    const int n = 1 + static_cast<int>(rng() % 1024);  // up to the kernel's largest grid
    std::vector<Poster> posters(n);
    for (Poster& p : posters) p.max_bits = rng() % 4 == 0 ? 0u : (rng() % 0x7C00u) << 13;  // fp16 values as floats
    std::vector<int> order;
    for (int p = 0; p < n; ++p) order.insert(order.end(), {p, p});
    std::shuffle(order.begin(), order.end(), rng);
    CheckSchedule(posters, order);
    if (HasFatalFailure()) return;
  }
}

TEST(MaxWord, AddBackRestoresTheCountARaiseTookAway) {
  const uint64_t word = (uint64_t{0x3F800000u} << 32) | 41;  // max 1.0, 41 counted in
  EXPECT_EQ(AddBack(PostedMax(0x40000000u), word), 42u);   // raises to 2.0: owes 41 + its own
  EXPECT_EQ(AddBack(PostedMax(0x3F800000u), word), 1u);    // ties: the max left the word as it was
  EXPECT_EQ(AddBack(PostedMax(0x3F000000u), word), 1u);    // lower
}

}  // namespace
}  // namespace switchback
