#include "checkpoint/tensor_archive.h"

#include "checkpoint/format/durable_file.h"
#include "common/error.h"

namespace gan::checkpoint {

namespace fs = std::filesystem;

namespace {

void writeModule(const ModuleTensors& module, torch::serialize::OutputArchive& archive) {
  for (const auto& [name, tensor] : module.parameters) archive.write(name, tensor);
  for (const auto& [name, tensor] : module.buffers) archive.write(name, tensor, /*is_buffer=*/true);
  for (const auto& [name, child] : module.children) {
    torch::serialize::OutputArchive child_archive(archive.compilation_unit());
    writeModule(child, child_archive);
    archive.write(name, child_archive);
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

torch::Tensor hostCopyOf(const torch::Tensor& tensor) {
  auto copy = tensor.detach().to(torch::kCPU, /*non_blocking=*/false, /*copy=*/true);
  copy.set_requires_grad(tensor.requires_grad());
  return copy;
}

ModuleTensors hostCopyOf(const torch::nn::Module& module) {
  ModuleTensors copy;
  for (const auto& parameter : module.named_parameters(/*recurse=*/false)) {
    copy.parameters.emplace_back(parameter.key(), hostCopyOf(parameter.value()));
  }
  for (const auto& buffer : module.named_buffers(/*recurse=*/false)) {
    copy.buffers.emplace_back(buffer.key(), hostCopyOf(buffer.value()));
  }
  for (const auto& child : module.named_children()) {
    if (child.value()->is_serializable()) copy.children.emplace_back(child.key(), hostCopyOf(*child.value()));
  }
  return copy;
}

void saveModule(const ModuleTensors& module, const fs::path& path) {
  torch::serialize::OutputArchive archive;
  writeModule(module, archive);
  saveArchive(archive, path);
}

void saveModule(const torch::nn::Module& module, const fs::path& path) { saveModule(hostCopyOf(module), path); }

void saveTensors(const NamedTensors& tensors, const fs::path& path) {
  torch::serialize::OutputArchive archive;
  for (const auto& [name, tensor] : tensors) archive.write(name, tensor);
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
            " in the file but ", destination.scalar_type(), " in the model");
  GAN_CHECK(stored.sizes() == destination.sizes(), what, " has shape ", stored.sizes(),
            " in the file but ", destination.sizes(), " in the model");
  torch::NoGradGuard no_grad;
  destination.copy_(stored);
}

}  // namespace gan::checkpoint
