// gan_bench precision: what bf16 buys each layer and each network of a config, the figures behind
// the rule in models/layer_precision.h (which layers --train.precision=bf16 runs in bf16).
#pragma once

#include <torch/torch.h>

#include "common/config.h"
#include "common/cpu_features.h"

namespace gan::bench {

struct PrecisionBenchmarkOptions {
  int64_t iterations = 200;  // timed forward+backward passes per figure (a tenth more untimed first)
};

// Prints, for the config's networks at its per-rank batch: each linear layer's forward+backward
// in fp32 and in bf16 with the rule's choice, then G's and D's whole forward+backward in fp32,
// bf16 and bf16-all. One process; the figures are per rank.
void runPrecisionBenchmark(const Config& config, const CpuSettings& cpu, const torch::Device& device,
                           const PrecisionBenchmarkOptions& options);

}  // namespace gan::bench
