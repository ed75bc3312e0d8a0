#include "apps/process_setup.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "comm/backend_factory.h"
#include "common/error.h"
#include "common/log.h"
#include "models/layer_precision.h"
#include "run/training_run.h"
#include "process/compute_threads.h"

namespace gan::apps {

torch::Device chooseDevice(DeviceChoice device_option, int local_rank) {
  const bool cuda = torch::cuda::is_available();
  if (device_option == DeviceChoice::Cuda || (device_option == DeviceChoice::Auto && cuda)) {
    GAN_CHECK(cuda, "--train.device=cuda: no CUDA device visible to LibTorch (Debian's LibTorch is CPU-only)");
    const int count = static_cast<int>(torch::cuda::device_count());
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank % count));
  }
  return torch::Device(torch::kCPU);
}

namespace {

// An error found before MPI is up, which every process of the job finds alike: the launcher's
// numbering lets one process report it.
void reportStartupErrorOnce(const char* program, const std::exception& error) {
  if (comm::launcherRank() == 0) {
    std::fprintf(stderr, "%s: error: %s\n", program, error.what());
  } else {
    // The others wait a little: the launcher ends the whole job when the first process exits,
    // and rank 0 must have printed the reason by then (seen: the error lost at 3 ranks).
    std::this_thread::sleep_for(std::chrono::seconds(5));
  }
}

}  // namespace

bool parseOrExit(int argc, char** argv, const char* program, ParsedCommandLine& parsed) {
  try {
    parsed = parseCommandLine(argc, argv);
    return true;
  } catch (const std::exception& e) {
    reportStartupErrorOnce(program, e);
    return false;
  }
}

bool parseToolOptions(int argc, char** argv, const boost::program_options::options_description& options,
                      boost::program_options::variables_map& values) {
  boost::program_options::store(boost::program_options::parse_command_line(argc, argv, options), values);
  boost::program_options::notify(values);
  if (!values.count("help")) return true;
  std::cout << options;
  return false;
}

CpuSettings setUpCpu() {
  auto cpu = CpuSettings::fromEnvironment();
  gan::process::holdTorchToCpu(cpu);
  return cpu;
}

bool setUpCpuOrExit(const char* program, CpuSettings& cpu, const Config* training) {
  try {
    cpu = setUpCpu();
    // The device as training will pick it: only a CPU run asks the CPU.
    if (training != nullptr) {
      models::checkPrecisionSupported(
          {training->train.precision, chooseDevice(training->train.device, 0).type()}, cpu);
    }
    return true;
  } catch (const std::exception& e) {
    reportStartupErrorOnce(program, e);
    return false;
  }
}

ProcessSetup setUpProcess(const Config& config, const CpuSettings& cpu, const char* program) {
  ProcessSetup setup;
  const auto threads = gan::process::configureComputeThreads(config.train.threads);
  // The device decides the backend (auto: NCCL for GPU tensors), so pick it before MPI is up;
  // the GPU index comes from the node-local rank once the communicator knows it.
  const bool gpu = chooseDevice(config.train.device, 0).is_cuda();
  auto backend = comm::createCommunicator(config.comm.backend, gpu, config.comm.timeout_s);
  auto recorded = std::make_unique<comm::FlightRecordingCommunicator>(std::move(backend));
  setup.collectives = &recorded->record();
  setup.communicator = std::move(recorded);
  setLogRank(setup.communicator->rank(), setup.communicator->worldSize());
  setup.placements = comm::gatherPlacements(*setup.communicator);
  setup.device = chooseDevice(config.train.device, setup.communicator->localRank());
  const std::string allreduce_path = setup.communicator->describeAllreduce();
  log0f(program, ": ", setup.communicator->worldSize(), " rank(s), backend ", setup.communicator->backendName(),
        ", device ", setup.device.str(), allreduce_path.empty() ? "" : "; " + allreduce_path);
  if (setup.communicator->worldSize() > 1) log0("placement: " + comm::describePlacements(setup.placements));
  if (const auto problem = comm::placementInconsistency(setup.placements); !problem.empty()) {
    logWarning("node-local ranks disagree with host names: " + problem);
  }
  log0(threads.summary);
  if (!setup.device.is_cuda()) log0("cpu: " + describeCpu(cpu.features));
  const auto emulation = models::describeBf16Emulation({config.train.precision, setup.device.type()}, cpu);
  if (!emulation.empty()) logWarning(emulation);
  if (!threads.blas_is_openblas) {
    logWarning("the active BLAS is not OpenBLAS (" + threads.blas_library +
               "); training runs ~4x slower. Install libopenblas0-pthread.");
  }
  if (config.train.threads > 1 && setup.communicator->worldSize() > 1) {
    log0("note: mpirun binds each rank to one core by default; with --train.threads > 1 launch with "
         "--bind-to none or --map-by slot:PE=<threads> so the threads get cores of their own");
  }
  return setup;
}

void failJob(const char* program, const std::exception& error, comm::Communicator* communicator) {
  const bool agreed = dynamic_cast<const AgreedError*>(&error) != nullptr && communicator != nullptr &&
                      communicator->worldSize() > 1;
  if (agreed && communicator->rank() == 0) {
    std::fprintf(stderr, "%s: error: %s\n", program, error.what());
    std::fflush(stderr);
    communicator->abortJob(1);
  }
  if (agreed) std::this_thread::sleep_for(std::chrono::seconds(10));  // rank 0's abort ends this process
  std::fprintf(stderr, "%s: error on rank %d: %s\n", program, logRank(), error.what());
  std::fflush(stderr);
  if (communicator != nullptr) communicator->abortJob(1);
  std::exit(1);
}

}  // namespace gan::apps
