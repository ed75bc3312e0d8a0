// A checkpoint's networks as files that Python's torch reads with no gan_dist code (gan_export):
//   OUT/generator.torchscript.pt      torch.jit.load(path)(z): z [N, latent_dim] -> [N, C, H, W] in [-1, 1]
//                                     (a class-conditional G: (z, labels), labels int64 [N]; D likewise)
//   OUT/generator.state_dict.pt       torch.load(path): {name: tensor} for the module in docs/pytorch.md
//   OUT/discriminator.torchscript.pt  samples -> logits [N, 1]
//   OUT/discriminator.state_dict.pt
//   OUT/export.json                   architecture, latent_dim, sample shape and range, data set,
//                                     step, whether G is the EMA, the training configuration
// The generator is the EMA of G when the checkpoint holds one (the one gan_sample draws from),
// unless raw_generator asks for G as trained. Optimizer and PowerSGD state are not exported:
// checkpoints continue training.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace gan::interop {

struct ExportOptions {
  std::string checkpoint;
  std::string out_dir;
  bool raw_generator = false;
};

struct ExportSummary {
  std::vector<std::string> files;  // written, in order
  nlohmann::json metadata;         // export.json's contents
};

// Throws gan::Error naming the checkpoint or the file that could not be written.
ExportSummary exportForPyTorch(const ExportOptions& options);

}  // namespace gan::interop
