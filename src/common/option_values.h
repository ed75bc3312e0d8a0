// The enumerated options: each is a typed enum with one table of its names. Parsing (the command
// line, .ini files, state.json), --help, the printed configuration and every consumer use the
// table, so a value is spelled once and never compared as a string after parsing.
//
// Adding a value: add it to the enum and to its table; everything else follows.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <utility>

#include "common/error.h"

namespace gan {

enum class DataSetName { FashionMnist, Mnist, Cifar10, Packed, ImageFolder, Ring8, Grid25 };
enum class PackedColor { Gray, Rgb, Rgba };
// crop: the centred square of the shorter side (drops the ends of the longer side);
// pad: the whole image centred on a square of the longer side, the border transparent (so it
// takes the background colour unless alpha is kept). When the difference of the sides is odd,
// the extra pixel is cropped from, or padded at, the end (right or bottom).
enum class SquareFit { Crop, Pad };
enum class BatchNormPolicy { None, Local, Sync };
enum class GanLoss {
  Nonsaturating,  // G maximises E[log D(G(z))]   (what the seed's Keras code does)
  Minimax,        // G minimises E[log(1 - D(G(z)))] (the seed's formula as written)
  Hinge,          // D: E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]; G: -E[D(G(z))] (logits)
  WganGp,         // critic: E[D(G(z))] - E[D(x)] (+ the gradient penalty, see gradient_penalties.h); G: -E[D(G(z))]
};
enum class DeviceChoice { Auto, Cpu, Cuda };
// The arithmetic of the networks' matrix products and convolutions; master weights, optimizer
// state, losses and penalties stay fp32 either way (see models/layer_precision.h). Bf16 runs the
// layers where bf16 pays on the device; Bf16All every layer that can (for measuring what bf16
// does to quality on layers the rule keeps fp32, e.g. the 2-D MLP on a CPU).
enum class TrainPrecision { Fp32, Bf16, Bf16All };
enum class BackendChoice { Auto, Local, Mpi, Nccl };
// How gradients travel. None is exact and world-size invariant; the others trade that for bytes.
enum class GradientCompression { None, BFloat16, Float16, PowerSgd };
enum class ResumeChanges { Refuse, Allow };
// gan_data pack --labels: class names from the first sub-folder, none, or folders when every
// image lies in one of at least two sub-folders.
enum class FolderLabels { Auto, Folders, None };
// Which part of a data set: the one trained on, or the held-out one evaluation compares with.
enum class DataSplit { Train, Test };

// OptionNames<E>::table lists every value of E with its name, in the order --help shows them.
template <typename E>
struct OptionNames;

template <typename E>
using OptionNameTable = std::pair<E, const char*>;

template <>
struct OptionNames<DataSetName> {
  static constexpr OptionNameTable<DataSetName> table[] = {
      {DataSetName::FashionMnist, "fashion_mnist"}, {DataSetName::Mnist, "mnist"},
      {DataSetName::Cifar10, "cifar10"},            {DataSetName::Packed, "packed"},
      {DataSetName::ImageFolder, "image_folder"},   {DataSetName::Ring8, "ring8"},
      {DataSetName::Grid25, "grid25"}};
};
template <>
struct OptionNames<PackedColor> {
  static constexpr OptionNameTable<PackedColor> table[] = {
      {PackedColor::Gray, "gray"}, {PackedColor::Rgb, "rgb"}, {PackedColor::Rgba, "rgba"}};
};
template <>
struct OptionNames<SquareFit> {
  static constexpr OptionNameTable<SquareFit> table[] = {{SquareFit::Crop, "crop"}, {SquareFit::Pad, "pad"}};
};
template <>
struct OptionNames<BatchNormPolicy> {
  static constexpr OptionNameTable<BatchNormPolicy> table[] = {
      {BatchNormPolicy::None, "none"}, {BatchNormPolicy::Local, "local"}, {BatchNormPolicy::Sync, "sync"}};
};
template <>
struct OptionNames<GanLoss> {
  static constexpr OptionNameTable<GanLoss> table[] = {{GanLoss::Nonsaturating, "nonsaturating"},
                                                       {GanLoss::Minimax, "minimax"},
                                                       {GanLoss::Hinge, "hinge"},
                                                       {GanLoss::WganGp, "wgan-gp"}};
};
template <>
struct OptionNames<DeviceChoice> {
  static constexpr OptionNameTable<DeviceChoice> table[] = {
      {DeviceChoice::Auto, "auto"}, {DeviceChoice::Cpu, "cpu"}, {DeviceChoice::Cuda, "cuda"}};
};
template <>
struct OptionNames<TrainPrecision> {
  static constexpr OptionNameTable<TrainPrecision> table[] = {{TrainPrecision::Fp32, "fp32"},
                                                              {TrainPrecision::Bf16, "bf16"},
                                                              {TrainPrecision::Bf16All, "bf16-all"}};
};
template <>
struct OptionNames<BackendChoice> {
  static constexpr OptionNameTable<BackendChoice> table[] = {{BackendChoice::Auto, "auto"},
                                                             {BackendChoice::Local, "local"},
                                                             {BackendChoice::Mpi, "mpi"},
                                                             {BackendChoice::Nccl, "nccl"}};
};
template <>
struct OptionNames<GradientCompression> {
  static constexpr OptionNameTable<GradientCompression> table[] = {{GradientCompression::None, "none"},
                                                                   {GradientCompression::BFloat16, "bf16"},
                                                                   {GradientCompression::Float16, "fp16"},
                                                                   {GradientCompression::PowerSgd, "powersgd"}};
};
template <>
struct OptionNames<ResumeChanges> {
  static constexpr OptionNameTable<ResumeChanges> table[] = {{ResumeChanges::Refuse, "refuse"},
                                                             {ResumeChanges::Allow, "allow"}};
};
template <>
struct OptionNames<FolderLabels> {
  static constexpr OptionNameTable<FolderLabels> table[] = {
      {FolderLabels::Auto, "auto"}, {FolderLabels::Folders, "folders"}, {FolderLabels::None, "none"}};
};
template <>
struct OptionNames<DataSplit> {
  static constexpr OptionNameTable<DataSplit> table[] = {{DataSplit::Train, "train"}, {DataSplit::Test, "test"}};
};

// The name of `value` ("wgan-gp" for GanLoss::WganGp).
template <typename E>
const char* optionName(E value) {
  for (const auto& [entry, name] : OptionNames<E>::table) {
    if (entry == value) return name;
  }
  GAN_FAIL("value ", static_cast<int>(value), " of an enumerated option has no name");
}

// "none | bf16 | fp16 | powersgd": the choices as --help and the error messages list them.
template <typename E>
std::string optionChoices() {
  std::string list;
  for (const auto& entry : OptionNames<E>::table) list += (list.empty() ? "" : " | ") + std::string(entry.second);
  return list;
}

// The value named `text`; otherwise throws gan::Error "<option> must be one of a | b, got 'text'",
// with `option` as the user spelled it ("--comm.compress", or gan_data's "--color").
template <typename E>
E parseOptionValue(const std::string& text, const std::string& option) {
  for (const auto& [entry, name] : OptionNames<E>::table) {
    if (text == name) return entry;
  }
  GAN_FAIL(option, " must be one of ", optionChoices<E>(), ", got '", text, "'");
}

// Printing an enumerated option prints its name (the configuration table, log lines, state.json).
template <typename E, typename = decltype(OptionNames<E>::table)>
std::ostream& operator<<(std::ostream& out, E value) {
  return out << optionName(value);
}

}  // namespace gan
