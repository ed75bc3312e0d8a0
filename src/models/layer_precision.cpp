#include "models/layer_precision.h"

#include <map>
#include <sstream>

#include "common/error.h"

namespace gan::models {
namespace {

std::string shapeText(LayerKind kind, int64_t in, int64_t out) {
  switch (kind) {
    case LayerKind::Linear: return std::to_string(in) + "x" + std::to_string(out);
    case LayerKind::Conv2d: return std::to_string(in) + "->" + std::to_string(out) + " conv";
    case LayerKind::ConvTranspose2d: return std::to_string(in) + "->" + std::to_string(out) + " transposed conv";
  }
  return "";
}

// Why a layer stays fp32 under bf16 on `device`, or "" when bf16 pays.
std::string reasonToKeepFp32(const PrecisionRequest& request, LayerKind kind, int64_t in, int64_t out, LayerRole role) {
  if (role == LayerRole::Logit) return "the logit";
  if (role == LayerRole::UnboundedSample) return "G's unbounded output: bf16 would round the points";
  if (request.device != torch::kCPU) return "";
  switch (kind) {
    case LayerKind::Linear:
      if (request.precision == TrainPrecision::Bf16All) return "";
      return in * out < kCpuBf16MinLinearWeights ? "too small to gain in bf16 on this CPU" : "";
    // Every convolution of the shipped DCGANs gains (gan_bench precision, 2026-12-05: G whole
    // 3.0x at 28x28 and 64x64, D 1.3-1.5x); the image layer alone is at break-even at 28x28
    // (32->1 channels) and gains at 64x64 (32->3), so it is not singled out.
    case LayerKind::Conv2d:
    case LayerKind::ConvTranspose2d: return "";
  }
  return "";
}

// LibTorch 1.13's CPU bf16 conv_transpose2d fails: it checks the weight's channels as for a plain
// convolution ("weight of size [128, 64, 4, 4], expected input[4, 128, 7, 7] to have 64
// channels"; Python's torch 1.13.1 fails the same way). A transposed convolution is the input
// gradient of the plain convolution with the same weight, which oneDNN runs in bf16, so it is
// computed as that; autograd differentiates through it (G's backward needs no more: the
// penalties' double backward is D's). Only the input's shape matters to that gradient: a
// zero-strided tensor of the output's shape stands in for it.
torch::Tensor cpuTransposedConvolutionBf16(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                           const torch::nn::detail::ConvNdOptions<2>& o) {
  GAN_CHECK(o.groups() == 1, "bf16 transposed convolution with groups is not supported");
  const auto padding = c10::get<torch::ExpandingArray<2>>(o.padding());
  std::vector<int64_t> shape = {x.size(0), weight.size(1), 0, 0};
  for (int d = 0; d < 2; ++d) {
    shape[2 + d] = (x.size(2 + d) - 1) * (*o.stride())[d] - 2 * (*padding)[d] +
                   (*o.dilation())[d] * (weight.size(2 + d) - 1) + (*o.output_padding())[d] + 1;
  }
  const auto shape_only = torch::zeros({1}, x.options()).expand(shape);
  auto y = std::get<0>(at::convolution_backward(x, shape_only, weight, c10::nullopt, o.stride(), padding, o.dilation(),
                                                 false, {0, 0}, 1, {true, false, false}));
  return bias.defined() ? y + bias.view({1, -1, 1, 1}) : y;
}

torch::Tensor toBf16(const torch::Tensor& t) { return t.defined() ? t.to(torch::kBFloat16) : t; }

}  // namespace

LayerPrecision planLayer(const PrecisionRequest& request, std::string name, LayerKind kind, int64_t in_features,
                         int64_t out_features, LayerRole role) {
  LayerPrecision plan;
  plan.name = std::move(name);
  plan.shape = shapeText(kind, in_features, out_features);
  plan.kind = kind;
  plan.in_features = in_features;
  plan.out_features = out_features;
  if (request.precision == TrainPrecision::Fp32) return plan;
  plan.kept_fp32 = reasonToKeepFp32(request, kind, in_features, out_features, role);
  plan.bf16 = plan.kept_fp32.empty();
  return plan;
}

namespace {
bool runsEmulatedBf16(const PrecisionRequest& request, const CpuSettings& cpu) {
  return request.precision != TrainPrecision::Fp32 && request.device == torch::kCPU && !cpu.features.avx512_bf16;
}
}  // namespace

void checkPrecisionSupported(const PrecisionRequest& request, const CpuSettings& cpu) {
  GAN_CHECK(!runsEmulatedBf16(request, cpu) || cpu.emulate_bf16, "--train.precision=", optionName(request.precision),
            ": this CPU (", describeCpu(cpu.features), ") has no AVX512-BF16 instructions, so bf16 products would be "
            "emulated and slower than fp32; use --train.precision=fp32");
}

std::string describeBf16Emulation(const PrecisionRequest& request, const CpuSettings& cpu) {
  if (!runsEmulatedBf16(request, cpu)) return "";
  return std::string("--train.precision=") + optionName(request.precision) +
         " on a CPU without AVX512-BF16: bf16 runs LibTorch's portable kernels, far slower than fp32" +
         (cpu.emulate_bf16 ? " (GAN_DIST_EMULATE_BF16=1, a test switch)" : "");
}

torch::Tensor runLinear(torch::nn::Linear& layer, const torch::Tensor& x, const LayerPrecision& plan) {
  if (!plan.bf16) return layer->forward(x);
  return torch::linear(toBf16(x), toBf16(layer->weight), toBf16(layer->bias)).to(x.scalar_type());
}

torch::Tensor runConv2d(torch::nn::Conv2d& layer, const torch::Tensor& x, const LayerPrecision& plan) {
  if (!plan.bf16) return layer->forward(x);
  const auto& o = layer->options;
  const auto padding = c10::get<torch::ExpandingArray<2>>(o.padding());
  return torch::conv2d(toBf16(x), toBf16(layer->weight), toBf16(layer->bias), o.stride(), padding, o.dilation(),
                       o.groups())
      .to(x.scalar_type());
}

torch::Tensor runConvTranspose2d(torch::nn::ConvTranspose2d& layer, const torch::Tensor& x,
                                 const LayerPrecision& plan) {
  if (!plan.bf16) return layer->forward(x);
  const auto& o = layer->options;
  if (x.is_cpu()) {
    return cpuTransposedConvolutionBf16(toBf16(x), toBf16(layer->weight), toBf16(layer->bias), o).to(x.scalar_type());
  }
  const auto padding = c10::get<torch::ExpandingArray<2>>(o.padding());
  return torch::conv_transpose2d(toBf16(x), toBf16(layer->weight), toBf16(layer->bias), o.stride(), padding,
                                 o.output_padding(), o.groups(), o.dilation())
      .to(x.scalar_type());
}

std::string describePrecision(const std::vector<LayerPrecision>& generator,
                              const std::vector<LayerPrecision>& discriminator) {
  std::vector<std::string> in_bf16;
  std::map<std::string, std::vector<std::string>> kept;  // reason -> "G fc1 100x256"
  size_t total = 0;
  bool any_request = false;
  for (const auto* network : {&generator, &discriminator}) {
    const char* prefix = network == &generator ? "G " : "D ";
    for (const auto& layer : *network) {
      ++total;
      any_request = any_request || layer.bf16 || !layer.kept_fp32.empty();
      if (layer.bf16) {
        in_bf16.push_back(prefix + layer.name);
      } else if (!layer.kept_fp32.empty()) {
        kept[layer.kept_fp32].push_back(prefix + layer.name + " " + layer.shape);
      }
    }
  }
  if (!any_request) return "fp32";
  std::ostringstream out;
  out << "bf16: " << in_bf16.size() << " of " << total << " layers";
  if (!in_bf16.empty()) {
    out << " (";
    for (size_t i = 0; i < in_bf16.size(); ++i) out << (i ? ", " : "") << in_bf16[i];
    out << ")";
  }
  for (const auto& [reason, layers] : kept) {
    out << "; fp32: ";
    for (size_t i = 0; i < layers.size(); ++i) out << (i ? ", " : "") << layers[i];
    out << " (" << reason << ")";
  }
  return out.str();
}

}  // namespace gan::models
