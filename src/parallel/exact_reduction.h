// ExactReduction: every bucket is averaged by one allreduce as soon as backward completes it, in
// a wire format: float32 (exact and world-size invariant, the default) or 16 bits (bf16, fp16:
// the backend converts and sums in float32; rounded, so not bitwise invariant).
#pragma once

#include "comm/wire_format.h"
#include "parallel/gradient_reduction.h"

namespace gan::parallel {

class ExactReduction final : public GradientReduction {
 public:
  ExactReduction(comm::Communicator& communicator, comm::WireFormat wire);

  bool reducesBuckets() const override { return true; }
  std::shared_ptr<comm::Work> reduceBucket(const torch::Tensor& slice, CommunicationStats& stats) override;
  std::string describe() const override;

 private:
  comm::Communicator& communicator_;
  comm::WireFormat wire_;
};

}  // namespace gan::parallel
