// Mixed precision, layer by layer: with --train.precision=bf16 a layer's matrix product or
// convolution runs on bf16 copies of its input, weight and bias and hands its output back in
// fp32. The parameters themselves stay fp32 (the master weights Adam updates and checkpoints
// hold); the casts are autograd operations, so the gradients that reach the buckets are fp32 and
// double backward (R1, WGAN-GP) differentiates through them like any other operation.
//
// Which layers: a measured rule (planLayer), not all of them. On this project's CPUs a bf16
// product pays only when it is large enough to hide oneDNN's per-call reordering; the logit layer
// and a generator output without tanh (points, whose bf16 spacing grows with their value) stay
// fp32 by design. LibTorch 1.13's CPU bf16 transposed convolution is broken, so on the CPU
// it runs as the input gradient of a plain convolution (layer_precision.cpp says why that is the
// same operation).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "common/cpu_features.h"
#include "common/option_values.h"

namespace gan::models {

enum class LayerKind { Linear, Conv2d, ConvTranspose2d };

// What a layer's output is, where that decides its precision whatever the speed.
enum class LayerRole {
  Inner,
  Logit,            // D's last layer: the loss reads it in full precision
  UnboundedSample,  // G's last layer with no tanh after it (2-D points): bf16 keeps 8 significant
                    // bits, so a coordinate near 2 would come out on a grid of 2^-6, coarse against
                    // the data's detail; a tanh-bounded output is rounded to at most 2^-9
};

// What the networks are asked for: the option and the device their layers run on.
struct PrecisionRequest {
  TrainPrecision precision = TrainPrecision::Fp32;
  torch::DeviceType device = torch::kCPU;
};

// One layer's arithmetic, as the start-up line and the tests see it.
struct LayerPrecision {
  std::string name;       // the module's name ("fc2", "down1")
  std::string shape;      // "784x256", "64->128 conv"
  LayerKind kind = LayerKind::Linear;
  int64_t in_features = 0, out_features = 0;  // channels for convolutions
  bool bf16 = false;
  std::string kept_fp32;  // why the layer stays fp32 under bf16 (empty when it runs in bf16)
};

// The smallest linear layer (weight elements, in x out) whose bf16 product pays on the CPU, from
// `gan_bench precision` (forward+backward, one thread, 2026-12-05): 100x256 0.86x (slower),
// 256x256 1.43x at 64 rows and 1.98x at 128, 256x784 2.10x, 784x256 2.61x. A rule on the shape
// alone, not on the rows, so every world size (another per-rank batch) runs the same layers.
inline constexpr int64_t kCpuBf16MinLinearWeights = 256 * 256;

// The rule.
LayerPrecision planLayer(const PrecisionRequest& request, std::string name, LayerKind kind, int64_t in_features,
                         int64_t out_features, LayerRole role = LayerRole::Inner);

// Whether training may run `request` on this CPU: throws gan::Error naming --train.precision where
// bf16 would only be emulated, slower than fp32 (a CPU without AVX512-BF16), unless `cpu` allows
// emulation. Training asks before anything is written; building the networks does not, so the
// layer plan, its tests and the tools that open a bf16 checkpoint (fp32 weights) work on every CPU.
void checkPrecisionSupported(const PrecisionRequest& request, const CpuSettings& cpu);

// "" where `request` runs as planned; otherwise a warning for the start-up line that bf16 runs
// LibTorch's portable kernels here (a CPU without AVX512-BF16), far slower than fp32.
std::string describeBf16Emulation(const PrecisionRequest& request, const CpuSettings& cpu);

// The layer's forward in the planned arithmetic; the result is fp32 either way.
torch::Tensor runLinear(torch::nn::Linear& layer, const torch::Tensor& x, const LayerPrecision& plan);
torch::Tensor runConv2d(torch::nn::Conv2d& layer, const torch::Tensor& x, const LayerPrecision& plan);
torch::Tensor runConvTranspose2d(torch::nn::ConvTranspose2d& layer, const torch::Tensor& x,
                                 const LayerPrecision& plan);

// "bf16: 4 of 6 layers (G fc3, D fc1 ...); fp32: G fc1 100x256 (too small to pay in bf16), ..."
std::string describePrecision(const std::vector<LayerPrecision>& generator,
                              const std::vector<LayerPrecision>& discriminator);

}  // namespace gan::models
