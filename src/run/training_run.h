// runTraining: the lifecycle of one training job on one rank. Every rank runs the same loop;
// rank 0 additionally records metrics, progress pictures and checkpoints.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "comm/collective_flight_recorder.h"
#include "comm/communicator.h"
#include "common/config.h"
#include "resilience/fault_injection.h"

namespace gan::run {

// What a run is connected to besides its options: where stop requests come from and which
// faults to inject. main() fills it from the signal handlers and the environment.
struct RunEnvironment {
  // The signal that asked this rank to stop, or 0 (stop_signals.h's requestedStopSignal).
  std::function<int()> stop_request;
  resilience::FaultPlan faults;  // none unless a test asks for some
  // The process's collective record (watched, and written out when the job hangs) and every
  // rank's host; both optional (tests run without them).
  comm::CollectiveFlightRecorder* collectives = nullptr;
  std::vector<std::string> rank_hosts;
  // The elastic launcher's id of this launch (GAN_DIST_LAUNCH_ID), recorded with each straggler
  // window; empty otherwise.
  std::string launch_id;
};

struct RunSummary {
  int64_t steps = 0;
  std::string last_checkpoint;  // empty if none was written
  std::string last_sample;      // empty if none was written
  double seconds = 0;
  bool stopped_by_signal = false;  // an agreed stop (SIGTERM/SIGINT/SIGUSR1) ended the run early
  std::string report;       // OUT/report.html, when written
  std::string tensorboard;  // the event file, when written
  std::string timeline;     // this rank's trace, when written
};

// Trains per `config` and returns what it wrote. Throws gan::Error on bad input.
RunSummary runTraining(const Config& config, comm::Communicator& communicator, const torch::Device& device,
                       const RunEnvironment& environment = {});

}  // namespace gan::run
