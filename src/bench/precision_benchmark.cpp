#include "bench/precision_benchmark.h"

#include <chrono>
#include <cstdio>
#include <functional>

#include "common/elapsed.h"
#include "datasets/open_dataset.h"
#include "models/gan_networks.h"

namespace gan::bench {
namespace {

// Seconds per call of `pass`, after a tenth as many untimed calls (oneDNN builds its kernels on
// the first call of each shape).
double secondsPerPass(const std::function<void()>& pass, const torch::Device& device, int64_t iterations) {
  for (int64_t i = 0; i < iterations / 10 + 1; ++i) pass();
  if (device.is_cuda()) torch::cuda::synchronize();
  const auto began = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < iterations; ++i) pass();
  if (device.is_cuda()) torch::cuda::synchronize();
  return secondsSince(began) / double(iterations);
}

// One linear layer of `in` x `out` on `rows` rows, forward and backward, in the given arithmetic.
double linearPassSeconds(int64_t rows, int64_t in, int64_t out, bool bf16, const torch::Device& device,
                         int64_t iterations) {
  torch::nn::Linear layer(in, out);
  layer->to(device);
  const auto x = torch::randn({rows, in}, device).requires_grad_(true);
  models::LayerPrecision plan;
  plan.bf16 = bf16;
  return secondsPerPass([&] { models::runLinear(layer, x, plan).sum().backward(); }, device, iterations);
}

struct NetworkTimes {
  double generator = 0, discriminator = 0;
};

// The config's networks in `precision` on `device`, seeded as training seeds them.
models::GanNetworks benchmarkNetworks(const Config& config, const std::vector<int64_t>& sample_shape,
                                      TrainPrecision precision, const torch::Device& device) {
  models::NetworkInputs inputs;
  inputs.sample_shape = sample_shape;
  inputs.precision = {precision, device.type()};
  auto model = config.model;
  model.batchnorm = BatchNormPolicy::None;  // no communicator here; batch norm is fp32 either way
  torch::manual_seed(config.train.seed);
  auto networks = models::buildGanNetworks(model, inputs);
  networks.generator->to(device);
  networks.discriminator->to(device);
  return networks;
}

// G on a batch of noise, D on real and generated rows together (the fused D pass), each
// forward and backward to its weights and inputs.
NetworkTimes networkPassSeconds(const Config& config, const std::vector<int64_t>& sample_shape, TrainPrecision precision,
                                const torch::Device& device, int64_t iterations) {
  const auto networks = benchmarkNetworks(config, sample_shape, precision, device);
  const int64_t batch = config.train.batch_size;
  const auto z = torch::randn({batch, config.model.latent_dim}, device);
  const auto rows = torch::randn({2 * batch, networks.generator->forward(z).size(1)}, device).requires_grad_(true);
  NetworkTimes times;
  times.generator = secondsPerPass([&] { networks.generator->forward(z).sum().backward(); }, device, iterations);
  times.discriminator =
      secondsPerPass([&] { networks.discriminator->forward(rows).sum().backward(); }, device, iterations);
  return times;
}

}  // namespace

void runPrecisionBenchmark(const Config& config, const CpuSettings& cpu, const torch::Device& device,
                           const PrecisionBenchmarkOptions& options) {
  const auto dataset = datasets::openDataset(config.data);
  const auto sample_shape = dataset->sampleShape();
  const int64_t batch = config.train.batch_size;
  const auto planned = benchmarkNetworks(config, sample_shape, TrainPrecision::Bf16, device);

  std::printf("gan_bench precision: %s, %s, batch %lld per rank, forward+backward, %lld passes each\n",
              optionName(config.model.arch), device.is_cuda() ? "cuda" : "cpu", static_cast<long long>(batch),
              static_cast<long long>(options.iterations));
  if (!device.is_cuda() && !cpu.features.avx512_bf16) {
    // The rule's thresholds were measured on a CPU with AVX512-BF16; without it every bf16 figure
    // below is LibTorch's portable kernels, and the column of speed-ups says what bf16 costs here.
    std::printf("bf16 is emulated here (the CPU, named above, has no AVX512-BF16), so it gains nothing\n");
  }
  std::printf("%-14s %-14s %6s %10s %10s %8s  %s\n", "layer", "shape", "rows", "fp32 us", "bf16 us", "speed-up",
              "--train.precision=bf16");
  for (const auto* network : {&planned.generator->layerPrecisions(), &planned.discriminator->layerPrecisions()}) {
    const bool is_g = network == &planned.generator->layerPrecisions();
    for (const auto& layer : *network) {
      if (layer.kind != models::LayerKind::Linear) continue;
      const int64_t rows = is_g ? batch : 2 * batch;  // D sees real and generated rows in one pass
      const double fp32 = linearPassSeconds(rows, layer.in_features, layer.out_features, false, device, options.iterations);
      const double bf16 = linearPassSeconds(rows, layer.in_features, layer.out_features, true, device, options.iterations);
      std::printf("%-14s %-14s %6lld %10.1f %10.1f %7.2fx  %s\n", ((is_g ? "G " : "D ") + layer.name).c_str(),
                  layer.shape.c_str(), static_cast<long long>(rows), 1e6 * fp32, 1e6 * bf16, fp32 / bf16,
                  layer.bf16 ? "bf16" : ("fp32 (" + layer.kept_fp32 + ")").c_str());
    }
  }
  const auto fp32 = networkPassSeconds(config, sample_shape, TrainPrecision::Fp32, device, options.iterations);
  const auto bf16 = networkPassSeconds(config, sample_shape, TrainPrecision::Bf16, device, options.iterations);
  const auto all = networkPassSeconds(config, sample_shape, TrainPrecision::Bf16All, device, options.iterations);
  std::printf("%-14s %10s %10s %10s %10s %10s\n", "network", "fp32 ms", "bf16 ms", "speed-up", "bf16-all ms",
              "speed-up");
  std::printf("%-14s %10.3f %10.3f %9.2fx %10.3f %9.2fx\n", "G", 1e3 * fp32.generator, 1e3 * bf16.generator,
              fp32.generator / bf16.generator, 1e3 * all.generator, fp32.generator / all.generator);
  std::printf("%-14s %10.3f %10.3f %9.2fx %10.3f %9.2fx\n", "D (2 batches)", 1e3 * fp32.discriminator,
              1e3 * bf16.discriminator, fp32.discriminator / bf16.discriminator, 1e3 * all.discriminator,
              fp32.discriminator / all.discriminator);
  std::printf("%s\n", models::describePrecision(planned.generator->layerPrecisions(),
                                                planned.discriminator->layerPrecisions())
                          .c_str());
}

}  // namespace gan::bench
