// Knobs of the weight quantizers (kernels/cuda/quantize_weight.cu) for bench/quantize_bench,
// which times the alternatives side by side. The library picks by itself otherwise.
#pragma once

namespace switchback::cuda {

// How the weight quantizer's grid is launched. Its blocks wait for each other's posted
// maxima, so they must all be resident at once: the grid never exceeds what the occupancy calculator
// allows, and the cooperative launch also has the driver check it. "Dependent" adds
// programmatic dependent launch (sm_90): the next kernel in the stream may start its
// launch once this one has posted its maxima. The default: cooperative the first time a
// kernel runs a grid larger than before, plain and dependent after that.
enum class WeightQuantizerLaunch { kCooperative = 0, kPlain = 1, kPlainDependent = 2, kCooperativeDependent = 3 };

// strip_columns: 64, 128 or 256 columns per block region (0: chosen by shape); launch: a
// WeightQuantizerLaunch value (-1: the default). Process-wide; not for concurrent use.
void OverrideWeightQuantizerForBench(int strip_columns, int launch);
// unstaged: the transposing modes store every 4 rows' codes of a column as one 4-byte word
// instead of gathering a pass's codes in a shared-memory tile that leaves in 16-byte stores
// (TransposeTile). Process-wide; not for concurrent use.
void OverrideWeightQuantizerStagingForBench(bool unstaged);

// The column-wise quantizer's one-pass cluster kernel (kernels/cuda/quantize_colwise_cluster.cu):
// strip_columns 32 or 64 and cluster_blocks 1-16 force a plan (0: chosen by shape);
// strip_columns < 0 never uses it (the region kernel runs, as it does whenever
// OverrideWeightQuantizerForBench forces a strip). Process-wide; not for concurrent use.
void OverrideColwiseClusterForBench(int strip_columns, int cluster_blocks);
// How that kernel fills its shared-memory tile: 1 cp.async, 2 loads into registers (the
// maxima taken on the way), 0 the library's choice. Process-wide; not for concurrent use.
void OverrideColwiseClusterLoadsForBench(int loads);

}  // namespace switchback::cuda
