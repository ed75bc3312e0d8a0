#include "bench/step_timing.h"

#include <chrono>

#include "common/elapsed.h"
#include "run/step_agreement.h"
#include "run/step_inputs.h"
#include "stragglers/straggler_monitor.h"
#include "train/gan_trainer.h"
#include "train/trainer_setup.h"

namespace gan::bench {

using Clock = std::chrono::steady_clock;

PhaseTimes timeSteps(const Config& config, comm::Communicator& communicator, const datasets::Dataset& dataset,
                     const torch::Device& device, const StepsToTime& options, int64_t straggler_every) {
  const auto input_settings = run::StepInputSettings::fromConfig(config, dataset);
  auto trainer_owner = train::buildTrainer(config, dataset.sampleShape(), communicator, device, input_settings.classes());
  train::GanTrainer& trainer = *trainer_owner;
  trainer.broadcastState();
  const int64_t per_rank = config.train.batch_size;
  data::GlobalSampleOrder order(dataset.size(), per_rank * communicator.worldSize(), config.train.seed);
  const auto rows = data::rowsForRank(communicator.rank(), communicator.worldSize(), per_rank);

  // The per-step control collective, as in training (nothing asks a benchmark to stop).
  run::StepAgreement agreement(communicator, [] { return 0; });
  stragglers::StragglerMonitor stragglers(communicator, straggler_every, {});
  // ADA: its cost does not depend on p (every listed transform runs on every row, as the
  // identity where not drawn), so one fixed p measures it.
  if (config.train.ada_target > 0) trainer.setAugmentationProbability(0.5);
  PhaseTimes times;
  int64_t overlapped_before = 0;
  // The next step's inputs are assembled during G's reduction when the trainer overlaps, as in training.
  run::StepInputQueue queue(
      [&](int64_t step) { return run::stepInputs(dataset, order, rows, input_settings, step, device); });
  const int64_t last = options.warmup + options.steps;
  for (int64_t step = 0; step < last; ++step) {
    if (step == options.warmup) {
      communicator.barrier();
      trainer.takeCommunicationStats();
      communicator.takeCollectiveBreakdown();
      times = PhaseTimes();
      overlapped_before = trainer.overlappedRealHalves();
    }
    const auto began = Clock::now();
    const auto inputs = queue.take(step);
    const double other = secondsSince(began);
    const bool monitored = stragglers.enabled() && (step / straggler_every) % 2 == 1;
    const double waited_before = trainer.collectiveWaitSeconds();
    const auto outputs = trainer.step(inputs, step, queue.nextAfter(step, last));
    if (monitored) {
      stragglers.addStep(step + 1, secondsSince(began), trainer.collectiveWaitSeconds() - waited_before);
      if (stragglers.dueAt(step + 1)) stragglers.exchange(step + 1);
    }
    run::StepContribution mine;  // ADA's signs travel in the agreement, as in training
    if (outputs.real_sign_sum.defined()) mine = {outputs.real_sign_sum.item<int64_t>(), outputs.real_rows};
    agreement.exchange(mine);
    if (device.is_cuda()) torch::cuda::synchronize();
    const double total = secondsSince(began);
    // Communication: the training thread's time launching, running (MpiCommunicator on one
    // core runs them on this thread) or waiting for its collectives; compute: the rest.
    const double exposed = trainer.collectiveWaitSeconds() - waited_before;
    times.other += other;
    times.total += total;
    times.compute += total - other - exposed;
    times.exposed += exposed;
    times.steps += 1;
    (monitored ? times.monitored : times.unmonitored) += total;
    (monitored ? times.monitored_steps : times.unmonitored_steps) += 1;
  }
  times.breakdown = communicator.takeCollectiveBreakdown();
  const auto stats = trainer.takeCommunicationStats();
  times.collective = stats.collective_seconds;
  times.gradient_bytes = stats.bytes;
  times.gradient_collectives = stats.collectives;
  times.split_d_halves = trainer.overlapsNextStep();
  times.overlapped_steps = trainer.overlappedRealHalves() - overlapped_before;
  times.straggler_exchange = stragglers.exchangeSeconds();
  times.straggler_exchanges = stragglers.exchanges();
  return times;
}

}  // namespace gan::bench
