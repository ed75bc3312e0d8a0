// G and D written in PyTorch (--model.arch=torchscript): a module saved in Python with
// torch.jit.script(...).save(FILE) (or torch.jit.trace), trained by the same engine as the built-in
// networks. The contract:
//   generator      G(z) or G(z, labels) -> samples [N, C, H, W] (or [N, features]), float32
//   discriminator  D(x) or D(x, labels) -> logits [N, 1] (the sigmoid lives in the loss)
// z is [N, --model.latent_dim] standard normal; labels are int64 [N] when --model.conditional. A
// module may say its latent size and classes in int attributes `latent_dim` and `classes`; they
// are then checked against the options and the data.
//
// How it joins the engine: the scripted module's parameters and buffers are the very tensors
// this torch::nn::Module registers, under the same dotted names (a holder module per submodule).
// So FlatParameters' set_data moves the script's weights into the flat buffers, checkpoints,
// broadcasts and the replica check see them like any other network's, and the state dict names
// are Python's.
#pragma once

#include <torch/script.h>

#include <string>
#include <vector>

#include "models/gan_networks.h"

namespace gan::models {

// What the scripted networks are checked against at load.
struct ScriptedContract {
  std::vector<int64_t> sample_shape;  // the data's {C, H, W} or {features}
  int64_t latent_dim = 0;
  int64_t classes = 0;  // conditional when > 0
};

// The part G and D share: the loaded module, mirrored into `owner`'s parameters and buffers.
class ScriptedModule {
 public:
  // Loads `file` (the option `option` names it) and mirrors it into `owner`. Throws gan::Error in
  // one line naming the option, the file and what was expected.
  ScriptedModule(torch::nn::Module& owner, const std::string& option, const std::string& file);

  torch::jit::Module& module() { return module_; }
  const std::string& file() const { return file_; }
  const std::string& option() const { return option_; }
  // Inputs forward() takes besides self: 1, or 2 for (input, labels).
  size_t arity() const { return arity_; }
  // An int attribute of the module, or -1 when it has none.
  int64_t intAttribute(const std::string& name) const;
  // Whether a row's output depends on the batch: a batch norm submodule (or an attribute
  // `uses_batch_statistics` that says so).
  bool usesBatchStatistics() const { return batch_statistics_; }
  // Runs forward with `inputs`; the result must be one float32 tensor.
  torch::Tensor run(std::vector<torch::IValue> inputs);

 private:
  std::string option_, file_;
  torch::jit::Module module_;
  size_t arity_ = 0;
  bool batch_statistics_ = false;
};

class ScriptedGenerator final : public Generator {
 public:
  ScriptedGenerator(const std::string& file, const ScriptedContract& contract);
  using Generator::forward;
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels) override;
  int64_t classes() const override { return contract_.classes; }
  torch::jit::Module toTorchScript(const TorchScriptShape& shape) override;
  void train(bool on = true) override;
  ScriptedModule& script() { return script_; }

 private:
  ScriptedContract contract_;
  ScriptedModule script_;
};

class ScriptedDiscriminator final : public Discriminator {
 public:
  ScriptedDiscriminator(const std::string& file, const ScriptedContract& contract);
  using Discriminator::forward;
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels) override;
  int64_t classes() const override { return contract_.classes; }
  torch::jit::Module toTorchScript(const TorchScriptShape& shape) override;
  bool usesBatchStatistics() const override { return script_.usesBatchStatistics(); }
  void train(bool on = true) override;
  ScriptedModule& script() { return script_; }

 private:
  ScriptedContract contract_;
  ScriptedModule script_;
};

// --model.arch=torchscript: the files of --model.generator_file and --model.discriminator_file.
std::shared_ptr<Generator> buildScriptedGenerator(const ModelConfig& config, const NetworkInputs& inputs);
std::shared_ptr<Discriminator> buildScriptedDiscriminator(const ModelConfig& config, const NetworkInputs& inputs);

// The scripted module behind a network built from files, or null for a built-in network.
ScriptedModule* scriptedModuleOf(Network& network);

}  // namespace gan::models
