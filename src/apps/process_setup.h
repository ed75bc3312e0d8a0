// Start-up and failure handling shared by the gan_dist programs.
#pragma once

#include <torch/torch.h>

#include <boost/program_options.hpp>
#include <memory>
#include <string>

#include "comm/communicator.h"
#include "comm/rank_placement.h"
#include "comm/flight_recording_communicator.h"
#include "common/config.h"
#include "common/cpu_features.h"
#include "process/memory_tuning.h"

namespace gan::apps {

// The device this rank trains on: `auto` picks this rank's GPU when LibTorch has CUDA.
torch::Device chooseDevice(DeviceChoice device_option, int local_rank);

// Parses argv; on a bad command line prints one line (on launcher rank 0 only, so an 8-rank
// job does not print it 8 times) and returns false.
bool parseOrExit(int argc, char** argv, const char* program, ParsedCommandLine& parsed);

// A tool's options (gan_sample, gan_export): parses and notifies `options` into `values`; with
// --help prints them and returns false (the tool exits 0). Boost's errors propagate.
bool parseToolOptions(int argc, char** argv, const boost::program_options::options_description& options,
                      boost::program_options::variables_map& values);

// Reads GAN_DIST_CPU and GAN_DIST_EMULATE_BF16 (common/cpu_features.h) and holds LibTorch to the
// CPU they describe. Every program that computes calls it before its first tensor operation;
// throws gan::Error on a value the variables do not take.
CpuSettings setUpCpu();

// setUpCpu, and for a program that trains (`training` given) whether that configuration can train
// on this CPU (bf16 needs AVX512-BF16). On a bad variable or a refused precision prints one line
// (launcher rank 0 only) and returns false, before MPI is up and before anything is written.
bool setUpCpuOrExit(const char* program, CpuSettings& cpu, const Config* training);

struct ProcessSetup {
  // The backend wrapped in a FlightRecordingCommunicator: every collective is in `collectives`.
  std::unique_ptr<comm::Communicator> communicator;
  comm::CollectiveFlightRecorder* collectives = nullptr;
  std::vector<comm::RankPlacement> placements;  // every rank's host and node-local rank
  torch::Device device{torch::kCPU};
};

// Compute threads, device, communicator and rank-aware logging, with the start-up lines (which
// include where every rank runs and the CPU, `cpu` from setUpCpu).
ProcessSetup setUpProcess(const Config& config, const CpuSettings& cpu, const char* program = "gan_dist");

// Prints "program: error on rank R: message" and ends the whole job (MPI_Abort under a
// launcher) so no peer waits in a collective for a rank that is gone. A gan::AgreedError, which
// every rank raises alike, is printed once, by rank 0 ("program: error: message"); the other
// ranks wait a few seconds for its abort (and report it themselves if none comes).
[[noreturn]] void failJob(const char* program, const std::exception& error, comm::Communicator* communicator);

}  // namespace gan::apps
