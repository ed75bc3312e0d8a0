// The architectures gan_dist trains, one row each: the name --model.arch takes, what --help says
// of it, and what the rest of gan_dist asks of an architecture before any network exists (the data
// it fits, its output's range, whether it is written in PyTorch). The option's names and help,
// the config checks, the exporter's description and the trainer read this table.
//
// Adding a built-in architecture: a row here, a row of builders in models/gan_networks.cpp, its
// own files in models/ (the networks, and their TorchScript forward for gan_export), and its docs.
#pragma once

#include <array>
#include <cstddef>
#include <iterator>
#include <utility>

#include "common/option_values.h"

namespace gan {

enum class ModelArch { Mlp, Mlp2d, Dcgan, TorchScript };

// What G's output ranges over.
enum class OutputRange {
  Tanh,          // [-1, 1]: images
  Unbounded,     // any real: 2-D points
  ModuleDefined  // networks written in PyTorch: whatever the module returns
};

struct ArchitectureTraits {
  ModelArch arch;
  const char* name;
  const char* summary;  // for --help: what it is
  bool needs_images;    // square images (refused on 2-D points)
  OutputRange output;
  bool written_in_pytorch;  // G and D come from TorchScript files (models/scripted_networks.h)
};

inline constexpr ArchitectureTraits kArchitectures[] = {
    {ModelArch::Mlp, "mlp", "the reference G 100-256-256-784, D 784-256-256-1", false, OutputRange::Tanh, false},
    {ModelArch::Mlp2d, "mlp2d", "3 hidden layers, for 2-D points", false, OutputRange::Unbounded, false},
    {ModelArch::Dcgan, "dcgan", "convolutional, square images", true, OutputRange::Tanh, false},
    {ModelArch::TorchScript, "torchscript",
     "your own G and D, written in PyTorch and saved with torch.jit: --model.generator_file, "
     "--model.discriminator_file",
     false, OutputRange::ModuleDefined, true},
};

inline const ArchitectureTraits& traitsOf(ModelArch arch) {
  for (const auto& traits : kArchitectures) {
    if (traits.arch == arch) return traits;
  }
  GAN_FAIL("architecture ", static_cast<int>(arch), " has no row in kArchitectures");
}

namespace detail {
template <size_t... I>
constexpr std::array<OptionNameTable<ModelArch>, sizeof...(I)> architectureNames(std::index_sequence<I...>) {
  return {{OptionNameTable<ModelArch>{kArchitectures[I].arch, kArchitectures[I].name}...}};
}
}  // namespace detail

template <>
struct OptionNames<ModelArch> {
  static constexpr auto table = detail::architectureNames(std::make_index_sequence<std::size(kArchitectures)>{});
};

}  // namespace gan
