#include "datasets/dataset.h"

#include "common/error.h"

namespace gan::data {

torch::Tensor Dataset::labelsOf(const std::vector<int64_t>&) const {
  GAN_FAIL(description(), " has no labels");
}

int64_t Dataset::featureSize() const {
  int64_t n = 1;
  for (int64_t d : sampleShape()) n *= d;
  return n;
}

}  // namespace gan::data
