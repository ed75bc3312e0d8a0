// What the built-in networks' TorchScript exports share (gan_export writes modules that Python
// runs with no gan_dist code): a module holding copies of a network's children under the same names
// (so its state_dict() has the exported state dict's keys), and the lines of TorchScript source that
// several architectures' forwards are made of. Each architecture writes its own forward beside its
// C++ one (mlp_torchscript.cpp, dcgan_torchscript.cpp), from the same operations in the same order.
#pragma once

#include <torch/script.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"

namespace gan::models {

// A TorchScript module holding copies of a network's children, one submodule per child under the
// same name with copies of its parameters and buffers; the forward is defined afterwards.
class TorchScriptCopy {
 public:
  TorchScriptCopy(const std::string& type, torch::nn::Module& network) : module_("gan_dist." + type) {
    for (const auto& child : network.named_children()) {
      torch::jit::Module copy("gan_dist." + type + "_" + child.key());
      for (const auto& parameter : child.value()->named_parameters(/*recurse=*/false)) {
        copy.register_parameter(parameter.key(), parameter.value().detach().clone(), /*is_buffer=*/false);
      }
      for (const auto& buffer : child.value()->named_buffers(/*recurse=*/false)) {
        copy.register_buffer(buffer.key(), buffer.value().detach().clone());
      }
      module_.register_module(child.key(), copy);
      children_.insert(child.key());
    }
  }
  bool has(const std::string& child) const { return children_.count(child) > 0; }
  // fc1, fc2, ... : how many children are called prefix + a number from 1 up.
  int64_t count(const std::string& prefix) const {
    int64_t n = 0;
    while (has(prefix + std::to_string(n + 1))) ++n;
    return n;
  }
  torch::Tensor parameter(const std::string& child, const std::string& name) {
    return module_.attr(child).toModule().attr(name).toTensor();
  }
  void setAttribute(const std::string& name, int64_t value) {
    module_.register_attribute(name, c10::IntType::get(), c10::IValue(value));
  }
  torch::jit::Module define(const std::string& source) {
    try {
      module_.define(source);
    } catch (const std::exception& e) {
      GAN_FAIL("TorchScript export: the generated forward does not compile (", e.what(), ")\n", source);
    }
    module_.eval();
    return module_;
  }

 private:
  torch::jit::Module module_;
  std::set<std::string> children_;
};

// torch.batch_norm over h with child's weight and bias, each batch's own statistics (as gan_dist samples).
std::string batchNorm(const std::string& child);
// ", 1, 28, 28": the sample shape as the tail of an argument list.
std::string shapeList(const std::vector<int64_t>& sample_shape);
// The batch norm bn<i> when the network has it (G's MLP from bn1, D's from bn2, none with a
// gradient penalty: the copied children say which).
std::string batchNormIfPresent(const TorchScriptCopy& copy, int64_t i);
// G's attributes (`latent_dim`, `classes`) on `copy`, and its forward's first lines in `source`:
// `x`, G's input, is z, or for a conditional G z beside its class embedding normalised to unit
// second moment (class_conditioning.cpp, the same operations). Returns whether G is conditional.
bool beginGeneratorForward(TorchScriptCopy& copy, std::ostringstream& source, int64_t latent_dim);
// D's `classes` attribute, and its forward's signature. Returns whether D is conditional.
bool beginDiscriminatorForward(TorchScriptCopy& copy, std::ostringstream& source);
// D's logit from its last features `f` and the head expression: for a conditional D plus the
// projection term, the class embedding's inner product with f scaled by 1/sqrt(features).
std::string discriminatorOutput(TorchScriptCopy& copy, const std::string& head, bool conditional);

}  // namespace gan::models
