// The reference model's shapes and parameter counts (seed design: G 100-256-256-784, D 784-256-256-1).
#include <gtest/gtest.h>

#include "common/error.h"
#include "models/gan_networks.h"
#include "support/error_message.h"

namespace {

TEST(Models, ReferenceMlpMapsNoiseToImagesInRangeAndImagesToOneLogit) {
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
  // A typed --model.arch cannot hold an unknown name: the name is refused where it is parsed.
  EXPECT_THROW(gan::parseOptionValue<gan::ModelArch>("transformer", "--model.arch"), gan::Error);
}

}  // namespace

namespace {
using gan::models::NetworkInputs;

NetworkInputs imageInputs(int64_t channels, int64_t side) {
  NetworkInputs inputs;
  inputs.sample_shape = {channels, side, side};
  return inputs;
}

int64_t countOf(torch::nn::Module& module, const std::string& fragment) {
  int64_t n = 0;
  for (const auto& item : module.named_parameters()) n += item.key().find(fragment) != std::string::npos;
  return n;
}

TEST(Models, DcganFor28x28GrayAnd32x32Rgb) {
  gan::ModelConfig config;
  config.arch = gan::ModelArch::Dcgan;
  config.width = 8;
  for (auto [channels, side] : {std::pair<int64_t, int64_t>{1, 28}, {3, 32}}) {
    auto nets = gan::models::buildGanNetworks(config, imageInputs(channels, side));
    auto samples = nets.generator->forward(torch::randn({3, 100}));
    EXPECT_EQ(samples.sizes(), (std::vector<int64_t>{3, channels * side * side}));
    EXPECT_LE(samples.abs().max().item<float>(), 1.0f);
    EXPECT_EQ(nets.discriminator->forward(samples).sizes(), (std::vector<int64_t>{3, 1}));
    EXPECT_FALSE(nets.discriminator->usesBatchStatistics());
  }
  // 28 = 7 x 2 x 2: two upsampling stages; 32 = 4 x 2 x 2 x 2: three.
  EXPECT_EQ(countOf(*gan::models::buildGenerator(config, imageInputs(1, 28)), "up"), 4);
  EXPECT_EQ(countOf(*gan::models::buildGenerator(config, imageInputs(3, 32)), "up"), 6);
}

TEST(Models, WidthScalesTheChannels) {
  gan::ModelConfig narrow, wide;
  narrow.arch = wide.arch = gan::ModelArch::Dcgan;
  narrow.width = 4;
  wide.width = 16;
  auto count = [](const std::shared_ptr<gan::models::Discriminator>& d) {
    int64_t n = 0;
    for (const auto& p : d->parameters()) n += p.numel();
    return n;
  };
  EXPECT_GT(count(gan::models::buildDiscriminator(wide, imageInputs(1, 28))),
            4 * count(gan::models::buildDiscriminator(narrow, imageInputs(1, 28))));
}

TEST(Models, BatchNormPolicyAddsNormalisationExceptUnderAGradientPenalty) {
  gan::ModelConfig config;
  config.arch = gan::ModelArch::Dcgan;
  config.width = 4;
  config.batchnorm = gan::BatchNormPolicy::Local;
  auto inputs = imageInputs(1, 28);
  auto nets = gan::models::buildGanNetworks(config, inputs);
  EXPECT_GT(countOf(*nets.generator, "bn"), 0);
  EXPECT_GT(countOf(*nets.discriminator, "bn"), 0);
  EXPECT_TRUE(nets.discriminator->usesBatchStatistics());
  inputs.gradient_penalty = true;
  auto penalised = gan::models::buildGanNetworks(config, inputs);
  EXPECT_GT(countOf(*penalised.generator, "bn"), 0);
  EXPECT_EQ(countOf(*penalised.discriminator, "bn"), 0);
  EXPECT_FALSE(penalised.discriminator->usesBatchStatistics());
  config.batchnorm = gan::BatchNormPolicy::Sync;  // needs a communicator
  EXPECT_THROW(gan::models::buildGanNetworks(config, imageInputs(1, 28)), gan::Error);
}

TEST(Models, Mlp2dHasThreeHiddenLayersAndAnUnboundedOutput) {
  gan::ModelConfig config;
  config.arch = gan::ModelArch::Mlp2d;
  config.hidden_dim = 16;
  config.latent_dim = 4;
  auto nets = gan::models::buildGanNetworks(config, 2);
  EXPECT_EQ(countOf(*nets.generator, "weight"), 4);
  EXPECT_EQ(countOf(*nets.discriminator, "weight"), 4);
  // A linear output layer reaches the grid's outer modes at +-4.
  auto fc4 = nets.generator->named_parameters()["fc4.bias"];
  torch::NoGradGuard no_grad;
  fc4.fill_(10.0);
  EXPECT_GT(nets.generator->forward(torch::zeros({1, 4})).min().item<float>(), 4.0f);
}

TEST(Models, DcganRejectsPointsAndOddShapes) {
  gan::ModelConfig config;
  config.arch = gan::ModelArch::Dcgan;
  NetworkInputs points;
  points.sample_shape = {2};
  EXPECT_THROW(gan::models::buildGanNetworks(config, points), gan::Error);
  EXPECT_THROW(gan::models::buildGanNetworks(config, imageInputs(1, 6)), gan::Error);
}

TEST(Models, SamplingLeavesTrainingModeAndGradientsAlone) {
  gan::ModelConfig config;
  config.arch = gan::ModelArch::Dcgan;
  config.width = 4;
  config.batchnorm = gan::BatchNormPolicy::Local;
  auto nets = gan::models::buildGanNetworks(config, imageInputs(1, 28));
  const auto samples = gan::models::generateSamples(*nets.generator, torch::randn({4, 100}));
  EXPECT_FALSE(samples.requires_grad());
  EXPECT_TRUE(nets.generator->is_training());
}

}  // namespace

namespace {

// The table of architectures (common/architectures.h) and the builders' rows (gan_networks.cpp)
// agree: every architecture has a name that parses back to it, a --help entry, and builders that
// make a G and D of the data's shape (or, written in PyTorch, ask for their files).
TEST(Models, EveryArchitectureHasANameHelpAndBuilders) {
  for (const auto& traits : gan::kArchitectures) {
    SCOPED_TRACE(traits.name);
    EXPECT_EQ(gan::parseOptionValue<gan::ModelArch>(traits.name, "--model.arch"), traits.arch);
    gan::ModelConfig config;
    config.arch = traits.arch;
    config.width = 8;
    gan::models::NetworkInputs inputs;
    inputs.sample_shape = {1, 28, 28};
    if (traits.written_in_pytorch) {
      const auto error = gan::test_support::errorMessageOf([&] { gan::models::buildGanNetworks(config, inputs); });
      EXPECT_NE(error.find("--model.generator_file"), std::string::npos) << error;
      continue;
    }
    auto networks = gan::models::buildGanNetworks(config, inputs);
    const auto z = torch::randn({3, config.latent_dim});
    const auto samples = networks.generator->forward(z);
    EXPECT_EQ(samples.sizes(), (std::vector<int64_t>{3, 784}));
    EXPECT_EQ(networks.discriminator->forward(samples).sizes(), (std::vector<int64_t>{3, 1}));
    // Its TorchScript export (gan_export) runs the same forward.
    torch::NoGradGuard no_grad;
    auto exported = networks.generator->toTorchScript({config.latent_dim, inputs.sample_shape});
    const auto again = exported.forward({z}).toTensor();
    EXPECT_TRUE(torch::allclose(again.reshape({3, 784}), networks.generator->forward(z), 1e-5, 1e-6));
  }
}

}  // namespace
