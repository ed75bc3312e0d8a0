#include "bench/checkpoint_benchmark.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "checkpoint/checkpoint.h"
#include "checkpoint/checkpoint_schedule.h"
#include "checkpoint/checkpoint_writer.h"
#include "comm/local_communicator.h"
#include "common/elapsed.h"
#include "common/error.h"
#include "common/log.h"
#include "data/sample_order.h"
#include "datasets/open_dataset.h"
#include "run/step_inputs.h"
#include "train/gan_trainer.h"
#include "train/trainer_setup.h"

namespace gan::bench {
namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> values) {
  GAN_CHECK(!values.empty(), "no measurements");
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

void runCheckpointBenchmark(const Config& config, const torch::Device& device, const CheckpointBenchmarkOptions& options) {
  comm::LocalCommunicator alone;
  const auto dataset = datasets::openDataset(config.data);
  const auto settings = run::StepInputSettings::fromConfig(config, *dataset);
  auto trainer = train::buildTrainer(config, dataset->sampleShape(), alone, device, settings.classes());
  const int64_t batch = config.train.batch_size;
  data::GlobalSampleOrder order(dataset->size(), batch, static_cast<uint64_t>(config.train.seed));
  const auto rows = data::rowsForRank(0, 1, batch);
  int64_t step = 0;
  auto trainStep = [&] {
    const auto began = Clock::now();
    trainer->step(run::stepInputs(*dataset, order, rows, settings, step, device), step);
    ++step;
    return secondsSince(began);
  };
  for (int i = 0; i < 5; ++i) trainStep();  // Adam's state exists, caches are warm
  std::vector<double> alone_step;
  for (int i = 0; i < 20; ++i) alone_step.push_back(trainStep());

  const std::filesystem::path scratch = std::filesystem::path(config.output.dir) / "gan_bench_checkpoints";
  std::filesystem::remove_all(scratch);
  const RunDirectory run(scratch);
  checkpoint::TrainingPosition position{0, 1, batch, order.stepsPerEpoch(), config.train.seed, dataset->sampleShape()};

  // Synchronous: training waits for the whole write.
  std::vector<double> synchronous;
  for (int64_t i = 0; i < options.checkpoints; ++i) {
    trainStep();
    position.step = step;
    const auto began = Clock::now();
    checkpoint::writeCheckpoint(run, position, *trainer, config);
    synchronous.push_back(secondsSince(began));
  }

  // In the background: training waits for the host copy; the write overlaps the next steps.
  std::vector<double> pauses, writes, during_write_step;
  int64_t bytes = 0;
  {
    checkpoint::BackgroundCheckpointWriter writer(run, 0);
    for (int64_t i = 0; i < options.checkpoints; ++i) {
      trainStep();
      position.step = step;
      const auto began = Clock::now();
      auto snapshot = checkpoint::takeSnapshot(position, *trainer, config);
      bytes = snapshot.bytes;
      writer.submit(std::move(snapshot));
      pauses.push_back(secondsSince(began));
      while (writer.busy()) during_write_step.push_back(trainStep());
      for (const auto& written : writer.takeFinished()) {
        GAN_CHECK(written.ok(), written.error);
        writes.push_back(written.write_seconds);
      }
    }
  }
  std::filesystem::remove_all(scratch);

  const double step_s = median(alone_step);
  const double sync_s = median(synchronous), pause_s = median(pauses), write_s = median(writes);
  const double slowed_s = during_write_step.empty() ? step_s : median(during_write_step);
  const double mtbf_s = options.mtbf_h * 3600;
  const double tau_sync = checkpoint::dalyCheckpointInterval(sync_s, mtbf_s);
  const double tau_background = checkpoint::dalyCheckpointInterval(pause_s, mtbf_s);
  char line[512];
  log0f("# gan_bench checkpoint: ", config.model.arch, " on ", dataset->description(), ", ", bytes / 1e6,
        " MB of tensors per checkpoint, ", options.checkpoints, " checkpoints of each kind (medians), job MTBF ",
        options.mtbf_h, " h");
  std::snprintf(line, sizeof line, "training step alone              %9.4f s", step_s);
  log0(line);
  std::snprintf(line, sizeof line, "synchronous checkpoint: pause    %9.4f s (= the write)", sync_s);
  log0(line);
  std::snprintf(line, sizeof line,
                "background checkpoint: pause     %9.4f s (host copy), write %.4f s behind it, %.1f%% of the write",
                pause_s, write_s, 100 * pause_s / write_s);
  log0(line);
  std::snprintf(line, sizeof line, "steps during the background write %9.4f s each (%zu steps, %.2fx the step alone)",
                slowed_s, during_write_step.size(), slowed_s / step_s);
  log0(line);
  // Daly's interval from the pause; a failure redoes on average half an interval of steps, and with
  // background writes also the steps trained while the newest checkpoint was still being written.
  std::snprintf(line, sizeof line,
                "Daly interval: synchronous %.1f s (%.0f steps), background %.1f s (%.0f steps); expected steps "
                "redone per failure: synchronous %.0f, background %.0f",
                tau_sync, tau_sync / step_s, tau_background, tau_background / step_s, tau_sync / 2 / step_s,
                (tau_background / 2 + write_s) / step_s);
  log0(line);
}

}  // namespace gan::bench
