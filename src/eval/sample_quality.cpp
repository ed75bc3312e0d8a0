#include "eval/sample_quality.h"

#include "common/error.h"

namespace gan::eval {

GaussianFit fitGaussian(const torch::Tensor& features) {
  GAN_CHECK(features.dim() == 2 && features.size(0) >= 2, "a Gaussian fit needs (n >= 2, d) features, got ",
            features.sizes());
  auto x = features.to(torch::kCPU, torch::kFloat64);
  auto mean = x.mean(0);
  auto centred = x - mean;
  auto covariance = centred.t().mm(centred) / double(x.size(0) - 1);
  return {mean, covariance};
}

double frechetDistance(const GaussianFit& real, const GaussianFit& generated) {
  GAN_CHECK(real.mean.sizes() == generated.mean.sizes(), "Fréchet distance of features of different sizes");
  const double mean_term = (real.mean - generated.mean).pow(2).sum().item<double>();
  // Tr((S_r S_g)^(1/2)) = sum of sqrt(eigenvalues of S_r^(1/2) S_g S_r^(1/2)), a symmetric PSD
  // matrix, so symmetric eigensolvers suffice (no general matrix square root).
  auto [values_r, vectors_r] = torch::linalg_eigh(real.covariance);
  auto sqrt_r = vectors_r.mm(torch::diag(values_r.clamp_min(0).sqrt())).mm(vectors_r.t());
  auto middle = sqrt_r.mm(generated.covariance).mm(sqrt_r);
  middle = (middle + middle.t()) / 2;  // symmetric up to rounding
  const double trace_sqrt = torch::linalg_eigvalsh(middle, "L").clamp_min(0).sqrt().sum().item<double>();
  const double traces = real.covariance.trace().item<double>() + generated.covariance.trace().item<double>();
  return mean_term + traces - 2 * trace_sqrt;
}

double frechetDistance(const torch::Tensor& real_features, const torch::Tensor& generated_features) {
  return frechetDistance(fitGaussian(real_features), fitGaussian(generated_features));
}

torch::Tensor highQualityCountsPerMode(const torch::Tensor& samples, const torch::Tensor& modes, double sigma) {
  GAN_CHECK(samples.dim() == 2 && samples.size(1) == 2 && modes.dim() == 2 && modes.size(1) == 2,
            "mode coverage needs (n, 2) samples and (k, 2) modes");
  GAN_CHECK(sigma > 0, "mode coverage needs sigma > 0");
  auto x = samples.to(torch::kCPU, torch::kFloat64);
  auto m = modes.to(torch::kCPU, torch::kFloat64);
  auto counts = torch::zeros({m.size(0)}, torch::kFloat64);
  if (x.size(0) == 0) return counts;
  auto [nearest_distance, nearest_mode] = torch::cdist(x, m).min(1);
  auto high_quality = nearest_distance.le(3 * sigma);
  counts.index_add_(0, nearest_mode, high_quality.to(torch::kFloat64));
  return counts;
}

ModeCoverage coverageFromCounts(const torch::Tensor& counts_per_mode, int64_t samples) {
  ModeCoverage coverage;
  coverage.modes_total = counts_per_mode.numel();
  coverage.modes_covered = counts_per_mode.gt(0).sum().item<int64_t>();
  coverage.high_quality_fraction = samples > 0 ? counts_per_mode.sum().item<double>() / double(samples) : 0.0;
  return coverage;
}

ModeCoverage modeCoverage(const torch::Tensor& samples, const torch::Tensor& modes, double sigma) {
  return coverageFromCounts(highQualityCountsPerMode(samples, modes, sigma), samples.size(0));
}

}  // namespace gan::eval
