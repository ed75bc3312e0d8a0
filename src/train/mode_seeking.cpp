#include "train/mode_seeking.h"

#include "comm/tensor_buffer.h"
#include "common/error.h"

namespace gan::train {

ModeSeekingTerm modeSeekingTerm(const torch::Tensor& fake, const torch::Tensor& z, double weight,
                                comm::Communicator& communicator) {
  const int64_t rows = fake.size(0);
  GAN_CHECK(rows % 2 == 0 && z.size(0) == rows, "the mode-seeking term pairs rows (2i, 2i+1): it needs an even number "
            "of generated rows with one noise vector each, got ", rows, " rows and ", z.size(0), " noise vectors");
  const int64_t pairs = rows / 2;
  const auto images = fake.reshape({pairs, 2, -1});
  const auto noise = z.reshape({pairs, 2, -1}).to(fake.scalar_type());
  const auto image_distance = (images.select(1, 0) - images.select(1, 1)).abs().mean(1);
  const auto noise_distance = (noise.select(1, 0) - noise.select(1, 1)).abs().mean(1);
  const auto ratios = image_distance / noise_distance;

  // m over the global batch: the pairs' sum and count, summed across ranks.
  auto totals = torch::stack({ratios.sum().detach(), torch::full({}, double(pairs), ratios.options())});
  comm::sumAcrossRanks(totals, communicator);
  const auto mean_ratio = totals[0] / totals[1];
  constexpr double kEpsilon = 1e-5;  // the paper's
  const auto value = weight / (mean_ratio + kEpsilon);
  // d(weight / (m + eps)) = -weight / (m + eps)^2 dm, and dm is the mean of the pairs' dratio:
  // each rank carries its pairs' mean with that slope; the buckets average the ranks.
  const auto slope = -value / (mean_ratio + kEpsilon);
  const auto local = slope * ratios.mean();
  return {value + (local - local.detach()), mean_ratio};
}

}  // namespace gan::train
