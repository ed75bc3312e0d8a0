#include "checkpoint/tensor_archive.h"

#include "checkpoint/format/durable_file.h"
#include "common/error.h"

namespace gan::checkpoint {

namespace fs = std::filesystem;

namespace {

// Module::save's layout (own parameters, own buffers, then one nested archive per child), with
// every tensor copied to the CPU first: an archive records each tensor's device, and a GPU run's
// checkpoint must load on a CPU-only build (gan_sample, gan_eval, a resume on CPU ranks).
// The copy keeps requires_grad, which the archive records, so a CPU run's files stay as before.
torch::Tensor cpuCopyOf(const torch::Tensor& tensor) {
  auto copy = tensor.detach().cpu();
  copy.set_requires_grad(tensor.requires_grad());
  return copy;
}

void writeModuleOnCpu(const torch::nn::Module& module, torch::serialize::OutputArchive& archive) {
  for (const auto& parameter : module.named_parameters(/*recurse=*/false)) {
    archive.write(parameter.key(), cpuCopyOf(parameter.value()));
  }
  for (const auto& buffer : module.named_buffers(/*recurse=*/false)) {
    archive.write(buffer.key(), cpuCopyOf(buffer.value()), /*is_buffer=*/true);
  }
  for (const auto& child : module.named_children()) {
    if (!child.value()->is_serializable()) continue;
    torch::serialize::OutputArchive child_archive(archive.compilation_unit());
    writeModuleOnCpu(*child.value(), child_archive);
    archive.write(child.key(), child_archive);
  }
}

}  // namespace

std::string firstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

void saveArchive(torch::serialize::OutputArchive& archive, const fs::path& path) {
  std::string bytes;
  archive.save_to([&bytes](const void* data, size_t size) {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  writeFileChecked(path, bytes);
}

void saveModule(const torch::nn::Module& module, const fs::path& path) {
  torch::serialize::OutputArchive archive;
  writeModuleOnCpu(module, archive);
  saveArchive(archive, path);
}

torch::Tensor readNested(torch::serialize::InputArchive& archive, const std::string& dotted,
                         const std::string& file) {
  const auto dot = dotted.find('.');
  torch::Tensor tensor;
  if (dot == std::string::npos) {
    bool found = false;
    try {
      found = archive.try_read(dotted, tensor);
    } catch (const std::exception& e) {
      GAN_FAIL(file, ": tensor '", dotted, "' is unreadable (", firstLine(e.what()), ")");
    }
    GAN_CHECK(found, file, ": tensor '", dotted, "' is missing");
    return tensor;
  }
  torch::serialize::InputArchive child;
  bool found = false;
  try {
    found = archive.try_read(dotted.substr(0, dot), child);
  } catch (const std::exception& e) {
    GAN_FAIL(file, ": module '", dotted.substr(0, dot), "' is unreadable (", firstLine(e.what()), ")");
  }
  GAN_CHECK(found, file, ": module '", dotted.substr(0, dot), "' is missing");
  return readNested(child, dotted.substr(dot + 1), file);
}

void loadInto(torch::Tensor& destination, const torch::Tensor& stored, const std::string& what) {
  GAN_CHECK(stored.scalar_type() == destination.scalar_type(), what, " has type ", stored.scalar_type(),
            " in the checkpoint but ", destination.scalar_type(), " in the model");
  GAN_CHECK(stored.sizes() == destination.sizes(), what, " has shape ", stored.sizes(),
            " in the checkpoint but ", destination.sizes(), " in the model");
  torch::NoGradGuard no_grad;
  destination.copy_(stored);
}

}  // namespace gan::checkpoint
