// The 2-D evaluation end to end through QualityEvaluator, with generators whose answers are
// known: one that samples the true mixture, one collapsed onto a mode, one that misses all.
#include <gtest/gtest.h>

#include "comm/local_communicator.h"
#include "common/error.h"
#include "datasets/gaussian_mixture.h"
#include "eval/quality_evaluator.h"
#include "support/identical_replicas_communicator.h"
#include "support/error_message.h"

namespace {
using namespace gan;

// Points at `modes[choice(z)] + spread * z[:, 1:3]`.
class ScriptedGenerator final : public models::Generator {
 public:
  ScriptedGenerator(torch::Tensor modes, double spread, bool collapsed)
      : modes_(modes.to(torch::kFloat32)), spread_(spread), collapsed_(collapsed) {}
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& /*labels*/) override {
    auto choice = collapsed_ ? torch::zeros({z.size(0)}, torch::kInt64)
                             : (z.select(1, 0).abs() * 1e4).to(torch::kInt64).remainder(modes_.size(0));
    return modes_.index_select(0, choice) + spread_ * z.narrow(1, 1, 2);
  }

 private:
  torch::Tensor modes_;
  double spread_;
  bool collapsed_;
};

Config ringConfig() {
  Config config;
  config.data.name = gan::DataSetName::Ring8;
  config.eval.samples = 2000;
  return config;
}

eval::Measurements evaluate(const Config& config, double spread, bool collapsed) {
  comm::LocalCommunicator alone;
  auto evaluator = eval::createEvaluator(config, alone, torch::kCPU);
  const auto ring = data::GaussianMixtureDataset::named(gan::DataSetName::Ring8);
  ScriptedGenerator generator(ring.modes(), spread, collapsed);
  return evaluator->evaluate(generator, 3, 11);
}

double valueOf(const eval::Measurements& measurements, const std::string& name) {
  for (const auto& [key, value] : measurements) {
    if (key == name) return value;
  }
  ADD_FAILURE() << "no " << name;
  return -1;
}

TEST(QualityEvaluator, TrueMixtureCoversEveryModeWithHighQuality) {
  const auto m = evaluate(ringConfig(), 0.02, false);
  EXPECT_EQ(valueOf(m, "eval_modes"), 8);
  EXPECT_NEAR(valueOf(m, "eval_high_quality"), 1 - std::exp(-4.5), 0.01);
}

TEST(QualityEvaluator, CollapsedGeneratorCoversOneMode) {
  const auto m = evaluate(ringConfig(), 0.02, true);
  EXPECT_EQ(valueOf(m, "eval_modes"), 1);
  EXPECT_GT(valueOf(m, "eval_high_quality"), 0.95);
}

TEST(QualityEvaluator, BlurredGeneratorHasFewHighQualitySamples) {
  const auto m = evaluate(ringConfig(), 0.5, false);
  EXPECT_LT(valueOf(m, "eval_high_quality"), 0.05);
}

TEST(QualityEvaluator, CountsAreSummedAcrossRanks) {
  // Two identical replicas each count their half: the sum must still describe 2000 samples.
  test_support::IdenticalReplicasCommunicator two(2);
  Config config = ringConfig();
  auto evaluator = eval::createEvaluator(config, two, torch::kCPU);
  const auto ring = data::GaussianMixtureDataset::named(gan::DataSetName::Ring8);
  ScriptedGenerator generator(ring.modes(), 0.02, false);
  const auto m = evaluator->evaluate(generator, 3, 11);
  EXPECT_EQ(two.calls.size(), 1u);  // one reduction of all counts
  EXPECT_EQ(valueOf(m, "eval_modes"), 8);
  EXPECT_NEAR(valueOf(m, "eval_high_quality"), 1 - std::exp(-4.5), 0.015);
}

TEST(QualityEvaluator, ImagesNeedAClassifier) {
  Config config;  // fashion_mnist
  comm::LocalCommunicator alone;
  const auto error = gan::test_support::errorMessageOf([&] { eval::createEvaluator(config, alone, torch::kCPU); });
  EXPECT_NE(error.find("--eval.classifier"), std::string::npos) << error;
  config.eval.classifier = "/nonexistent/classifier.pt";
  const auto error2 = gan::test_support::errorMessageOf([&] { eval::createEvaluator(config, alone, torch::kCPU); });
  EXPECT_NE(error2.find("gan_eval train-classifier"), std::string::npos) << error2;
}

}  // namespace
