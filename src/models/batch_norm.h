// Batch normalisation with a choice of whose batch the statistics describe:
//   local: this rank's rows only (no communication; the model then depends on how the global
//          batch is split, so N ranks x b no longer trains like 1 rank x N*b)
//   sync:  the whole global batch (statistics and their gradients are summed across ranks), so
//          the world-size invariance of training holds with batch norm too.
// In eval mode (sampling) sync behaves like local: a rank may sample without its peers.
// Statistics are always the current batch's (no running averages): a GAN's generator is sampled
// in training mode anyway, and replicas then hold no state outside their parameters.
#pragma once

#include <torch/torch.h>

#include "comm/communicator.h"
#include "common/option_values.h"

namespace gan::models {

using gan::BatchNormPolicy;  // --model.batchnorm

class BatchNormImpl : public torch::nn::Module {
 public:
  // communicator: used (and required) by Sync; must outlive the module.
  BatchNormImpl(int64_t channels, BatchNormPolicy policy, comm::Communicator* communicator);
  // x: (n, channels, ...); normalises each channel over every other dimension.
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::Tensor weight_, bias_;
  BatchNormPolicy policy_;
  comm::Communicator* communicator_;
};
TORCH_MODULE(BatchNorm);

constexpr double kBatchNormEpsilon = 1e-5;

}  // namespace gan::models
