// LibTorch archives as checkpoint files: modules in torch::save(module)'s layout (readable by
// LibTorch users), named tensors read back from that nested layout with every failure named by
// file and tensor, and every archive written through a durable file rather than LibTorch's writer.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace gan::checkpoint {

// The first line of a message: LibTorch's errors carry a backtrace after it.
std::string firstLine(const std::string& text);

// Serialises `archive` in memory and writes it with writeFileChecked: LibTorch's own file writer
// ends the process (an exception from a destructor) when the disk fills, where we must fail cleanly.
void saveArchive(torch::serialize::OutputArchive& archive, const std::filesystem::path& path);
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// A copy in host memory of `tensor`, never sharing its storage (a CPU tensor is cloned), with
// its requires_grad flag, which archives record.
torch::Tensor hostCopyOf(const torch::Tensor& tensor);

// A module's tensors copied to host memory, in Module::save's layout: own parameters, own
// buffers, then one nested archive per child. An archive records each tensor's device, and a
// GPU run's checkpoint must load on a CPU-only build, so every tensor is on the CPU.
struct ModuleTensors {
  NamedTensors parameters;
  NamedTensors buffers;
  std::vector<std::pair<std::string, ModuleTensors>> children;
};
ModuleTensors hostCopyOf(const torch::nn::Module& module);

// A module archive as torch::save(module) writes it (readable by LibTorch users).
void saveModule(const ModuleTensors& module, const std::filesystem::path& path);
void saveModule(const torch::nn::Module& module, const std::filesystem::path& path);
// Named tensors as one archive.
void saveTensors(const NamedTensors& tensors, const std::filesystem::path& path);

// Reads "fc1.weight" from the nested archive layout module.save() produces; throws gan::Error
// naming `file` and the tensor or module that is missing or unreadable.
torch::Tensor readNested(torch::serialize::InputArchive& archive, const std::string& dotted, const std::string& file);
// Copies `stored` into the live `destination` after checking type and shape (naming `what`).
void loadInto(torch::Tensor& destination, const torch::Tensor& stored, const std::string& what);

}  // namespace gan::checkpoint
