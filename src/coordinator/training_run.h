// TrainingRun: the lifecycle of one training job on one rank. Every rank runs the same loop;
// rank 0 additionally writes metrics, sample grids and checkpoints.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "comm/communicator.h"
#include "common/config.h"

namespace gan::coordinator {

// The device this rank trains on: `auto` picks this rank's GPU when LibTorch has CUDA.
torch::Device chooseDevice(const std::string& device_option, int local_rank);

struct RunSummary {
  int64_t steps = 0;
  std::string last_checkpoint;  // empty if none was written
  std::string last_sample;      // empty if none was written
  double seconds = 0;
  bool stopped_by_signal = false;
  std::string report;       // OUT/report.html, when written
  std::string tensorboard;  // the event file, when written
  std::string timeline;     // this rank's trace, when written  // an agreed stop (SIGTERM/SIGINT/SIGUSR1) ended the run early
};

// Trains per `config` and returns what it wrote. Throws gan::Error on bad input.
RunSummary runTraining(const Config& config, comm::Communicator& communicator, const torch::Device& device);

}  // namespace gan::coordinator
