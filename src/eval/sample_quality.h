// Quality measures of generated samples, computed the same way for every model.
//   - Fréchet distance between two sets of feature vectors (Gaussian fits):
//       ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2))
//   - Mode coverage of 2-D Gaussian mixtures (the VEEGAN / PacGAN protocol): a sample is high
//     quality when within 3 sigma of its nearest mode; a mode is covered when it is the nearest
//     mode of at least one high-quality sample.
#pragma once

#include <torch/torch.h>

namespace gan::eval {

// Mean and covariance (unbiased) of the rows of `features` (n, d), in float64.
struct GaussianFit {
  torch::Tensor mean;        // (d)
  torch::Tensor covariance;  // (d, d)
};
GaussianFit fitGaussian(const torch::Tensor& features);

double frechetDistance(const GaussianFit& real, const GaussianFit& generated);
double frechetDistance(const torch::Tensor& real_features, const torch::Tensor& generated_features);

struct ModeCoverage {
  int64_t modes_covered = 0;
  int64_t modes_total = 0;
  double high_quality_fraction = 0;  // of all samples
};
// samples (n, 2); modes (k, 2); sigma: the standard deviation of each mixture component.
ModeCoverage modeCoverage(const torch::Tensor& samples, const torch::Tensor& modes, double sigma);

// The counts behind modeCoverage, which add up across subsets of the samples (so ranks can
// count their own samples and sum): high-quality samples nearest to each mode (k), float64.
torch::Tensor highQualityCountsPerMode(const torch::Tensor& samples, const torch::Tensor& modes, double sigma);
ModeCoverage coverageFromCounts(const torch::Tensor& counts_per_mode, int64_t samples);

}  // namespace gan::eval
