#include "train/trainer_setup.h"

#include "common/error.h"

namespace gan::train {

std::unique_ptr<train::GanTrainer> buildTrainer(const Config& config, const std::vector<int64_t>& sample_shape,
                                                comm::Communicator& communicator, const torch::Device& device,
                                                int64_t classes) {
  auto options = train::TrainerOptions::fromConfig(config);
  if (options.augment) {
    GAN_CHECK(sample_shape.size() == 3, "--train.ada_target: adaptive augmentation needs images (channels, height, "
              "width); these samples have ", sample_shape.size(), " dimension(s)");
    options.image_geometry = {sample_shape[0], sample_shape[1], sample_shape[2]};
  }
  models::NetworkInputs inputs;
  inputs.sample_shape = sample_shape;
  inputs.communicator = &communicator;
  inputs.gradient_penalty = options.gradientPenalty();
  inputs.precision = {config.train.precision, device.type()};
  inputs.classes = classes;  // used only when --model.conditional asks (gan_networks.cpp)
  torch::manual_seed(config.train.seed);
  auto networks = models::buildGanNetworks(config.model, inputs);
  networks.generator->to(device);
  networks.discriminator->to(device);
  std::shared_ptr<models::Generator> ema;
  if (options.ema_halflife_images > 0) {
    ema = models::buildGenerator(config.model, inputs);
    ema->to(device);
  }
  return std::make_unique<train::GanTrainer>(networks, communicator, options, ema);
}

}  // namespace gan::train
