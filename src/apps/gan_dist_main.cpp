// gan_dist: trains a GAN data-parallel across MPI ranks (or alone, with no launcher).
//   mpirun -np 8 build/gan_dist --config configs/fashion_mnist_mlp.ini
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "apps/process_setup.h"
#include "common/environment.h"
#include "common/config.h"
#include "common/log.h"
#include "common/run_directory.h"
#include "resilience/stop_signals.h"
#include "run/training_run.h"

int main(int argc, char** argv) {
  const std::string memory_note = gan::process::keepFreedMemoryInProcess();
  gan::ParsedCommandLine parsed;
  if (!gan::apps::parseOrExit(argc, argv, "gan_dist", parsed)) return 2;
  if (parsed.help_requested) {
    std::fputs(parsed.help_text.c_str(), stdout);
    return 0;
  }
  const gan::Config& config = parsed.config;
  gan::CpuSettings cpu;
  if (!gan::apps::setUpCpuOrExit("gan_dist", cpu, &config)) return 2;

  std::unique_ptr<gan::comm::Communicator> communicator;
  try {
    auto setup = gan::apps::setUpProcess(config, cpu);
    communicator = std::move(setup.communicator);
    gan::log0(memory_note);
    gan::log0(gan::formatConfigTable(config));
    gan::run::RunEnvironment environment;
    gan::resilience::installStopSignalHandlers();
    environment.stop_request = gan::resilience::requestedStopSignal;
    environment.faults = gan::resilience::FaultPlan::fromEnvironment();
    environment.collectives = setup.collectives;
    for (const auto& placement : setup.placements) environment.rank_hosts.push_back(placement.host);
    environment.launch_id = gan::environmentValue("GAN_DIST_LAUNCH_ID").value_or("");
    const auto summary = gan::run::runTraining(config, *communicator, setup.device, environment);
    gan::log0f("done: ", summary.steps, " steps in ", summary.seconds, " s");
    if (!summary.last_sample.empty()) gan::log0f("samples:     ", summary.last_sample);
    if (!summary.last_checkpoint.empty()) gan::log0f("checkpoint:  ", summary.last_checkpoint);
    const gan::RunDirectory run(config.output.dir);
    gan::log0f("metrics:     ", run.metrics().string());
    if (!summary.tensorboard.empty()) gan::log0f("tensorboard: tensorboard --logdir ", run.tensorboard().string());
    if (!summary.report.empty()) gan::log0f("report:      ", summary.report);
    if (!summary.timeline.empty()) gan::log0f("timeline:    ", summary.timeline, " (per rank; open in ui.perfetto.dev)");
  } catch (const std::exception& e) {
    gan::apps::failJob("gan_dist", e, communicator.get());
  }
  communicator.reset();  // finalises MPI
  return 0;
}
