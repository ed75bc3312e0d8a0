#include "eval/kernel_distance.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace gan::eval {

torch::Tensor polynomialKernel(const torch::Tensor& a, const torch::Tensor& b) {
  // In float32 (twice the speed; a 128-term dot product is good to ~1e-6 relative); every sum
  // over the kernel matrix is taken in float64.
  const double d = double(a.size(1));
  return torch::addmm(torch::ones({1}, torch::kFloat32), a.to(torch::kFloat32), b.to(torch::kFloat32).t(), 1, 1.0 / d)
      .pow(3);
}

double kernelMeanOverDistinctPairs(const torch::Tensor& x) {
  GAN_CHECK(x.dim() == 2 && x.size(0) >= 2, "a kernel mean needs (m >= 2, d) rows, got ", x.sizes());
  const double m = double(x.size(0));
  const auto xx = polynomialKernel(x, x);
  // Distinct pairs only: the diagonal (each row with itself) would bias the estimate.
  return (xx.sum(torch::kFloat64) - xx.diagonal().sum(torch::kFloat64)).item<double>() / (m * (m - 1));
}

double unbiasedMmd2(const torch::Tensor& x, const torch::Tensor& y) {
  GAN_CHECK(x.dim() == 2 && x.sizes() == y.sizes() && x.size(0) >= 2, "MMD^2 needs two (m >= 2, d) sets, got ",
            x.sizes(), " and ", y.sizes());
  return kernelMeanOverDistinctPairs(x) + kernelMeanOverDistinctPairs(y) - 2 * polynomialKernel(x, y).mean(torch::kFloat64).item<double>();
}

torch::Tensor subsetRows(uint64_t seed, int64_t subset, int64_t n, int64_t size) {
  GAN_CHECK(size >= 2 && size <= n, "a kernel-distance subset of ", size, " rows out of ", n);
  auto generator = at::detail::createCPUGenerator(seed * 1000003ULL + static_cast<uint64_t>(subset));
  return torch::randperm(n, generator, torch::TensorOptions().dtype(torch::kLong)).narrow(0, 0, size);
}

namespace {
int64_t subsetSize(const KernelDistanceSubsets& subsets, int64_t real_rows, int64_t generated_rows) {
  return std::min({subsets.size, real_rows, generated_rows});
}
// Real and generated rows of one subset are drawn independently (different streams).
torch::Tensor realRowsOf(const torch::Tensor& real, const KernelDistanceSubsets& subsets, int64_t s, int64_t size) {
  return real.index_select(0, subsetRows(subsets.seed, 2 * s, real.size(0), size));
}
}  // namespace

torch::Tensor realKernelMeans(const torch::Tensor& real, int64_t generated_rows, const KernelDistanceSubsets& subsets,
                              int part, int parts) {
  torch::NoGradGuard no_grad;
  const int64_t size = subsetSize(subsets, real.size(0), generated_rows);
  auto means = torch::zeros({subsets.count}, torch::kFloat64);
  for (int64_t s = part; s < subsets.count; s += parts) {
    means[s] = kernelMeanOverDistinctPairs(realRowsOf(real, subsets, s, size));
  }
  return means;
}

torch::Tensor kernelDistancePerSubset(const torch::Tensor& real, const torch::Tensor& generated,
                                      const KernelDistanceSubsets& subsets, int part, int parts,
                                      const torch::Tensor& real_means) {
  torch::NoGradGuard no_grad;
  const int64_t size = subsetSize(subsets, real.size(0), generated.size(0));
  auto values = torch::zeros({subsets.count}, torch::kFloat64);
  for (int64_t s = part; s < subsets.count; s += parts) {
    const auto x = realRowsOf(real, subsets, s, size);
    const auto y = generated.index_select(0, subsetRows(subsets.seed, 2 * s + 1, generated.size(0), size));
    const double within_real = real_means.defined() ? real_means[s].item<double>() : kernelMeanOverDistinctPairs(x);
    values[s] = within_real + kernelMeanOverDistinctPairs(y) - 2 * polynomialKernel(x, y).mean(torch::kFloat64).item<double>();
  }
  return values;
}

MeanAndSpread meanAndSpread(const torch::Tensor& values) {
  const auto v = values.to(torch::kFloat64);
  return {v.mean().item<double>(), v.numel() > 1 ? v.std().item<double>() : 0.0};
}

}  // namespace gan::eval
