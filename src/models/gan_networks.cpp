#include "models/gan_networks.h"

#include <sstream>

#include "common/error.h"
#include "models/mlp_networks.h"

namespace gan::models {

GanNetworks buildGanNetworks(const ModelConfig& config, int64_t sample_dim) {
  if (config.arch == "mlp") {
    GanNetworks networks;
    networks.generator = std::make_shared<MlpGenerator>(config.latent_dim, config.hidden_dim, sample_dim);
    networks.discriminator = std::make_shared<MlpDiscriminator>(sample_dim, config.hidden_dim);
    return networks;
  }
  GAN_FAIL("--model.arch must be one of mlp, got '", config.arch, "'");
}

std::string architectureSignature(torch::nn::Module& module) {
  std::ostringstream out;
  for (const auto& item : module.named_parameters()) {
    out << item.key() << ":" << item.value().sizes() << ";";
  }
  return out.str();
}

}  // namespace gan::models
