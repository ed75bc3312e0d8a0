#include "parallel/gradient_reduction.h"

#include "common/error.h"

namespace gan::parallel {

std::shared_ptr<comm::Work> GradientReduction::reduceBucket(const torch::Tensor&, CommunicationStats&) {
  GAN_FAIL("this gradient reduction reduces the whole gradient, not single buckets");
}

void GradientReduction::reduceWhole(const torch::Tensor&, CommunicationStats&) {
  GAN_FAIL("this gradient reduction reduces buckets as backward completes them, not the whole gradient");
}

}  // namespace gan::parallel
