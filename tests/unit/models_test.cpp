// The reference model's shapes and parameter counts (seed design: G 100-256-256-784, D 784-256-256-1).
#include <gtest/gtest.h>

#include "common/error.h"
#include "models/gan_networks.h"

namespace {

TEST(Models, ReferenceMlpShapes) {
  gan::ModelConfig config;
  auto nets = gan::models::buildGanNetworks(config, 784);
  auto samples = nets.generator->forward(torch::randn({5, 100}));
  EXPECT_EQ(samples.sizes(), (std::vector<int64_t>{5, 784}));
  EXPECT_LE(samples.max().item<float>(), 1.0f);   // tanh output
  EXPECT_GE(samples.min().item<float>(), -1.0f);
  EXPECT_EQ(nets.discriminator->forward(samples).sizes(), (std::vector<int64_t>{5, 1}));

  int64_t g = 0, d = 0;
  for (const auto& p : nets.generator->parameters()) g += p.numel();
  for (const auto& p : nets.discriminator->parameters()) d += p.numel();
  EXPECT_EQ(g, (100 * 256 + 256) + (256 * 256 + 256) + (256 * 784 + 784));
  EXPECT_EQ(d, (784 * 256 + 256) + (256 * 256 + 256) + (256 * 1 + 1));
}

TEST(Models, SizesFollowTheConfig) {
  gan::ModelConfig config;
  config.latent_dim = 16;
  config.hidden_dim = 32;
  auto nets = gan::models::buildGanNetworks(config, 50);
  EXPECT_EQ(nets.generator->forward(torch::randn({2, 16})).sizes(), (std::vector<int64_t>{2, 50}));
  EXPECT_NE(gan::models::architectureSignature(*nets.generator),
            gan::models::architectureSignature(*gan::models::buildGanNetworks(gan::ModelConfig{}, 784).generator));
}

TEST(Models, SameSeedSameWeights) {
  torch::manual_seed(9);
  auto a = gan::models::buildGanNetworks(gan::ModelConfig{}, 784);
  torch::manual_seed(9);
  auto b = gan::models::buildGanNetworks(gan::ModelConfig{}, 784);
  auto pa = a.generator->parameters(), pb = b.generator->parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i]));
}

TEST(Models, UnknownArchitectureIsAnError) {
  gan::ModelConfig config;
  config.arch = "transformer";
  EXPECT_THROW(gan::models::buildGanNetworks(config, 784), gan::Error);
}

}  // namespace
