#include "checkpoint/networks_from_checkpoint.h"


#include "comm/local_communicator.h"
#include "checkpoint/format/state.h"
#include "common/error.h"
#include "checkpoint/checkpoint.h"
#include "checkpoint/training_position.h"
#include "train/trainer_setup.h"
#include "data/latent_noise.h"
#include "datasets/noise_tensors.h"

namespace gan::checkpoint {
NetworksFromCheckpoint loadNetworksFromCheckpoint(const std::string& checkpoint_dir) {
  const auto verified = verifyCheckpoint(checkpoint_dir);
  const auto& state = verified.state;
  NetworksFromCheckpoint result;
  // The recorded configuration passes the same validation (limits on sizes included) as a
  // command line before anything is built from it.
  result.config = configFromCheckpointState(state, checkpoint_dir);
  GAN_CHECK(state.contains("sample_shape"), checkpoint_dir, "/state.json: no 'sample_shape' (written by an older gan_dist?)");
  try {
    result.sample_shape = state["sample_shape"].get<std::vector<int64_t>>();
  } catch (const nlohmann::json::exception&) {
    GAN_FAIL(checkpoint_dir, "/state.json: 'sample_shape' is not a list of integers");
  }
  if (result.sample_shape.size() == 2) result.sample_shape.insert(result.sample_shape.begin(), 1);  // version 1: gray {H, W}
  GAN_CHECK(result.sample_shape.size() == 1 || result.sample_shape.size() == 3, checkpoint_dir,
            "/state.json: 'sample_shape' must be {features} or {channels, height, width}");
  for (int64_t extent : result.sample_shape) {
    GAN_CHECK(extent >= 1 && extent <= 4096, checkpoint_dir, "/state.json: 'sample_shape' extent ", extent,
              " is outside 1 to 4096");
  }

  // The full trainer is the one place that knows the checkpoint layout; a local one is cheap.
  static comm::LocalCommunicator local;  // outlives the trainer, which keeps a reference
  result.class_counts = readClassCounts(state, checkpoint_dir + "/state.json");
  GAN_CHECK(!result.config.model.conditional || !result.class_counts.empty(), checkpoint_dir,
            "/state.json: a conditional model's checkpoint without 'class_counts'");
  result.trainer = train::buildTrainer(result.config, result.sample_shape, local, torch::kCPU,
                                       static_cast<int64_t>(result.class_counts.size()));
  auto& trainer = *result.trainer;
  const auto contents = loadCheckpoint(verified, trainer);
  result.generator = std::dynamic_pointer_cast<models::Generator>(trainer.generator().shared_from_this());
  result.discriminator = std::dynamic_pointer_cast<models::Discriminator>(trainer.discriminator().shared_from_this());
  if (trainer.hasEma() && contents.ema_restored) {
    result.ema_generator = std::dynamic_pointer_cast<models::Generator>(trainer.samplingGenerator().shared_from_this());
  }
  result.step = contents.position.step;
  return result;
}

GeneratorFromCheckpoint loadGeneratorFromCheckpoint(const std::string& checkpoint_dir) {
  auto networks = loadNetworksFromCheckpoint(checkpoint_dir);
  GeneratorFromCheckpoint result;
  result.from_ema = networks.ema_generator != nullptr;
  result.generator = result.from_ema ? networks.ema_generator : networks.generator;
  result.config = networks.config;
  result.sample_shape = networks.sample_shape;
  result.class_counts = networks.class_counts;
  result.latent_dim = result.config.model.latent_dim;
  result.step = networks.step;
  return result;
}

}  // namespace gan::checkpoint
