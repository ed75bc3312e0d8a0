#include "datasets/gaussian_mixture.h"

#include <cmath>

#include "common/counter_stream.h"
#include "common/error.h"

namespace gan::datasets {
namespace {
// The data set is fixed (not a function of --train.seed), like a data set read from disk.
constexpr uint64_t kMixtureSeed = 0x6d69787475726573ULL;
}  // namespace

GaussianMixtureDataset GaussianMixtureDataset::named(DataSetName name, int64_t size) {
  std::vector<double> points;
  if (name == DataSetName::Ring8) {
    for (int k = 0; k < 8; ++k) {
      const double angle = 2.0 * M_PI * k / 8.0;
      points.push_back(2.0 * std::cos(angle));
      points.push_back(2.0 * std::sin(angle));
    }
    return GaussianMixtureDataset(optionName(name), torch::tensor(points, torch::kFloat64).view({8, 2}), 0.02, size);
  }
  if (name == DataSetName::Grid25) {
    for (int i = -2; i <= 2; ++i) {
      for (int j = -2; j <= 2; ++j) {
        points.push_back(2.0 * i);
        points.push_back(2.0 * j);
      }
    }
    return GaussianMixtureDataset(optionName(name), torch::tensor(points, torch::kFloat64).view({25, 2}), 0.05, size);
  }
  GAN_FAIL("--data.name: '", name, "' is not a 2-D mixture (ring8 | grid25)");
}

GaussianMixtureDataset::GaussianMixtureDataset(std::string name, torch::Tensor modes, double sigma, int64_t size)
    : name_(std::move(name)), modes_(modes.to(torch::kFloat64).contiguous()), sigma_(sigma), size_(size) {
  GAN_CHECK(modes_.dim() == 2 && modes_.size(1) == 2 && modes_.size(0) > 0, "mixture modes must be (k, 2)");
  GAN_CHECK(sigma > 0 && size > 0, "mixture needs sigma > 0 and size > 0");
}

torch::Tensor GaussianMixtureDataset::batch(const std::vector<int64_t>& indices, const torch::Device& device) const {
  const int64_t n = static_cast<int64_t>(indices.size());
  const int64_t k = modes_.size(0);
  const double* modes = modes_.data_ptr<double>();
  auto points = torch::empty({n, 2}, torch::kFloat32);
  float* out = points.data_ptr<float>();
  for (int64_t r = 0; r < n; ++r) {
    GAN_CHECK(indices[size_t(r)] >= 0 && indices[size_t(r)] < size_, "mixture sample index out of range");
    CounterStream stream{streamKey(kMixtureSeed, 0, indices[size_t(r)])};
    const int64_t mode = static_cast<int64_t>(stream.uniform() * double(k)) % k;
    const auto [dx, dy] = stream.normalPair();
    out[2 * r] = static_cast<float>(modes[2 * mode] + sigma_ * dx);
    out[2 * r + 1] = static_cast<float>(modes[2 * mode + 1] + sigma_ * dy);
  }
  return points.to(device);
}

std::string GaussianMixtureDataset::description() const {
  return name_ + " (" + std::to_string(modes_.size(0)) + " Gaussian modes, sigma " + std::to_string(sigma_) +
         ", generated on the fly; " + std::to_string(size_) + " samples per epoch)";
}

}  // namespace gan::datasets
