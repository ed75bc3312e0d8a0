// Class-conditional networks (--model.conditional) and the class labels drawn for generated rows.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "common/error.h"
#include "data/latent_noise.h"
#include "models/gan_networks.h"
#include "support/error_message.h"

namespace {

gan::models::NetworkInputs inputsFor(std::vector<int64_t> sample_shape, int64_t classes) {
  gan::models::NetworkInputs inputs;
  inputs.sample_shape = std::move(sample_shape);
  inputs.classes = classes;
  return inputs;
}

gan::ModelConfig conditionalModel(gan::ModelArch arch) {
  gan::ModelConfig config;
  config.arch = arch;
  config.conditional = true;
  config.hidden_dim = 32;
  config.latent_dim = 8;
  config.width = 4;
  return config;
}

torch::Tensor parameter(torch::nn::Module& module, const std::string& name) {
  return module.named_parameters()[name];
}

// D(x, y) = head(phi(x)) + <e_y, phi(x)> / sqrt(d): with e_0 zeroed, D(x, 0) is the head alone,
// and the difference to D(x, 1) is e_1's scaled inner product with the penultimate features,
// computed here from the layers' own weights.
TEST(ClassConditioning, ProjectionTermIsTheInnerProductOfClassEmbeddingAndFeatures) {
  torch::manual_seed(3);
  auto nets = gan::models::buildGanNetworks(conditionalModel(gan::ModelArch::Mlp), inputsFor({20}, 3));
  auto& d = *nets.discriminator;
  ASSERT_EQ(d.classes(), 3);
  auto projection = parameter(d, "class_projection.weight");
  ASSERT_EQ(projection.sizes(), (std::vector<int64_t>{3, 32}));
  {
    torch::NoGradGuard no_grad;
    projection[0].zero_();
  }
  const auto x = torch::randn({5, 20});
  const auto zeros = torch::zeros({5}, torch::kInt64), ones = torch::ones({5}, torch::kInt64);
  auto features = torch::relu(torch::linear(x, parameter(d, "fc1.weight"), parameter(d, "fc1.bias")));
  features = torch::relu(torch::linear(features, parameter(d, "fc2.weight"), parameter(d, "fc2.bias")));
  const auto head = torch::linear(features, parameter(d, "fc3.weight"), parameter(d, "fc3.bias"));
  EXPECT_TRUE(torch::allclose(d.forward(x, zeros), head, 1e-5, 1e-6));
  const auto expected = (features * projection[1]).sum(1, true) / std::sqrt(32.0);
  EXPECT_TRUE(torch::allclose(d.forward(x, ones) - d.forward(x, zeros), expected, 1e-5, 1e-6));
  // Stored at unit scale (the 1/sqrt(d) factor is applied in the forward): an equalised rate.
  const auto fresh = gan::models::buildGanNetworks(conditionalModel(gan::ModelArch::Mlp), inputsFor({20}, 3));
  const auto stored = parameter(*fresh.discriminator, "class_projection.weight");
  EXPECT_NEAR(stored.std().item<double>(), 1.0, 0.25);
}

// G's class input is normalised to z's scale: scaling the embedding changes nothing.
TEST(ClassConditioning, GeneratorClassInputKeepsTheScaleOfZ) {
  torch::manual_seed(4);
  auto nets = gan::models::buildGanNetworks(conditionalModel(gan::ModelArch::Mlp), inputsFor({20}, 3));
  const auto z = torch::randn({6, 8});
  const auto labels = torch::tensor({0, 1, 2, 0, 1, 2}, torch::kInt64);
  const auto before = nets.generator->forward(z, labels);
  {
    torch::NoGradGuard no_grad;
    parameter(*nets.generator, "class_embedding.weight").mul_(50);
  }
  EXPECT_TRUE(torch::allclose(nets.generator->forward(z, labels), before, 1e-4, 1e-5));
}

TEST(ClassConditioning, EveryArchitectureTakesLabelsAndTheyChangeTheOutput) {
  for (const auto arch : {gan::ModelArch::Mlp, gan::ModelArch::Dcgan}) {
    SCOPED_TRACE(gan::optionName(arch));
    torch::manual_seed(5);
    auto nets = gan::models::buildGanNetworks(conditionalModel(arch), inputsFor({1, 28, 28}, 10));
    EXPECT_EQ(nets.generator->classes(), 10);
    EXPECT_EQ(parameter(*nets.generator, "class_embedding.weight").sizes(), (std::vector<int64_t>{10, 8}));
    const auto z = torch::randn({4, 8});
    const auto a = nets.generator->forward(z, torch::full({4}, 2, torch::kInt64));
    const auto b = nets.generator->forward(z, torch::full({4}, 7, torch::kInt64));
    EXPECT_EQ(a.sizes(), (std::vector<int64_t>{4, 784}));
    EXPECT_GT((a - b).abs().max().item<double>(), 1e-4) << "the class must reach G's output";
    const auto logits = nets.discriminator->forward(a, torch::full({4}, 2, torch::kInt64));
    EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{4, 1}));
    // Gradients reach both embeddings.
    logits.sum().backward();
    EXPECT_GT(parameter(*nets.generator, "class_embedding.weight").grad().abs().sum().item<double>(), 0);
    EXPECT_GT(parameter(*nets.discriminator, "class_projection.weight").grad().abs().sum().item<double>(), 0);
  }
}

TEST(ClassConditioning, LabelsAreCheckedAgainstTheNetwork) {
  auto conditional = gan::models::buildGanNetworks(conditionalModel(gan::ModelArch::Mlp), inputsFor({20}, 3));
  const auto z = torch::randn({4, 8});
  auto error = gan::test_support::errorMessageOf([&] { conditional.generator->forward(z); });
  EXPECT_NE(error.find("the generator is conditional (3 classes) but was given no class labels"), std::string::npos) << error;
  error = gan::test_support::errorMessageOf([&] { conditional.generator->forward(z, torch::full({4}, 3, torch::kInt64)); });
  EXPECT_NE(error.find("class labels must be in [0, 3), got 3 to 3"), std::string::npos) << error;
  error = gan::test_support::errorMessageOf([&] { conditional.generator->forward(z, torch::zeros({3}, torch::kInt64)); });
  EXPECT_NE(error.find("one int64 class label per row (4)"), std::string::npos) << error;
  auto config = conditionalModel(gan::ModelArch::Mlp);
  config.conditional = false;
  auto unconditional = gan::models::buildGanNetworks(config, inputsFor({20}, 3));
  EXPECT_EQ(unconditional.generator->classes(), 0);
  error = gan::test_support::errorMessageOf([&] { unconditional.generator->forward(z, torch::zeros({4}, torch::kInt64)); });
  EXPECT_NE(error.find("the generator is unconditional but was given class labels"), std::string::npos) << error;
  // Asking for a conditional model of data with no classes is refused when building it.
  error = gan::test_support::errorMessageOf([&] { gan::models::buildGanNetworks(conditionalModel(gan::ModelArch::Mlp), inputsFor({20}, 0)); });
  EXPECT_NE(error.find("--model.conditional needs a labelled data set"), std::string::npos) << error;
}

// An unconditional model draws the very weights it drew before conditioning existed: the
// embeddings are built last, and only when asked for.
TEST(ClassConditioning, UnconditionalWeightsDoNotDependOnTheDataClasses) {
  auto config = conditionalModel(gan::ModelArch::Dcgan);
  config.conditional = false;
  torch::manual_seed(9);
  auto without = gan::models::buildGanNetworks(config, inputsFor({1, 28, 28}, 0));
  torch::manual_seed(9);
  auto with_classes = gan::models::buildGanNetworks(config, inputsFor({1, 28, 28}, 10));
  EXPECT_EQ(gan::models::architectureSignature(*without.generator), gan::models::architectureSignature(*with_classes.generator));
  for (const auto& item : without.generator->named_parameters()) {
    EXPECT_TRUE(torch::equal(item.value(), parameter(*with_classes.generator, item.key()))) << item.key();
  }
}

TEST(ClassLabels, DrawsFollowTheClassFrequencies) {
  const std::vector<int64_t> counts{100, 300, 0, 600};
  const int64_t n = 40000;
  const auto labels = gan::data::classLabelRows(7, 3, 0, n, counts);
  std::map<int64_t, int64_t> seen;
  for (int64_t label : labels) ++seen[label];
  EXPECT_EQ(seen.count(2), 0u) << "a class with no images is never drawn";
  EXPECT_NEAR(double(seen[0]) / n, 0.1, 0.01);
  EXPECT_NEAR(double(seen[1]) / n, 0.3, 0.01);
  EXPECT_NEAR(double(seen[3]) / n, 0.6, 0.01);
}

// Row g's label depends on (seed, step, g) alone: any split of the global batch over ranks
// draws the same labels, and other steps and seeds draw others.
TEST(ClassLabels, RowKeyedLikeTheNoise) {
  const std::vector<int64_t> counts(10, 6000);
  const auto whole = gan::data::classLabelRows(7, 3, 0, 64, counts);
  const auto part = gan::data::classLabelRows(7, 3, 16, 16, counts);
  EXPECT_EQ(part, std::vector<int64_t>(whole.begin() + 16, whole.begin() + 32));
  EXPECT_NE(gan::data::classLabelRows(7, 4, 0, 64, counts), whole);
  EXPECT_NE(gan::data::classLabelRows(8, 3, 0, 64, counts), whole);
  const auto error = gan::test_support::errorMessageOf([&] { gan::data::classLabelRows(7, 3, 0, 4, {0, 0}); });
  EXPECT_NE(error.find("needs at least one image with a label"), std::string::npos) << error;
}

}  // namespace
