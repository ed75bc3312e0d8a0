#include "models/scripted_networks.h"

#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/python/update_graph_executor_opt.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "common/error.h"
#include "models/class_conditioning.h"

namespace gan::models {
namespace {

// The line of an error worth one line: TorchScript's interpreter puts the error itself last,
// after its tracebacks; LibTorch's own errors put it first, a backtrace after.
std::string essentialLineOf(const std::string& text) {
  if (text.rfind("The following operation failed in the TorchScript interpreter", 0) == 0) {
    auto end = text.find_last_not_of("\n ");
    auto start = text.rfind('\n', end);
    return text.substr(start == std::string::npos ? 0 : start + 1, end == std::string::npos ? 0 : end - start);
  }
  return text.substr(0, text.find('\n'));
}

std::string sizesText(at::IntArrayRef sizes) {
  std::ostringstream out;
  out << sizes;
  return out.str();
}

// The probe's batch: two rows, because batch norm in training mode cannot normalise one.
constexpr int64_t kProbeRows = 2;

std::vector<int64_t> batchShape(int64_t rows, const std::vector<int64_t>& sample_shape) {
  std::vector<int64_t> shape = {rows};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  return shape;
}

// Mirrors `name` ("main.0.weight") of the script into `owner`: a holder module per dotted
// component, so owner.named_parameters() yields the same name for the same tensor.
class HolderTree {
 public:
  explicit HolderTree(torch::nn::Module& owner) : owner_(owner) {}

  // The module that holds `name`'s last component, and that component.
  std::pair<torch::nn::Module*, std::string> holderOf(const std::string& name) {
    torch::nn::Module* parent = &owner_;
    std::string path;
    size_t start = 0;
    for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', start)) {
      const std::string component = name.substr(start, dot - start);
      path += (path.empty() ? "" : ".") + component;
      auto& holder = holders_[path];
      if (!holder) holder = parent->register_module(component, std::make_shared<torch::nn::Module>(component));
      parent = holder.get();
      start = dot + 1;
    }
    return {parent, name.substr(start)};
  }

 private:
  torch::nn::Module& owner_;
  std::map<std::string, std::shared_ptr<torch::nn::Module>> holders_;
};

// Random draws a module makes in its forward come from torch's default generator; the probe
// must not move it (a fresh run's first step would then differ from a resumed one's).
class DefaultGeneratorKept {
 public:
  DefaultGeneratorKept() : generator_(at::detail::getDefaultCPUGenerator()), state_(generator_.get_state()) {}
  ~DefaultGeneratorKept() { generator_.set_state(state_); }

 private:
  at::Generator generator_;  // a handle on the default generator
  at::Tensor state_;
};

// Runs `network`'s forward once on `inputs` without gradients, in eval mode.
template <typename Network>
torch::Tensor probe(Network& network, const torch::Tensor& input, const torch::Tensor& labels) {
  DefaultGeneratorKept kept;
  torch::NoGradGuard no_grad;
  const bool was_training = network.is_training();
  network.train(false);
  auto out = network.script().run(labels.defined() ? std::vector<torch::IValue>{input, labels}
                                                   : std::vector<torch::IValue>{input});
  network.train(was_training);
  return out;
}

torch::Tensor probeLabels(int64_t classes) {
  return classes > 0 ? torch::arange(kProbeRows, torch::kInt64) % classes : torch::Tensor();
}

// The checks both networks make of the module against the options and the data.
void checkArityAndClasses(ScriptedModule& script, const ScriptedContract& contract, const char* input) {
  const bool conditional = contract.classes > 0;
  GAN_CHECK(script.arity() == (conditional ? 2u : 1u), script.option(), ": ", script.file(), "'s forward takes ",
            script.arity(), " input(s); expected ", conditional ? "2 (" : "1 (", input,
            conditional ? ", labels) because --model.conditional=true" : ") because --model.conditional=false");
  const int64_t classes = script.intAttribute("classes");
  GAN_CHECK(classes < 0 || classes == contract.classes, script.option(), ": ", script.file(), " has classes = ",
            classes, "; expected ", contract.classes,
            conditional ? " (the data's classes)" : " (an unconditional run: 0, or no attribute)");
}

}  // namespace

ScriptedModule::ScriptedModule(torch::nn::Module& owner, const std::string& option, const std::string& file)
    : option_(option), file_(file) {
  std::error_code error;
  GAN_CHECK(std::filesystem::is_regular_file(file, error), option, ": ", file, " is not a file");
  try {
    module_ = torch::jit::load(file, torch::kCPU);
  } catch (const std::exception& e) {
    GAN_FAIL(option, ": ", file, " is not a TorchScript archive (", essentialLineOf(e.what()),
             "); save the module with torch.jit.script(module).save(path)");
  }
  const auto method = module_.find_method("forward");
  GAN_CHECK(method.has_value(), option, ": ", file, " has no forward method");
  arity_ = method->function().getSchema().arguments().size() - 1;  // less self
  // Eager semantics: each operation runs and records its own autograd node, as the built-in
  // networks' do, rather than the graph executor's differentiated subgraphs (another order of
  // floating-point operations in backward, and double backward through them is less tried).
  torch::jit::setGraphExecutorOptimize(false);
  // Without the optimiser each submodule call would be a call of its own (an interpreter frame per
  // nn.Linear); inlined, forward is one flat list of operations (the same operations).
  torch::jit::Inline(*method->graph());

  HolderTree holders(owner);
  size_t parameters = 0;
  for (const auto& parameter : module_.named_parameters(/*recurse=*/true)) {
    GAN_CHECK(parameter.value.scalar_type() == torch::kFloat32, option, ": ", file, ": parameter '", parameter.name,
              "' is ", parameter.value.scalar_type(), "; expected float32 parameters (trained in fp32)");
    auto [holder, leaf] = holders.holderOf(parameter.name);
    holder->register_parameter(leaf, parameter.value, /*requires_grad=*/true);
    ++parameters;
  }
  GAN_CHECK(parameters > 0, option, ": ", file, " has no parameters; expected a network with weights to train");
  for (const auto& buffer : module_.named_buffers(/*recurse=*/true)) {
    const auto type = buffer.value.scalar_type();
    GAN_CHECK(type == torch::kFloat32 || type == torch::kFloat64 || type == torch::kInt64, option, ": ", file,
              ": buffer '", buffer.name, "' is ", type, "; expected float32, float64 or int64 buffers (they are "
              "broadcast between ranks and checkpointed)");
    auto [holder, leaf] = holders.holderOf(buffer.name);
    holder->register_buffer(leaf, buffer.value);
  }
  for (const auto& submodule : module_.modules()) {
    const auto type_name = submodule.type()->name();
    if (type_name && type_name->qualifiedName().find("BatchNorm") != std::string::npos) batch_statistics_ = true;
  }
  if (module_.hasattr("uses_batch_statistics") && module_.attr("uses_batch_statistics").isBool()) {
    batch_statistics_ = module_.attr("uses_batch_statistics").toBool();
  }
}

int64_t ScriptedModule::intAttribute(const std::string& name) const {
  if (!module_.hasattr(name)) return -1;
  const auto value = module_.attr(name);
  GAN_CHECK(value.isInt(), option_, ": ", file_, ": attribute '", name, "' is ", value.tagKind(), "; expected int");
  return value.toInt();
}

torch::Tensor ScriptedModule::run(std::vector<torch::IValue> inputs) {
  torch::IValue out;
  try {
    out = module_.forward(std::move(inputs));
  } catch (const std::exception& e) {
    GAN_FAIL(option_, ": ", file_, ": forward failed: ", essentialLineOf(e.what()));
  }
  GAN_CHECK(out.isTensor(), option_, ": ", file_, ": forward returned ", out.tagKind(), "; expected one tensor");
  auto tensor = out.toTensor();
  GAN_CHECK(tensor.scalar_type() == torch::kFloat32, option_, ": ", file_, ": forward returned ",
            tensor.scalar_type(), "; expected float32");
  return tensor;
}

ScriptedGenerator::ScriptedGenerator(const std::string& file, const ScriptedContract& contract)
    : contract_(contract), script_(*this, "--model.generator_file", file) {
  checkArityAndClasses(script_, contract_, "z");
  const int64_t latent = script_.intAttribute("latent_dim");
  GAN_CHECK(latent < 0 || latent == contract_.latent_dim, script_.option(), ": ", file, " has latent_dim = ", latent,
            "; expected --model.latent_dim=", contract_.latent_dim, " (set the option to the module's)");
  auto generator = at::detail::createCPUGenerator(0);
  const auto z = torch::randn({kProbeRows, contract_.latent_dim}, generator);
  const auto out = probe(*this, z, probeLabels(contract_.classes));
  const auto image = batchShape(kProbeRows, contract_.sample_shape);
  const std::vector<int64_t> flat = {kProbeRows, featureCount(contract_.sample_shape)};
  GAN_CHECK(out.sizes() == at::IntArrayRef(image) || out.sizes() == at::IntArrayRef(flat), script_.option(), ": ",
            file, ": G(z) for z ", sizesText({kProbeRows, contract_.latent_dim}), " gave ", sizesText(out.sizes()),
            "; expected ", sizesText(image), " (the data's samples) or ", sizesText(flat));
  script_.module().train(is_training());
}

torch::Tensor ScriptedGenerator::forward(const torch::Tensor& z, const torch::Tensor& labels) {
  if (contract_.classes > 0 || labels.defined()) checkClassLabels(labels, contract_.classes, z.size(0), "generator");
  auto out = script_.run(labels.defined() ? std::vector<torch::IValue>{z, labels} : std::vector<torch::IValue>{z});
  const int64_t features = featureCount(contract_.sample_shape);
  GAN_CHECK(out.dim() >= 1 && out.size(0) == z.size(0) && out.numel() == z.size(0) * features, script_.option(),
            ": ", script_.file(), ": G gave ", sizesText(out.sizes()), " for ", z.size(0), " rows of z");
  return out.reshape({z.size(0), features});
}

void ScriptedGenerator::train(bool on) {
  Generator::train(on);
  script_.module().train(on);
}

ScriptedDiscriminator::ScriptedDiscriminator(const std::string& file, const ScriptedContract& contract)
    : contract_(contract), script_(*this, "--model.discriminator_file", file) {
  checkArityAndClasses(script_, contract_, "x");
  const auto x = torch::zeros(batchShape(kProbeRows, contract_.sample_shape));
  const auto out = probe(*this, x, probeLabels(contract_.classes));
  GAN_CHECK(out.sizes() == at::IntArrayRef({kProbeRows, 1}), script_.option(), ": ", file, ": D(x) for x ",
            sizesText(x.sizes()), " gave ", sizesText(out.sizes()), "; expected logits ",
            sizesText({kProbeRows, 1}));
  script_.module().train(is_training());
}

torch::Tensor ScriptedDiscriminator::forward(const torch::Tensor& x, const torch::Tensor& labels) {
  if (contract_.classes > 0 || labels.defined()) checkClassLabels(labels, contract_.classes, x.size(0), "discriminator");
  const auto samples = x.reshape(batchShape(x.size(0), contract_.sample_shape));
  auto out = script_.run(labels.defined() ? std::vector<torch::IValue>{samples, labels}
                                          : std::vector<torch::IValue>{samples});
  GAN_CHECK(out.dim() == 2 && out.size(0) == x.size(0) && out.size(1) == 1, script_.option(), ": ", script_.file(),
            ": D gave ", sizesText(out.sizes()), " for ", x.size(0), " samples; expected [", x.size(0), ", 1]");
  return out;
}

void ScriptedDiscriminator::train(bool on) {
  Discriminator::train(on);
  script_.module().train(on);
}

namespace {
ScriptedContract contractOf(const ModelConfig& config, const NetworkInputs& inputs) {
  return {inputs.sample_shape, config.latent_dim, networkClasses(config, inputs)};
}
}  // namespace

std::shared_ptr<Generator> buildScriptedGenerator(const ModelConfig& config, const NetworkInputs& inputs) {
  return std::make_shared<ScriptedGenerator>(config.generator_file, contractOf(config, inputs));
}

std::shared_ptr<Discriminator> buildScriptedDiscriminator(const ModelConfig& config, const NetworkInputs& inputs) {
  auto discriminator = std::make_shared<ScriptedDiscriminator>(config.discriminator_file, contractOf(config, inputs));
  GAN_CHECK(!(inputs.gradient_penalty && discriminator->usesBatchStatistics()), "--model.discriminator_file: ",
            config.discriminator_file, " has batch norm, which couples the rows a gradient penalty (R1, WGAN-GP) "
            "takes one at a time; remove it from D or the penalty");
  return discriminator;
}

namespace {

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

torch::jit::Module trainedCopy(ScriptedModule& script, int64_t classes, int64_t latent_dim) {
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

torch::jit::Module ScriptedGenerator::toTorchScript(const TorchScriptShape& shape) {
  return trainedCopy(script_, classes(), shape.latent_dim);
}

torch::jit::Module ScriptedDiscriminator::toTorchScript(const TorchScriptShape&) {
  return trainedCopy(script_, classes(), 0);
}

ScriptedModule* scriptedModuleOf(Network& network) {
  if (auto* generator = dynamic_cast<ScriptedGenerator*>(&network)) return &generator->script();
  if (auto* discriminator = dynamic_cast<ScriptedDiscriminator*>(&network)) return &discriminator->script();
  return nullptr;
}

}  // namespace gan::models
