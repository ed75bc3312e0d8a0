// TorchScript versions of gan_dist's networks: modules that Python's torch.jit.load runs with no
// gan_dist code. Each keeps the submodule and parameter names of the network it copies (fc1.weight,
// up2.bias, bn1.weight, ...), so its state_dict() has the same keys as the exported state dict,
// and its forward is written in TorchScript from the same operations, in the same order:
//   generator      z [N, latent_dim] -> samples [N, C, H, W] in [-1, 1] (or [N, features])
//   discriminator  samples [N, C, H, W] (or [N, features]) -> logits [N, 1] (sigmoid: D's probability)
// A class-conditional network takes the class labels (int64 [N]) as a second argument, and each
// module has a `classes` attribute (0 when unconditional).
// Batch norm normalises with each batch's own statistics, as gan_dist does when it samples
// (there are no running averages), so a batch of one is undefined: sample in batches.
#pragma once

#include <torch/script.h>

#include <string>
#include <vector>

#include "common/config.h"
#include "models/gan_networks.h"

namespace gan::interop {

torch::jit::Module scriptGenerator(models::Generator& generator, const ModelConfig& model,
                                   const std::vector<int64_t>& sample_shape);
torch::jit::Module scriptDiscriminator(models::Discriminator& discriminator, const ModelConfig& model,
                                       const std::vector<int64_t>& sample_shape);

}  // namespace gan::interop
