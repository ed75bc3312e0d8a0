// Kernel distance (KID, Bińkowski et al. 2018): the unbiased estimate of the squared maximum mean
// discrepancy between two feature sets with the cubic polynomial kernel k(x, y) = (x.y / d + 1)^3,
// averaged over random subsets of equal size. Unlike the Fréchet distance it has no bias at small
// sample counts, so values from different sample counts can be compared; the spread over the
// subsets says how far to trust it.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace gan::eval {

// The kernel matrix between the rows of `a` (n, d) and `b` (m, d), float32 (sum it in float64).
torch::Tensor polynomialKernel(const torch::Tensor& a, const torch::Tensor& b);
// The mean of k(x, x') over the distinct pairs of rows of `x`.
double kernelMeanOverDistinctPairs(const torch::Tensor& x);

// Unbiased MMD^2 between the rows of `x` and `y` (each (m, d), m >= 2): the means of k(x, x') and
// k(y, y') over distinct pairs, minus twice the mean of k(x, y) over all pairs.
double unbiasedMmd2(const torch::Tensor& x, const torch::Tensor& y);

struct KernelDistanceSubsets {
  int64_t count = 100;  // subsets (the common choice)
  int64_t size = 1000;  // rows per subset, at most the smaller set
  uint64_t seed = 0;    // which rows each subset takes
};

// Rows of subset `subset` of a set of `n` rows: `size` distinct row indices, a function of
// (seed, subset, n) alone, so every rank and every world size picks the same ones.
torch::Tensor subsetRows(uint64_t seed, int64_t subset, int64_t n, int64_t size);

// MMD^2 of each subset s with s % parts == part (the others stay 0), as a (count) float64 tensor:
// ranks compute their part and add the tensors up (adding zeros is exact, so the sum is the
// same on any world size). Real rows come from `real`, generated rows from `generated`.
// `real_means`, when given, holds each subset's real term from realKernelMeans: the real set
// does not change between evaluations, so a third of the work is done once.
torch::Tensor kernelDistancePerSubset(const torch::Tensor& real, const torch::Tensor& generated,
                                      const KernelDistanceSubsets& subsets, int part, int parts,
                                      const torch::Tensor& real_means = {});
// Each subset's real term (the same parts convention), for sets of `generated_rows` generated rows.
torch::Tensor realKernelMeans(const torch::Tensor& real, int64_t generated_rows, const KernelDistanceSubsets& subsets,
                              int part, int parts);

struct MeanAndSpread {
  double mean = 0;
  double std = 0;  // sample standard deviation over the subsets
};
MeanAndSpread meanAndSpread(const torch::Tensor& values);

}  // namespace gan::eval
