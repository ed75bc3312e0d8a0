#include "coordinator/training_run.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "common/error.h"
#include "common/log.h"
#include "coordinator/checkpoint.h"
#include "coordinator/metrics_log.h"
#include "coordinator/sample_grid.h"
#include "coordinator/step_inputs.h"
#include "data/image_dataset.h"
#include "data/sample_order.h"
#include "models/gan_networks.h"
#include "train/gan_trainer.h"
#include "train/latent_noise.h"
#include "train/replica_check.h"

namespace fs = std::filesystem;

namespace gan::coordinator {
namespace {

using Clock = std::chrono::steady_clock;

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

// The sample grid always uses the same noise, so grids of different steps are comparable.
std::string writeSampleGrid(train::GanTrainer& trainer, const torch::Tensor& grid_noise, int64_t height,
                            int64_t width, const fs::path& path) {
  torch::NoGradGuard no_grad;
  auto samples = trainer.generator().forward(grid_noise);
  writePng(path.string(), makeSampleGrid(samples, height, width, 8, 8));
  return path.string();
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
  RunSummary summary;
  const auto started = Clock::now();

  const std::string data_dir = config.data.path.empty() ? data::defaultDataDirectory(config.data.name)
                                                        : config.data.path;
  auto dataset = data::ImageDataset::loadMnistFormat(data_dir, "train");
  log0f("data: ", dataset.source(), " (", dataset.size(), " images of ", dataset.height(), "x", dataset.width(), ")");

  torch::manual_seed(config.train.seed);
  auto networks = models::buildGanNetworks(config.model, dataset.featureSize());
  networks.generator->to(device);
  networks.discriminator->to(device);

  train::TrainerOptions options;
  options.loss = train::parseGanLoss(config.train.loss);
  options.adam_g = {config.train.lr_g, config.train.beta1, config.train.beta2};
  options.adam_d = {config.train.lr_d, config.train.beta1, config.train.beta2};
  options.bucket_bytes = static_cast<int64_t>(config.comm.bucket_mb * 1024 * 1024);
  train::GanTrainer trainer(networks, communicator, options);
  trainer.broadcastParameters();
  log0f("model: G ", trainer.generatorParameters().numel(), " parameters, D ",
        trainer.discriminatorParameters().numel(), " parameters; gradient buckets: G ",
        trainer.generatorBuckets().bucketCount(), ", D ", trainer.discriminatorBuckets().bucketCount());

  const int64_t per_rank = config.train.batch_size;
  const int64_t global_batch = per_rank * world;
  data::GlobalSampleOrder order(dataset.size(), global_batch, static_cast<uint64_t>(config.train.seed));
  const data::BatchRows rows = data::rowsForRank(rank, world, per_rank);
  log0f("training: ", config.train.max_steps, " steps, global batch ", global_batch, " (", world, " x ", per_rank,
        "), ", order.stepsPerEpoch(), " steps per epoch, device ", device.str());

  const fs::path out_dir(config.output.dir);
  std::unique_ptr<MetricsLog> metrics;
  if (coordinator) {
    fs::create_directories(out_dir / "samples");
    metrics = std::make_unique<MetricsLog>((out_dir / "metrics.jsonl").string());
  }
  const uint64_t seed = static_cast<uint64_t>(config.train.seed);
  const int64_t latent = config.model.latent_dim;
  const auto grid_noise = noiseTensor(seed, train::kSampleGridNoiseStep, 0, 64, latent, device);

  const int64_t last = config.train.max_steps;
  auto window_start = Clock::now();
  int64_t window_steps = 0;
  for (int64_t step = 0; step < last; ++step) {
    const auto inputs = stepInputs(dataset, order, rows, seed, step, latent, device);
    const train::StepOutputs outputs = trainer.step(inputs.real, inputs.z);
    const int64_t done = step + 1;
    ++window_steps;

    if (config.comm.check_every > 0 && done % config.comm.check_every == 0) {
      train::verifyReplicasAgree(trainer, communicator, done);
    }
    if (due(config.output.log_every, done, last)) {
      // Global means: each rank's value over equal-sized shards, summed then divided.
      const auto summary_values = train::summarize(outputs);
      double value[4] = {summary_values.loss_d, summary_values.loss_g, summary_values.d_real, summary_values.d_fake};
      communicator.allreduce({value, 4, comm::ScalarType::Float64, comm::MemorySpace::Host});
      const double now_s = std::chrono::duration<double>(Clock::now() - started).count();
      const double window_s = std::chrono::duration<double>(Clock::now() - window_start).count();
      const double samples_per_s = double(window_steps * global_batch) / window_s;
      const double eta_s = window_s / double(window_steps) * double(last - done);
      if (coordinator) {
        char line[256];
        std::snprintf(line, sizeof line,
                      "step %ld/%ld  loss_d %.4f  loss_g %.4f  D(x) %.3f  D(G(z)) %.3f  %.0f samples/s  ETA %s",
                      long(done), long(last), value[0] / world, value[1] / world, value[2] / world,
                      value[3] / world, samples_per_s, formatDuration(eta_s).c_str());
        log0(line);
        metrics->append({{"step", done},
                         {"epoch", order.epochOfStep(step)},
                         {"loss_d", value[0] / world},
                         {"loss_g", value[1] / world},
                         {"d_real", value[2] / world},
                         {"d_fake", value[3] / world},
                         {"samples_per_s", samples_per_s},
                         {"wall_time_s", now_s}});
      }
      window_start = Clock::now();
      window_steps = 0;
    }
    if (coordinator && due(config.output.sample_every, done, last)) {
      char name[32];
      std::snprintf(name, sizeof name, "step_%08ld.png", long(done));
      summary.last_sample = writeSampleGrid(trainer, grid_noise, dataset.height(), dataset.width(),
                                            out_dir / "samples" / name);
    }
    if (coordinator && due(config.output.checkpoint_every, done, last)) {
      summary.last_checkpoint = writeCheckpoint(config.output.dir, done, trainer, config, world);
    }
    summary.steps = done;
  }
  summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return summary;
}

}  // namespace gan::coordinator
