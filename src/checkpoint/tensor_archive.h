// LibTorch archives as checkpoint files: modules in torch::save(module)'s layout (readable by
// LibTorch users), named tensors read back from that nested layout with every failure named by
// file and tensor, and every archive written through a durable file rather than LibTorch's writer.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <string>

namespace gan::checkpoint {

// The first line of a message: LibTorch's errors carry a backtrace after it.
std::string firstLine(const std::string& text);

// Serialises `archive` in memory and writes it with writeFileChecked: LibTorch's own file writer
// ends the process (an exception from a destructor) when the disk fills, where we must fail cleanly.
void saveArchive(torch::serialize::OutputArchive& archive, const std::filesystem::path& path);
// `module` in Module::save's layout, every tensor copied to the CPU first (see the .cpp).
void saveModule(const torch::nn::Module& module, const std::filesystem::path& path);

// Reads "fc1.weight" from the nested archive layout module.save() produces; throws gan::Error
// naming `file` and the tensor or module that is missing or unreadable.
torch::Tensor readNested(torch::serialize::InputArchive& archive, const std::string& dotted, const std::string& file);
// Copies `stored` into the live `destination` after checking type and shape (naming `what`).
void loadInto(torch::Tensor& destination, const torch::Tensor& stored, const std::string& what);

}  // namespace gan::checkpoint
