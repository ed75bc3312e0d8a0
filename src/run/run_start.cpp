#include "run/run_start.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "datasets/noise_tensors.h"
#include "datasets/open_dataset.h"
#include "models/gan_networks.h"
#include "render/scatter_plot.h"

namespace gan::run {
namespace {

// Classes a conditional model's progress picture shows, one row each (the first ones, beyond).
constexpr int64_t kPictureClassRows = 32;

}  // namespace

// A node that packs a large image
// folder on first use can take longer than --comm.timeout_s, and its peers must not take that for
// a hang: this wait comes before the watchdog starts, so neither the packing nor the wait for it
// is timed. (A rank that fails or dies meanwhile still ends the job: its error aborts every rank,
// and the launcher ends a job that lost a process.)
std::unique_ptr<datasets::Dataset> openDatasetOnEveryRank(const Config& config, comm::Communicator& communicator,
                                                      const resilience::FaultPlan& faults) {
  if (const int64_t delay = faults.dataDelaySeconds(communicator.rank()); delay > 0) {
    std::this_thread::sleep_for(std::chrono::seconds(delay));
  }
  auto dataset = datasets::openDataset(config.data, DataSplit::Train);
  communicator.barrier();
  return dataset;
}

// Every rank must train on the same data: each compares its fingerprint with rank 0's, and one
// that differs ends the job naming itself (a node whose --data.path holds another copy).
datasets::DataFingerprint agreeOnData(const datasets::Dataset& dataset, comm::Communicator& communicator) {
  const auto mine = datasets::fingerprintOf(dataset);
  if (communicator.worldSize() == 1) return mine;
  const auto text = comm::broadcastText(communicator.rank() == 0 ? mine.toJson().dump() : std::string(), 0, communicator);
  const auto rank0 = datasets::DataFingerprint::fromJson(nlohmann::json::parse(text), "rank 0's data fingerprint");
  GAN_CHECK(mine == rank0, "rank ", communicator.rank(), " opened other data than rank 0 (", mine.describe(),
            " here, ", rank0.describe(), " on rank 0): every node's --data.path must hold the same data");
  return mine;
}

// "6000 each" when the classes are balanced, else "smallest 12 (class 3), largest 480 (class 0)".
std::string describeClassCounts(const std::vector<int64_t>& counts) {
  const auto [smallest, largest] = std::minmax_element(counts.begin(), counts.end());
  if (*smallest == *largest) return std::to_string(*smallest) + " images each";
  return "smallest " + std::to_string(*smallest) + " images (class " + std::to_string(smallest - counts.begin()) +
         "), largest " + std::to_string(*largest) + " (class " + std::to_string(largest - counts.begin()) + ")";
}

// Per-rank batch that keeps a resumed run on the checkpoint's global batch.
int64_t perRankBatch(const Config& config, const checkpoint::ResumePoint& resume, int world) {
  if (!resume.resumed || resume.position.global_batch == config.train.batch_size * world) {
    return config.train.batch_size;
  }
  const int64_t global = resume.position.global_batch;
  GAN_CHECK_AGREED(global % world == 0, "the checkpoint was trained with a global batch of ", global, " (",
            resume.position.world_size, " ranks); ", world, " ranks cannot split it evenly. Resume on a world size that divides ",
            global, ", or pass --output.resume=never");
  GAN_CHECK_AGREED(config.train.mode_seeking == 0 || (global / world) % 2 == 0,
            "--train.mode_seeking pairs rows (2i, 2i+1) of each rank's batch, and the checkpoint's global batch of ",
            global, " split over ", world, " ranks is ", global / world, " per rank: resume on a world size that "
            "leaves an even batch per rank, or pass --output.resume=never");
  log0f("resuming a ", resume.position.world_size, "-rank run on ", world, " ranks: ", global / world,
        " samples per rank keep the global batch at ", global);
  return global / world;
}

void checkResumedData(const Config& config, const checkpoint::ResumePoint& resume, const datasets::DataFingerprint& now) {
  if (resume.resumed && resume.position.data && *resume.position.data != now) {
    const std::string change = "the data differs from what the checkpoint was trained on (" +
                               resume.position.data->describe() + " then, " + now.describe() + " now)";
    GAN_CHECK_AGREED(config.data.allow_changed, "--output.resume: ", change, "; resume with the same data, pass "
                     "--data.allow_changed=true to go on with this data (the sample order and any held-out split are "
                     "rebuilt from it), or --output.resume=never to start over");
    if (logRank() == 0) {
      logWarning(change + ": going on with it (--data.allow_changed); the sample order and any held-out split are "
                 "rebuilt from the data as it is now");
    }
  }
}

void describeTrainer(train::GanTrainer& trainer, const Config& config) {
  auto& g = trainer.generatorState();
  auto& d = trainer.discriminatorState();
  log0f("model: G ", g.parameters().numel(), " parameters, D ", d.parameters().numel(),
        " parameters; gradient buckets: G ", g.buckets().bucketCount(), ", D ", d.buckets().bucketCount(),
        trainer.hasEma() ? "; samples and evaluations use the EMA of G" : "");
  if (config.train.precision != TrainPrecision::Fp32) {
    log0f("precision: ", models::describePrecision(trainer.generator().layerPrecisions(),
                                                   trainer.discriminator().layerPrecisions()),
          "; weights, Adam, losses and penalties in fp32");
  }
  for (parallel::NetworkState* network : trainer.networkStates()) {
    const std::string reduction = network->reduction().describe();
    if (!reduction.empty()) log0f("gradients of ", network->name(), ": ", reduction);
  }
  if (trainer.overlapsNextStep()) {
    log0f("D's real and generated halves run as separate passes; the next step's real half overlaps G's "
          "reduction (--comm.overlap_next_step)");
  } else if (config.comm.overlap_next_step) {
    log0f("--comm.overlap_next_step has no effect here: D's real half depends on more than D's weights and the "
          "real batch (batch norm in D, ADA or WGAN-GP)");
  }
}

// The progress picture always uses the same noise, so pictures of different steps compare:
// an 8x8 grid for images (a conditional model: a row per class, the same noise down each
// column), a scatter plot over the true modes for 2-D points.
render::Image8 progressPicture(train::GanTrainer& trainer, const datasets::Dataset& dataset, const torch::Tensor& noise) {
  auto& generator = trainer.samplingGenerator();
  if (generator.conditional()) {
    const int64_t rows = std::min(generator.classes(), kPictureClassRows);
    const auto grid = datasets::classGridInputs(noise.narrow(0, 0, 8), 0, rows);
    return render::makeSampleGrid(models::generateSamples(generator, grid.z, grid.labels), dataset.sampleShape(), rows, 8);
  }
  const auto samples = models::generateSamples(generator, noise);
  if (dataset.isImage()) return render::makeSampleGrid(samples, dataset.sampleShape(), 8, 8);
  const auto modes = dataset.mixtureModes();
  GAN_CHECK(modes.has_value(), dataset.description(), ": 2-D samples need a mixture's modes to be drawn against");
  return render::makeScatterPlot(samples, *modes);
}

}  // namespace gan::run
