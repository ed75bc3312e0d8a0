#include "interop/torchscript_networks.h"

#include <map>
#include <cmath>
#include <set>
#include <sstream>

#include "common/error.h"
#include "models/batch_norm.h"
#include "models/scripted_networks.h"

namespace gan::interop {
namespace {

// A TorchScript module holding copies of a network's children, one submodule per child under the
// same name with copies of its parameters and buffers; the forward is defined afterwards.
class ScriptedCopy {
 public:
  ScriptedCopy(const std::string& type, torch::nn::Module& network) : module_("gan_dist." + type) {
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

std::string batchNorm(const std::string& child) {
  std::ostringstream line;
  line.precision(17);
  line << "    h = torch.batch_norm(h, self." << child << ".weight, self." << child << ".bias, None, None, True, 0.0, "
       << models::kBatchNormEpsilon << ", False)\n";
  return line.str();
}

std::string shapeList(const std::vector<int64_t>& sample_shape) {
  std::string list;
  for (int64_t d : sample_shape) list += ", " + std::to_string(d);
  return list;
}

// The batch norm bn<i> when the network has it (G's MLP from bn1, D's from bn2, none with a
// gradient penalty: the copied children say which).
std::string batchNormIfPresent(const ScriptedCopy& copy, int64_t i) {
  const std::string child = "bn" + std::to_string(i);
  return copy.has(child) ? batchNorm(child) : "";
}

// fc1 .. fc<layers - 1>, each followed by its batch norm, when present, and a ReLU: h becomes the
// input of the last layer fc<layers>.
void appendMlpHiddenLayers(std::ostringstream& source, const ScriptedCopy& copy, int64_t layers) {
  for (int64_t i = 1; i < layers; ++i) {
    const std::string fc = "fc" + std::to_string(i);
    source << "    h = torch.linear(h, self." << fc << ".weight, self." << fc << ".bias)\n";
    source << batchNormIfPresent(copy, i) << "    h = torch.relu(h)\n";
  }
}

std::string lastMlpLayer(int64_t layers) {
  const std::string fc = "fc" + std::to_string(layers);
  return "torch.linear(h, self." + fc + ".weight, self." + fc + ".bias)";
}

// How many classes a conditional network's embedding `child` has (0: unconditional), kept as the
// module's `classes` attribute so Python can ask the TorchScript file.
int64_t registerClasses(ScriptedCopy& copy, const std::string& child) {
  const int64_t classes = copy.has(child) ? copy.parameter(child, "weight").size(0) : 0;
  copy.setAttribute("classes", classes);
  return classes;
}

// The forward's first lines: `x`, G's input, is z, or for a conditional G z beside its class
// embedding normalised to unit second moment (models/class_conditioning.cpp, the same operations).
void appendGeneratorInput(std::ostringstream& source, bool conditional) {
  if (!conditional) {
    source << "def forward(self, z):\n    x = z\n";
    return;
  }
  source << "def forward(self, z, labels):\n"
         << "    e = torch.embedding(self.class_embedding.weight, labels)\n"
         << "    x = torch.cat([z, e * torch.rsqrt(e.square().mean([1], True) + 1e-8)], 1)\n";
}

// D's logit from its last features `f` and the head expression: for a conditional D plus the
// projection term, the class embedding's inner product with f scaled by 1/sqrt(features).
std::string discriminatorOutput(ScriptedCopy& copy, const std::string& head, bool conditional) {
  if (!conditional) return "    return " + head + "\n";
  std::ostringstream line;
  line.precision(17);
  const int64_t features = copy.parameter("class_projection", "weight").size(1);
  line << "    return " << head << " + (torch.embedding(self.class_projection.weight, labels) * f).sum([1], True) * "
       << 1.0 / std::sqrt(double(features)) << "\n";
  return line.str();
}

// A network written in PyTorch goes back as itself: the module as its file defines it, holding
// the trained tensors, with the `classes` and `latent_dim` attributes every exported module has.
// Read from the file again rather than deep-copied: the live module's tensors are views of one
// flat buffer, which deepcopy's alias memo would take for one tensor.
template <typename NamedList>
std::map<std::string, torch::Tensor> byName(const NamedList& list) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& item : list) tensors.emplace(item.name, item.value);
  return tensors;
}

torch::jit::Module trainedCopy(models::ScriptedModule& script, int64_t classes, int64_t latent_dim) {
  auto copy = torch::jit::load(script.file(), torch::kCPU);
  torch::NoGradGuard no_grad;
  auto fill = [&script](const auto& destination, std::map<std::string, torch::Tensor> trained, const char* what) {
    for (const auto& item : destination) {
      const auto live = trained.find(item.name);
      GAN_CHECK(live != trained.end(), script.file(), " changed since training: it has no ", what, " '", item.name, "'");
      item.value.copy_(live->second);
    }
  };
  fill(copy.named_parameters(/*recurse=*/true), byName(script.module().named_parameters(/*recurse=*/true)), "parameter");
  fill(copy.named_buffers(/*recurse=*/true), byName(script.module().named_buffers(/*recurse=*/true)), "buffer");
  copy.eval();
  auto add = [&copy](const char* name, int64_t value) {
    if (!copy.hasattr(name)) copy.register_attribute(name, c10::IntType::get(), value);
  };
  add("classes", classes);
  if (latent_dim > 0) add("latent_dim", latent_dim);
  return copy;
}

}  // namespace

torch::jit::Module scriptGenerator(models::Generator& generator, const ModelConfig& model,
                                   const std::vector<int64_t>& sample_shape) {
  if (auto* script = models::scriptedModuleOf(generator)) return trainedCopy(*script, generator.classes(), model.latent_dim);
  ScriptedCopy copy("Generator", generator);
  copy.setAttribute("latent_dim", model.latent_dim);  // G.latent_dim in Python: the size of z
  const bool conditional = registerClasses(copy, "class_embedding") > 0;
  std::ostringstream source;
  appendGeneratorInput(source, conditional);
  if (model.arch == ModelArch::Dcgan) {
    const int64_t stages = copy.count("up");
    GAN_CHECK(stages >= 1 && copy.has("project") && sample_shape.size() == 3, "TorchScript export: not a DCGAN generator");
    const int64_t base = sample_shape[2] >> stages;
    const int64_t top_channels = copy.parameter("project", "weight").size(0) / (base * base);
    source << "    h = torch.linear(x, self.project.weight, self.project.bias).view(z.size(0), " << top_channels << ", "
           << base << ", " << base << ")\n";
    source << batchNormIfPresent(copy, 0) << "    h = torch.relu(h)\n";
    for (int64_t s = 1; s <= stages; ++s) {
      const std::string up = "up" + std::to_string(s);
      source << "    h = torch.conv_transpose2d(h, self." << up << ".weight, self." << up << ".bias, [2, 2], [1, 1])\n";
      if (s == stages) break;
      source << batchNormIfPresent(copy, s) << "    h = torch.relu(h)\n";
    }
    source << "    return torch.tanh(h)\n";
    return copy.define(source.str());
  }
  const int64_t layers = copy.count("fc");
  GAN_CHECK(layers >= 2, "TorchScript export: not an MLP generator");
  source << "    h = x\n";
  appendMlpHiddenLayers(source, copy, layers);
  source << "    h = " << lastMlpLayer(layers) << "\n";
  // mlp ends in tanh (images in [-1, 1]); mlp2d's points are unbounded.
  if (model.arch == ModelArch::Mlp) source << "    h = torch.tanh(h)\n";
  source << "    return h.view(z.size(0)" << shapeList(sample_shape) << ")\n";
  return copy.define(source.str());
}

torch::jit::Module scriptDiscriminator(models::Discriminator& discriminator, const ModelConfig& model,
                                       const std::vector<int64_t>& sample_shape) {
  if (auto* script = models::scriptedModuleOf(discriminator)) return trainedCopy(*script, discriminator.classes(), 0);
  ScriptedCopy copy("Discriminator", discriminator);
  const bool conditional = registerClasses(copy, "class_projection") > 0;
  std::ostringstream source;
  source << (conditional ? "def forward(self, x, labels):\n" : "def forward(self, x):\n");
  if (model.arch == ModelArch::Dcgan) {
    const int64_t stages = copy.count("down");
    GAN_CHECK(stages >= 1 && copy.has("head") && sample_shape.size() == 3, "TorchScript export: not a DCGAN discriminator");
    source << "    h = x.reshape(x.size(0)" << shapeList(sample_shape) << ")\n";
    for (int64_t s = 1; s <= stages; ++s) {
      const std::string down = "down" + std::to_string(s);
      source << "    h = torch.conv2d(h, self." << down << ".weight, self." << down << ".bias, [2, 2], [1, 1])\n";
      source << batchNormIfPresent(copy, s) << "    h = torch.leaky_relu(h, 0.2)\n";
    }
    source << "    f = torch.flatten(h, 1)\n"
           << discriminatorOutput(copy, "torch.linear(f, self.head.weight, self.head.bias)", conditional);
    return copy.define(source.str());
  }
  const int64_t layers = copy.count("fc");
  GAN_CHECK(layers >= 2, "TorchScript export: not an MLP discriminator");
  source << "    h = x.reshape(x.size(0), -1)\n";
  appendMlpHiddenLayers(source, copy, layers);
  source << "    f = h\n" << discriminatorOutput(copy, lastMlpLayer(layers), conditional);
  return copy.define(source.str());
}

}  // namespace gan::interop
