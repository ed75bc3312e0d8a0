#include "coordinator/training_run.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <limits>
#include <cstdio>
#include <filesystem>

#include "common/error.h"
#include "common/log.h"
#include "coordinator/checkpoint.h"
#include "coordinator/fault_injection.h"
#include "coordinator/metrics_log.h"
#include "coordinator/resume.h"
#include "coordinator/run_observer.h"
#include "coordinator/sample_grid.h"
#include "coordinator/step_agreement.h"
#include "coordinator/scatter_plot.h"
#include "coordinator/step_inputs.h"
#include "coordinator/stop_signals.h"
#include "coordinator/trainer_setup.h"
#include "coordinator/watchdog.h"
#include "data/dataset.h"
#include "data/gaussian_mixture.h"
#include "eval/quality_evaluator.h"
#include "data/sample_order.h"
#include "models/gan_networks.h"
#include "monitoring/tensorboard_writer.h"
#include "monitoring/training_report.h"
#include "train/gan_trainer.h"
#include "train/latent_noise.h"
#include "train/noise_tensors.h"
#include "train/replica_check.h"

namespace fs = std::filesystem;

namespace gan::coordinator {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

bool due(int64_t every, int64_t done, int64_t last) { return every > 0 && (done % every == 0 || done == last); }

std::string formatDuration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%ldh%02ldm", long(s / 3600), long(s % 3600 / 60));
  } else {
    std::snprintf(text, sizeof text, "%ldm%02lds", long(s / 60), long(s % 60));
  }
  return text;
}

const char* signalName(int signal_number) {
  switch (signal_number) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGUSR1: return "SIGUSR1";
    default: return "a signal";
  }
}

// The progress picture always uses the same noise, so pictures of different steps compare:
// an 8x8 grid for images, a scatter plot over the true modes for 2-D points.
Image8 progressPicture(train::GanTrainer& trainer, const data::Dataset& dataset, const torch::Tensor& noise) {
  const auto samples = models::generateSamples(trainer.samplingGenerator(), noise);
  if (dataset.isImage()) return makeSampleGrid(samples, dataset.sampleShape(), 8, 8);
  return makeScatterPlot(samples, dynamic_cast<const data::GaussianMixtureDataset&>(dataset));
}

// Per-rank batch that keeps a resumed run on the checkpoint's global batch.
int64_t perRankBatch(const Config& config, const ResumePoint& resume, int world) {
  if (!resume.resumed || resume.position.global_batch == config.train.batch_size * world) {
    return config.train.batch_size;
  }
  const int64_t global = resume.position.global_batch;
  GAN_CHECK(global % world == 0, "the checkpoint was trained with a global batch of ", global, " (",
            resume.position.world_size, " ranks); ", world, " ranks cannot split it evenly. Resume on a world size that divides ",
            global, ", or pass --output.resume=never");
  log0f("resuming a ", resume.position.world_size, "-rank run on ", world, " ranks: ", global / world,
        " samples per rank keep the global batch at ", global);
  return global / world;
}

}  // namespace

torch::Device chooseDevice(const std::string& device_option, int local_rank) {
  const bool cuda = torch::cuda::is_available();
  if (device_option == "cuda" || (device_option == "auto" && cuda)) {
    GAN_CHECK(cuda, "--train.device=cuda: no CUDA device visible to LibTorch (Debian's LibTorch is CPU-only)");
    const int count = static_cast<int>(torch::cuda::device_count());
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank % count));
  }
  return torch::Device(torch::kCPU);
}

RunSummary runTraining(const Config& config, comm::Communicator& communicator, const torch::Device& device) {
  const int rank = communicator.rank();
  const int world = communicator.worldSize();
  const bool coordinator = rank == 0;
  const auto faults = FaultPlan::fromEnvironment();
  RunSummary summary;
  const auto started = Clock::now();
  installStopSignalHandlers();

  const auto dataset_owner = data::openDataset(config.data, "train");
  const data::Dataset& dataset = *dataset_owner;
  log0f("data: ", dataset.description());

  Watchdog watchdog(config.comm.timeout_s, rank, [&communicator](const std::string& report) {
    std::fprintf(stderr, "gan_dist: error on rank %d: %s\n", communicator.rank(), report.c_str());
    std::fflush(stderr);
    communicator.abortJob(1);
  });

  // A relative timeline path lives in the output directory, like everything else of the run.
  const std::string timeline_path =
      config.output.timeline.empty() || fs::path(config.output.timeline).is_absolute()
          ? config.output.timeline
          : (fs::path(config.output.dir) / config.output.timeline).string();
  RunObserver observer(watchdog, timeline_path, rank, world, config.output.timeline_steps);
  const auto trainer_owner = buildTrainer(config, dataset.sampleShape(), communicator, device, &observer);
  train::GanTrainer& trainer = *trainer_owner;
  observer.phase("start-up broadcast", [&] { trainer.broadcastParameters(); });
  log0f("model: G ", trainer.generatorParameters().numel(), " parameters, D ",
        trainer.discriminatorParameters().numel(), " parameters; gradient buckets: G ",
        trainer.generatorBuckets().bucketCount(), ", D ", trainer.discriminatorBuckets().bucketCount(),
        trainer.hasEma() ? "; samples and evaluations use the EMA of G" : "");

  ResumePoint resume;
  observer.phase("resume", [&] { resume = resumeIfRequested(config, trainer, communicator); });
  const int64_t first_step = resume.resumed ? resume.position.step : 0;
  if (resume.resumed) log0f("resumed from ", resume.checkpoint, " at step ", first_step);
  if (resume.resumed && trainer.hasEma() && !resume.ema_restored) {
    log0f("the checkpoint holds no EMA of G: the average restarts from G's weights");
  }
  if (first_step >= config.train.max_steps) {
    log0f("nothing to train: the checkpoint is at step ", first_step, " and --train.max_steps is ",
          config.train.max_steps, " (raise it to continue, or start over with --output.resume=never or another "
          "--output.dir)");
    summary.steps = first_step;
    summary.last_checkpoint = resume.checkpoint;
    return summary;
  }

  const int64_t per_rank = perRankBatch(config, resume, world);
  const int64_t global_batch = per_rank * world;
  data::GlobalSampleOrder order(dataset.size(), global_batch, static_cast<uint64_t>(config.train.seed));
  const auto recipe = StepRecipe::fromConfig(config);
  // The sample order counts discriminator batches; a step consumes d_steps of them.
  const int64_t steps_per_epoch = order.stepsPerEpoch() / config.train.d_steps;
  const data::BatchRows rows = data::rowsForRank(rank, world, per_rank);
  const int64_t last = config.train.max_steps;
  log0f("training: steps ", first_step, " to ", last, ", global batch ", global_batch, " (", world, " x ", per_rank,
        "), ", steps_per_epoch, " steps per epoch, device ", device.str());

  std::unique_ptr<eval::QualityEvaluator> evaluator;
  if (config.eval.every > 0) {
    observer.phase("evaluation set-up", [&] { evaluator = eval::createEvaluator(config, communicator, device); });
    std::string references;
    for (const auto& [name, value] : evaluator->references()) references += " " + name + "=" + std::to_string(value);
    log0f("evaluation every ", config.eval.every, " steps on ", evaluator->sampleCount(), " samples; references:",
          references);
  }

  const fs::path out_dir(config.output.dir);
  std::unique_ptr<MetricsLog> metrics;
  std::unique_ptr<monitoring::TensorBoardWriter> tensorboard;
  if (coordinator) {
    fs::create_directories(out_dir / "samples");
    metrics = std::make_unique<MetricsLog>((out_dir / "metrics.jsonl").string(), first_step);
    if (config.output.tensorboard) tensorboard = std::make_unique<monitoring::TensorBoardWriter>((out_dir / "tb").string());
  }
  const uint64_t seed = static_cast<uint64_t>(config.train.seed);
  const int64_t latent = config.model.latent_dim;
  const auto grid_noise =
      train::latentNoiseTensor(seed, train::kSampleGridNoiseStep, 0, dataset.isImage() ? 64 : 1000, latent, device);
  TrainingPosition position{0, world, global_batch, steps_per_epoch, config.train.seed, dataset.sampleShape()};

  double last_checkpoint_s = 0;
  auto checkpoint = [&](int64_t done) {
    if (!coordinator) return;
    observer.phase("checkpoint", [&] {
      const auto began = Clock::now();
      position.step = done;
      summary.last_checkpoint = writeCheckpoint(config.output.dir, position, trainer, config,
                                                done == faults.kill_checkpoint_step ? faults.kill_after_files : -1);
      pruneCheckpoints(config.output.dir, config.output.keep_last);
      last_checkpoint_s = secondsSince(began);
    });
  };

  StepAgreement agreement(communicator);
  int64_t skipped_updates = 0;
  int64_t consecutive_bad = 0;
  auto window_start = Clock::now();
  int64_t window_steps = 0;
  for (int64_t step = first_step; step < last; ++step) {
    // `step` counts from 0 for the data order and noise; people (logs, files, faults) count
    // the step being run from 1, so step `done` is the one that has just completed.
    const int64_t done = step + 1;
    observer.setStep(done);
    if (faults.hangAt(rank, done)) {
      watchdog.enter("D step", done);
      for (;;) pause();  // fault injection: this rank stops responding
    }
    auto inputs = stepInputs(dataset, order, rows, recipe, step, device);
    if (faults.nanAt(rank, done)) inputs.front().real.fill_(std::numeric_limits<float>::quiet_NaN());
    const train::StepOutputs outputs = trainer.step(inputs, step);
    ++window_steps;

    // ---- Non-finite guard: every rank saw the same averaged gradients, so all agree.
    if (outputs.d_update_skipped || outputs.g_update_skipped) {
      ++skipped_updates;
      ++consecutive_bad;
      if (!outputs.local_loss_finite) logRankLine("non-finite loss on this rank at step " + std::to_string(done));
      log0f("step ", done, ": non-finite gradients (", outputs.d_update_skipped ? "D" : "",
            outputs.d_update_skipped && outputs.g_update_skipped ? " and " : "", outputs.g_update_skipped ? "G" : "",
            "); update skipped on every rank (", consecutive_bad, " in a row, ", skipped_updates, " in total)");
      GAN_CHECK(consecutive_bad < config.train.max_bad_steps, "step ", done, ": ", consecutive_bad,
                " consecutive steps with non-finite gradients (--train.max_bad_steps=", config.train.max_bad_steps,
                "); training diverged");
    } else {
      consecutive_bad = 0;
    }

    if (config.comm.check_every > 0 && done % config.comm.check_every == 0) {
      observer.phase("replica check", [&] { train::verifyReplicasAgree(trainer, communicator, done); });
    }
    if (due(config.output.log_every, done, last)) {
      // Global means: each rank's value over equal-sized shards, summed then divided.
      const auto local = train::summarize(outputs);
      double value[4] = {local.loss_d, local.loss_g, local.d_real, local.d_fake};
      observer.phase("metrics", [&] {
        communicator.allreduce({value, 4, comm::ScalarType::Float64, comm::MemorySpace::Host},
                               {comm::ReduceOp::Average});
      });
      const double window_s = secondsSince(window_start);
      const double samples_per_s = double(window_steps * global_batch) / window_s;
      const auto communication = trainer.takeCommunicationStats();
      const double eta_s = window_s / double(window_steps) * double(last - done);
      if (coordinator) {
        char line[256];
        std::snprintf(line, sizeof line,
                      "step %ld/%ld  loss_d %.4f  loss_g %.4f  D(x) %.3f  D(G(z)) %.3f  %.0f samples/s  ETA %s",
                      long(done), long(last), value[0], value[1], value[2], value[3], samples_per_s,
                      formatDuration(eta_s).c_str());
        log0(line);
        metrics->append({{"step", done},
                         {"epoch", order.epochOfStep(step * config.train.d_steps)},
                         {"loss_d", value[0]},
                         {"loss_g", value[1]},
                         {"d_real", value[2]},
                         {"d_fake", value[3]},
                         {"samples_per_s", samples_per_s},
                         {"skipped_updates", skipped_updates},
                         {"checkpoint_s", last_checkpoint_s},
                         {"wall_time_s", secondsSince(started)}});
        if (tensorboard) {
          const double per_step_ms = 1e3 / double(window_steps);
          tensorboard->addScalar("loss/d", done, value[0]);
          tensorboard->addScalar("loss/g", done, value[1]);
          tensorboard->addScalar("d_output/real", done, value[2]);
          tensorboard->addScalar("d_output/fake", done, value[3]);
          tensorboard->addScalar("throughput/samples_per_s", done, samples_per_s);
          tensorboard->addScalar("time/step_ms", done, window_s * per_step_ms);
          tensorboard->addScalar("time/collectives_ms", done, communication.collective_seconds * per_step_ms);
          tensorboard->addScalar("time/waiting_for_collectives_ms", done, communication.exposed_seconds * per_step_ms);
          tensorboard->addScalar("health/skipped_updates", done, double(skipped_updates));
          tensorboard->flush();
        }
      }
      window_start = Clock::now();
      window_steps = 0;
    }
    if (coordinator && due(config.output.sample_every, done, last)) {
      observer.phase("sample grid", [&] {
        char name[32];
        std::snprintf(name, sizeof name, "step_%08ld.png", long(done));
        const auto grid = progressPicture(trainer, dataset, grid_noise);
        summary.last_sample = (out_dir / "samples" / name).string();
        writePng(summary.last_sample, grid);
        if (tensorboard) {
          tensorboard->addPng("samples", done, encodePng(grid), grid.height, grid.width, grid.channels);
          tensorboard->flush();
        }
      });
    }
    if (evaluator && due(config.eval.every, done, last)) {
      eval::Measurements measurements;
      observer.phase("evaluation", [&] { measurements = evaluator->evaluate(trainer.samplingGenerator(), latent, seed); });
      if (coordinator) {
        nlohmann::json line{{"step", done}};
        std::string text;
        for (const auto& [name, value] : measurements) {
          line[name] = value;
          text += "  " + name + " " + std::to_string(value);
          if (tensorboard) tensorboard->addScalar("eval/" + name.substr(5), done, value);
        }
        for (const auto& [name, value] : evaluator->references()) line[name] = value;
        metrics->append(line);
        if (tensorboard) tensorboard->flush();
        log0f("step ", done, " evaluation:", text);
      }
    }
    const bool checkpoint_due = due(config.output.checkpoint_every, done, last);
    if (checkpoint_due) checkpoint(done);
    summary.steps = done;

    // ---- The step boundary: every rank takes the same decision (on the previous boundary's
    // flags, reduced while this step computed).
    StepDecisions decisions;
    observer.phase("step boundary", [&] { decisions = agreement.exchange(); });
    if (decisions.stop_signal != 0 && done < last) {
      log0f("stop requested (", signalName(decisions.stop_signal), " on some rank) at step ", done,
            ": checkpoint and exit");
      if (!checkpoint_due) checkpoint(done);
      summary.stopped_by_signal = true;
      break;
    }
  }
  if (coordinator && config.output.report && config.output.log_every > 0) {
    summary.report = monitoring::writeTrainingReport(config.output.dir);
  }
  if (tensorboard) summary.tensorboard = tensorboard->path();
  summary.timeline = observer.timelinePath();
  summary.seconds = secondsSince(started);
  return summary;
}

}  // namespace gan::coordinator
