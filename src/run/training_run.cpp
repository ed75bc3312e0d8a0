#include "run/training_run.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#include <optional>

#include "checkpoint/checkpoint.h"
#include "checkpoint/checkpoint_schedule.h"
#include "checkpoint/resume.h"
#include "common/elapsed.h"
#include "common/error.h"
#include "common/log.h"
#include "common/run_directory.h"
#include "data/latent_noise.h"
#include "data/sample_order.h"
#include "datasets/data_fingerprint.h"
#include "datasets/noise_tensors.h"
#include "eval/quality_evaluator.h"
#include "interop/initial_weights.h"
#include "recording/run_recorder.h"
#include "report/run_report.h"
#include "resilience/hang_report.h"
#include "resilience/stop_signals.h"
#include "resilience/watchdog.h"
#include "run/checkpoint_writes.h"
#include "run/run_observer.h"
#include "run/run_start.h"
#include "run/step_agreement.h"
#include "run/step_inputs.h"
#include "stragglers/straggler_monitor.h"
#include "train/ada_controller.h"
#include "train/gan_trainer.h"
#include "train/replica_check.h"
#include "train/trainer_setup.h"

namespace gan::run {
namespace {

using Clock = std::chrono::steady_clock;

// Periodic duties also fall on the last step, so a run always ends with them done.
bool due(int64_t every, int64_t done, int64_t last) { return every > 0 && (done % every == 0 || done == last); }

// One rank's training job, from set-up to the last step. run() reads as the algorithm; each
// duty around the step (guarding, recording, checkpointing, agreeing to stop) is a method.
class TrainingLoop {
 public:
  TrainingLoop(const Config& config, comm::Communicator& communicator, const torch::Device& device,
               const RunEnvironment& environment);
  RunSummary run();

 private:
  // Set-up: resume, the data order of the (possibly resumed) global batch, the evaluator.
  // Returns false when there is nothing left to train.
  bool prepare();
  // --model.init_from: rank 0 loads the weights Python saved and broadcasts them (a fresh start
  // only: a resumed run continues from its checkpoint's weights).
  void startFromSavedWeights(const checkpoint::ResumePoint& resume);
  // ADA's controller, continuing from the checkpoint's state when resumed.
  void startAdaptiveAugmentation(const checkpoint::ResumePoint& resume);
  // This rank's inputs of `step`, with the injected faults that alter them.
  std::vector<train::DiscriminatorBatch> assembleInputs(int64_t step);
  // The injected hang of step `done`, if any: this rank stops responding.
  void hangIfInjected(int64_t done);
  void guardAgainstNonFinite(const train::StepOutputs& outputs, int64_t done);
  void recordStep(const train::StepOutputs& outputs, int64_t step);
  void recordPicture(int64_t done);
  void evaluate(int64_t done);
  // The pause of a checkpoint: per-rank state gathered, every tensor copied to host memory and
  // handed to this rank's background writer (when it keeps a copy).
  void checkpoint(int64_t done);
  // What the background writer finished (CheckpointWrites::collect); the newest durable
  // checkpoint goes in the summary.
  void collectWrittenCheckpoints(bool run_ended);
  // The end of training: returns once the last checkpoint is durable; throws if it failed.
  void finishCheckpointWrites();
  // Every --monitor.straggler_every steps: the ranks' timings reach rank 0, which names the
  // ranks that hold the job up and records the window.
  void monitorStragglers(int64_t done);
  // The step boundary: sends this step's flags and sums, acts on the previous step's (ADA moves
  // p) and returns the agreed decisions.
  StepDecisions stepBoundary(int64_t done, const train::StepOutputs& outputs);
  // The watchdog's action: something ran past --comm.timeout_s. Leaves this rank's record of
  // collectives, prints the verdict when it is this rank's to print, ends the job.
  [[noreturn]] void endOnHang(const std::string& report);

  const Config& config_;
  comm::Communicator& communicator_;
  const torch::Device device_;
  const RunEnvironment& environment_;
  const int rank_;
  const int world_;
  const bool rank0_;
  const RunDirectory run_dir_;
  const Clock::time_point started_ = Clock::now();
  RunSummary summary_;

  std::unique_ptr<datasets::Dataset> dataset_;
  datasets::DataFingerprint data_fingerprint_;  // the same on every rank (agreeOnData)
  resilience::Watchdog watchdog_;
  RunObserver observer_;
  StepAgreement agreement_;
  stragglers::StragglerMonitor stragglers_;
  stragglers::StragglerPersistence straggler_persistence_;
  std::unique_ptr<train::GanTrainer> trainer_;
  std::unique_ptr<data::GlobalSampleOrder> order_;
  std::unique_ptr<eval::QualityEvaluator> evaluator_;
  std::unique_ptr<recording::RunRecorder> recorder_;  // rank 0 only
  std::optional<train::AdaController> ada_;  // adaptive augmentation, when enabled
  // What each step's inputs are made of (seed, noise width, critic steps, the class counts of a
  // conditional model); read once from the config and the training set.
  StepInputSettings input_settings_;
  data::BatchRows rows_{};
  checkpoint::TrainingPosition position_;
  torch::Tensor picture_noise_;
  int64_t first_step_ = 0;
  int64_t global_batch_ = 0;
  // Each step's inputs; the next step's assembled during G's reduction when the trainer overlaps.
  StepInputQueue inputs_{[this](int64_t step) { return assembleInputs(step); }};

  int64_t skipped_updates_ = 0;
  int64_t consecutive_bad_ = 0;
  checkpoint::CheckpointSchedule checkpoints_;
  // Last member: destroyed first, it waits for a write in flight while the rest still exists.
  CheckpointWrites writes_;
};

TrainingLoop::TrainingLoop(const Config& config, comm::Communicator& communicator, const torch::Device& device,
                           const RunEnvironment& environment)
    : config_(config),
      communicator_(communicator),
      device_(device),
      environment_(environment),
      rank_(communicator.rank()),
      world_(communicator.worldSize()),
      rank0_(rank_ == 0),
      run_dir_(config.output.dir),
      dataset_(openDatasetOnEveryRank(config, communicator, environment.faults)),
      data_fingerprint_(agreeOnData(*dataset_, communicator)),
      watchdog_(config.comm.timeout_s, rank_, [this](const std::string& report) { endOnHang(report); },
                environment.collectives),
      observer_(watchdog_, run_dir_.timeline(config.output.timeline), rank_, world_, config.output.timeline_steps),
      agreement_(communicator, environment.stop_request),
      stragglers_(communicator, config.monitor.straggler_every, environment.rank_hosts, environment.launch_id),
      straggler_persistence_(config.monitor.straggler_windows),
      input_settings_(StepInputSettings::fromConfig(config, *dataset_)),
      checkpoints_(config.output.checkpoint_every, config.output.checkpoint_mtbf_h * 3600),
      writes_(run_dir_, communicator, config.output.keep_last, environment.faults) {
  resilience::clearHangRecordsAtStart(run_dir_, communicator_);
  log0f("data: ", dataset_->description());
  const auto& class_counts = input_settings_.class_counts;
  if (!class_counts.empty()) {
    log0f("conditional on ", class_counts.size(), class_counts.size() == 1 ? " class" : " classes",
          "; generated rows draw their class from the training set's frequencies (", describeClassCounts(class_counts),
          ")");
  }
  trainer_ = train::buildTrainer(config_, dataset_->sampleShape(), communicator_, device_, input_settings_.classes());
  observer_.openTimeline();
  trainer_->setObserver(&observer_);
  observer_.phase("start-up broadcast", [&] { trainer_->broadcastState(); });
  describeTrainer(*trainer_, config_);
}

bool TrainingLoop::prepare() {
  checkpoint::ResumePoint resume;
  observer_.phase("resume",
                  [&] { resume = checkpoint::resumeIfRequested(config_, *trainer_, communicator_, writes_.storage()); });
  first_step_ = resume.resumed ? resume.position.step : 0;
  if (resume.resumed) log0f("resumed from ", resume.checkpoint, " at step ", first_step_);
  checkResumedData(config_, resume, data_fingerprint_);
  if (!config_.model.init_from.empty()) startFromSavedWeights(resume);
  if (resume.resumed && resume.source_rank != 0) {
    log0f("the checkpoint of step ", first_step_, " came from rank ", resume.source_rank,
          "'s copy: rank 0's output directory holds no usable copy of it");
  }
  if (resume.resumed && trainer_->hasEma() && !resume.ema_restored) {
    log0f("the checkpoint holds no EMA of G: the average restarts from G's weights");
  }
  if (first_step_ >= config_.train.max_steps) {
    log0f("nothing to train: the checkpoint is at step ", first_step_, " and --train.max_steps is ",
          config_.train.max_steps, " (raise it to continue, or start over with --output.resume=never or another "
          "--output.dir)");
    summary_.steps = first_step_;
    summary_.last_checkpoint = resume.checkpoint;
    return false;
  }

  const int64_t per_rank = perRankBatch(config_, resume, world_);
  global_batch_ = per_rank * world_;
  order_ = std::make_unique<data::GlobalSampleOrder>(dataset_->size(), global_batch_,
                                                     static_cast<uint64_t>(config_.train.seed));
  if (config_.train.ada_target > 0) startAdaptiveAugmentation(resume);
  // The sample order counts discriminator batches; a step consumes d_steps of them.
  const int64_t steps_per_epoch = order_->stepsPerEpoch() / config_.train.d_steps;
  rows_ = data::rowsForRank(rank_, world_, per_rank);
  log0f("training: steps ", first_step_, " to ", config_.train.max_steps, ", global batch ", global_batch_, " (",
        world_, " x ", per_rank, "), ", steps_per_epoch, " steps per epoch, device ", device_.str());
  position_ = {0, world_, global_batch_, steps_per_epoch, config_.train.seed, dataset_->sampleShape(),
               input_settings_.class_counts};
  position_.run_id = resume.run_id;
  position_.data = data_fingerprint_;

  if (config_.eval.every > 0) {
    observer_.phase("evaluation set-up", [&] {
      evaluator_ = eval::createEvaluator(config_, communicator_, device_, {}, input_settings_.class_counts);
    });
    std::string references;
    for (const auto& [name, value] : evaluator_->references()) references += " " + name + "=" + std::to_string(value);
    log0f("evaluation every ", config_.eval.every, " steps on ", evaluator_->sampleCount(), " samples; references:",
          references);
  }
  if (rank0_) {
    recorder_ = std::make_unique<recording::RunRecorder>(run_dir_, first_step_, config_.train.max_steps, config_.output.tensorboard);
  }
  checkpoints_.restartClock();  // the time rule counts training, not start-up
  picture_noise_ = datasets::latentNoiseTensor(static_cast<uint64_t>(config_.train.seed), data::kSampleGridNoiseStep, 0,
                                           dataset_->isImage() ? 64 : 1000, config_.model.latent_dim, device_);
  return true;
}

RunSummary TrainingLoop::run() {
  if (!prepare()) return summary_;
  const int64_t last = config_.train.max_steps;
  for (int64_t step = first_step_; step < last; ++step) {
    // `step` counts from 0 for the data order and noise; people (logs, files, faults) count
    // the step being run from 1, so step `done` is the one that has just completed.
    const int64_t done = step + 1;
    observer_.setStep(done);
    hangIfInjected(done);
    const auto step_began = Clock::now();
    const double waited_before = trainer_->collectiveWaitSeconds();
    environment_.faults.burnExtraCompute(rank_);
    const auto inputs = inputs_.take(step);
    if (ada_) trainer_->setAugmentationProbability(ada_->p());
    const train::StepOutputs outputs = trainer_->step(inputs, step, inputs_.nextAfter(step, last));
    stragglers_.addStep(done, secondsSince(step_began), trainer_->collectiveWaitSeconds() - waited_before);
    if (recorder_) recorder_->countStep();

    guardAgainstNonFinite(outputs, done);
    if (config_.comm.check_every > 0 && done % config_.comm.check_every == 0) {
      observer_.phase("replica check", [&] { train::verifyReplicasAgree(*trainer_, communicator_, done); });
    }
    monitorStragglers(done);  // before the log line, which carries a window ending here
    if (due(config_.output.log_every, done, last)) recordStep(outputs, step);
    if (rank0_ && due(config_.output.sample_every, done, last)) recordPicture(done);
    if (evaluator_ && due(config_.eval.every, done, last)) evaluate(done);
    const StepDecisions decisions = stepBoundary(done, outputs);
    const bool stop = decisions.stop_signal != 0 && done < last;
    if (stop || checkpoints_.dueByStep(done, last) || checkpoints_.agreedByTime(decisions.checkpoint_requested, done)) {
      checkpoint(done);
    }
    collectWrittenCheckpoints(/*run_ended=*/false);
    summary_.steps = done;
    if (stop) {
      log0f("stop requested (", resilience::stopSignalName(decisions.stop_signal), " on some rank) at step ", done,
            ": checkpointed, exiting");
      summary_.stopped_by_signal = true;
      break;
    }
  }
  finishCheckpointWrites();
  if (rank0_ && config_.output.report && config_.output.log_every > 0) {
    summary_.report = report::writeRunReport(run_dir_);
  }
  if (recorder_) summary_.tensorboard = recorder_->tensorboardPath();
  summary_.timeline = observer_.timelinePath();
  summary_.seconds = secondsSince(started_);
  return summary_;
}

void TrainingLoop::hangIfInjected(int64_t done) {
  if (!environment_.faults.hangAt(rank_, done)) return;
  watchdog_.enter("D step", done);
  for (;;) pause();  // this rank stops responding
}

std::vector<train::DiscriminatorBatch> TrainingLoop::assembleInputs(int64_t step) {
  auto inputs = stepInputs(*dataset_, *order_, rows_, input_settings_, step, device_);
  if (environment_.faults.nanAt(rank_, step + 1)) inputs.front().real.fill_(std::numeric_limits<float>::quiet_NaN());
  return inputs;
}

// Every rank saw the same averaged gradients, so all skip the same updates and agree on the
// abort without a collective of their own.
void TrainingLoop::guardAgainstNonFinite(const train::StepOutputs& outputs, int64_t done) {
  if (!outputs.d_update_skipped && !outputs.g_update_skipped) {
    consecutive_bad_ = 0;
    return;
  }
  ++skipped_updates_;
  ++consecutive_bad_;
  if (!outputs.local_loss_finite) logRankLine("non-finite loss on this rank at step " + std::to_string(done));
  log0f("step ", done, ": non-finite gradients (", outputs.d_update_skipped ? "D" : "",
        outputs.d_update_skipped && outputs.g_update_skipped ? " and " : "", outputs.g_update_skipped ? "G" : "",
        "); update skipped on every rank (", consecutive_bad_, " in a row, ", skipped_updates_, " in total)");
  GAN_CHECK(consecutive_bad_ < config_.train.max_bad_steps, "step ", done, ": ", consecutive_bad_,
            " consecutive steps with non-finite gradients (--train.max_bad_steps=", config_.train.max_bad_steps,
            "); training diverged");
}

void TrainingLoop::recordStep(const train::StepOutputs& outputs, int64_t step) {
  // Global means: each rank's value over equal-sized shards, summed then divided.
  const auto local = train::summarize(outputs);
  double value[4] = {local.loss_d, local.loss_g, local.d_real, local.d_fake};
  observer_.phase("metrics", [&] {
    communicator_.allreduce({value, 4, comm::ScalarType::Float64, comm::MemorySpace::Host}, {comm::ReduceOp::Average});
  });
  const auto communication = trainer_->takeCommunicationStats();
  if (rank0_) {
    monitoring::StepMetrics metrics;
    metrics.step = step + 1;
    metrics.epoch = order_->epochOfStep(step * config_.train.d_steps);
    metrics.loss_d = value[0];
    metrics.loss_g = value[1];
    metrics.d_real = value[2];
    metrics.d_fake = value[3];
    metrics.skipped_updates = skipped_updates_;
    metrics.checkpoint_s = checkpoints_.lastCheckpointSeconds();
    metrics.checkpoint_write_s = writes_.lastWriteSeconds();
    metrics.wall_time_s = secondsSince(started_);
    if (ada_) {
      metrics.ada_p = trainer_->augmentationProbability();
      metrics.ada_rt = ada_->state().last_rt;
    }
    if (outputs.mode_seeking_ratio.defined()) metrics.mode_seeking_ratio = outputs.mode_seeking_ratio.item<double>();
    recorder_->recordStep(metrics, {communication.collective_seconds, communication.exposed_seconds}, global_batch_);
  }
}

void TrainingLoop::recordPicture(int64_t done) {
  observer_.phase("sample grid", [&] {
    summary_.last_sample = recorder_->recordPicture(done, progressPicture(*trainer_, *dataset_, picture_noise_));
  });
}

void TrainingLoop::evaluate(int64_t done) {
  eval::Measurements measurements;
  const auto began = Clock::now();
  observer_.phase("evaluation", [&] {
    measurements = evaluator_->evaluate(trainer_->samplingGenerator(), config_.model.latent_dim,
                                        static_cast<uint64_t>(config_.train.seed));
  });
  if (rank0_) recorder_->recordEvaluation(done, measurements, evaluator_->references(), secondsSince(began));
}

void TrainingLoop::checkpoint(int64_t done) {
  checkpoints_.checkpointingAt(done);
  // Per-rank state (PowerSGD's error feedback) reaches the ranks that keep copies first: a
  // collective of all ranks.
  if (trainer_->hasPerRankState()) {
    observer_.phase("checkpoint gather", [&] { trainer_->gatherPerRankState(writes_.storage().copies > 1, writes_.writesHere()); });
  }
  if (!writes_.writesHere()) return;
  double seconds = 0;
  // The pause: the copy into host memory, and the wait when the previous write is still running.
  observer_.phase("checkpoint", [&] {
    const auto began = Clock::now();
    position_.step = done;
    if (ada_) {
      const StepDecisions pending = agreement_.inFlight();
      position_.ada = checkpoint::AdaCheckpoint{ada_->state(), pending.agreed, pending.real_sign_sum, pending.real_rows};
    }
    writes_.submit(checkpoint::takeSnapshot(position_, *trainer_, config_));
    seconds = secondsSince(began);
  });
  if (!rank0_) return;
  const bool first_measurement = checkpoints_.intervalSeconds() == 0;
  checkpoints_.recordCheckpoint(seconds);
  if (checkpoints_.timeRule() && first_measurement) log0f(checkpoints_.describe());
}

void TrainingLoop::collectWrittenCheckpoints(bool run_ended) {
  writes_.collect(run_ended);
  if (!writes_.lastCheckpoint().empty()) summary_.last_checkpoint = writes_.lastCheckpoint();
}

void TrainingLoop::finishCheckpointWrites() {
  observer_.phase("checkpoint write", [&] { writes_.waitUntilIdle(); });
  collectWrittenCheckpoints(/*run_ended=*/true);
}

void TrainingLoop::endOnHang(const std::string& report) {
  resilience::endJobOnHang(run_dir_, communicator_, environment_.collectives, environment_.rank_hosts, report,
                           std::min(10.0, config_.comm.timeout_s), /*shared_output=*/writes_.storage().copies == 1);
}

void TrainingLoop::monitorStragglers(int64_t done) {
  if (!stragglers_.dueAt(done)) return;
  std::optional<stragglers::StragglerWindow> window;
  observer_.phase("straggler timings", [&] { window = stragglers_.exchange(done); });
  if (!window) return;  // not rank 0
  const auto verdict = stragglers::judgeStragglers(*window, config_.monitor.straggler_threshold);
  if (straggler_persistence_.confirms(verdict)) log0(verdict.line);
  recorder_->recordStragglers(*window, verdict, config_.monitor.straggler_threshold);
}

StepDecisions TrainingLoop::stepBoundary(int64_t done, const train::StepOutputs& outputs) {
  // Every rank takes the same decision, on the previous boundary's flags and sums, reduced while
  // this step computed.
  StepContribution mine;
  if (ada_) mine = {outputs.real_sign_sum.item<int64_t>(), outputs.real_rows};
  // The time rule is read on rank 0's clock and travels in the step agreement, so every rank
  // checkpoints at the same step (a checkpoint may hold a collective: PowerSGD's gather).
  mine.checkpoint_requested = rank0_ && checkpoints_.timeRuleAsks();
  StepDecisions decisions;
  observer_.phase("step boundary", [&] { decisions = agreement_.exchange(mine); });
  if (ada_ && decisions.agreed) ada_->observe(done - 1, decisions.real_sign_sum, decisions.real_rows);
  return decisions;
}

void TrainingLoop::startFromSavedWeights(const checkpoint::ResumePoint& resume) {
  if (resume.resumed) {
    log0f("--model.init_from ", config_.model.init_from, " not used: resumed from ", resume.checkpoint,
          ", which holds the weights");
    return;
  }
  std::string loaded;
  observer_.phase("initial weights", [&] {
    if (rank0_) loaded = interop::loadInitialWeights(config_.model.init_from, *trainer_);
    trainer_->broadcastState();
  });
  log0f("initial weights of ", loaded, " from ", config_.model.init_from, " (--model.init_from)");
}

void TrainingLoop::startAdaptiveAugmentation(const checkpoint::ResumePoint& resume) {
  const train::AdaSettings settings{config_.train.ada_target, config_.train.ada_interval, config_.train.ada_kimg,
                                    global_batch_};
  const auto& restored = resume.position.ada;
  ada_.emplace(settings, restored ? restored->state : train::AdaState{});
  if (restored && restored->pending) {
    agreement_.resumeWith({true, 0, restored->pending_sign_sum, restored->pending_rows});
  }
  log0f("adaptive augmentation: target r_t ", settings.target, ", p moves by ", settings.stepSize(), " every ",
        settings.interval, " steps", restored ? ", continuing at p = " : ", starting at p = ", ada_->p(),
        resume.resumed && !restored ? " (the checkpoint holds no augmentation state)" : "");
}

}  // namespace

RunSummary runTraining(const Config& config, comm::Communicator& communicator, const torch::Device& device,
                       const RunEnvironment& environment) {
  return TrainingLoop(config, communicator, device, environment).run();
}

}  // namespace gan::run
