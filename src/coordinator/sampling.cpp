#include "coordinator/sampling.h"


#include "comm/local_communicator.h"
#include "common/error.h"
#include "coordinator/checkpoint.h"
#include "coordinator/trainer_setup.h"
#include "data/latent_noise.h"
#include "data/noise_tensors.h"

namespace gan::coordinator {
Config configFromCheckpointState(const nlohmann::json& state, const std::string& checkpoint_dir) {
  GAN_CHECK(state.contains("config") && state["config"].is_object(), checkpoint_dir, "/state.json: no 'config' object");
  std::vector<std::string> arguments{"gan_sample"};
  for (const auto& [key, value] : state["config"].items()) {
    if (key == "config") continue;  // the .ini it was read from; its values are all listed here
    // Boost refuses "--key=" with nothing after it; every option that may be empty defaults to empty.
    if (value.get<std::string>().empty()) continue;
    arguments.push_back("--" + key + "=" + value.get<std::string>());
  }
  std::vector<const char*> argv;
  for (const auto& argument : arguments) argv.push_back(argument.c_str());
  try {
    return parseCommandLine(static_cast<int>(argv.size()), argv.data()).config;
  } catch (const Error& e) {
    GAN_FAIL(checkpoint_dir, "/state.json: recorded configuration does not parse: ", e.what());
  }
}

CheckpointGenerator loadGeneratorFromCheckpoint(const std::string& checkpoint_dir) {
  const auto state = verifyCheckpoint(checkpoint_dir);
  CheckpointGenerator result;
  result.config = configFromCheckpointState(state, checkpoint_dir);
  GAN_CHECK(state.contains("sample_shape"), checkpoint_dir, "/state.json: no 'sample_shape' (written by an older gan_dist?)");
  result.sample_shape = state["sample_shape"].get<std::vector<int64_t>>();
  if (result.sample_shape.size() == 2) result.sample_shape.insert(result.sample_shape.begin(), 1);  // version 1: gray {H, W}

  // The full trainer is the one place that knows the checkpoint layout; a local one is cheap.
  comm::LocalCommunicator local;
  auto trainer = buildTrainer(result.config, result.sample_shape, local, torch::kCPU);
  const auto contents = loadCheckpoint(checkpoint_dir, state, *trainer);
  result.from_ema = trainer->hasEma() && contents.ema_restored;
  result.generator = std::dynamic_pointer_cast<models::Generator>(trainer->samplingGenerator().shared_from_this());
  result.latent_dim = result.config.model.latent_dim;
  result.step = contents.position.step;
  return result;
}

torch::Tensor samplingNoise(int64_t seed, int64_t n, int64_t latent_dim) {
  return data::latentNoiseTensor(static_cast<uint64_t>(seed), data::kSamplingNoiseStep, 0, n, latent_dim);
}

torch::Tensor interpolationNoise(int64_t seed, int64_t rows, int64_t steps, int64_t latent_dim) {
  auto ends = samplingNoise(seed, 2 * rows, latent_dim).view({rows, 2, latent_dim});
  auto t = torch::linspace(0, 1, steps).view({1, steps, 1});
  auto from = ends.select(1, 0).unsqueeze(1), to = ends.select(1, 1).unsqueeze(1);
  return (from * (1 - t) + to * t).reshape({rows * steps, latent_dim});
}

}  // namespace gan::coordinator
