// Evaluation end to end through QualityEvaluator, with generators whose answers are known: in 2-D
// one that samples the true mixture, one collapsed onto a mode, one that misses all; for images
// one that copies the images trained on and one that draws the test split's.
#include <gtest/gtest.h>

#include "comm/local_communicator.h"
#include "common/error.h"
#include "datasets/gaussian_mixture.h"
#include "datasets/open_dataset.h"
#include "eval/quality_evaluator.h"
#include "support/error_message.h"
#include "support/identical_replicas_communicator.h"
#include "support/image_evaluation_fixture.h"
#include "support/test_files.h"

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
  const auto ring = datasets::GaussianMixtureDataset::named(gan::DataSetName::Ring8);
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
  const auto ring = datasets::GaussianMixtureDataset::named(gan::DataSetName::Ring8);
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

// Returns copies of the images `rows` of a data set, row i of a batch the image its first noise
// value picks: a generator that has memorised exactly those images.
class CopyingGenerator final : public models::Generator {
 public:
  explicit CopyingGenerator(torch::Tensor images) : images_(std::move(images)) {}
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& /*labels*/) override {
    const auto choice = (torch::sigmoid(z.select(1, 0)) * images_.size(0)).to(torch::kInt64).clamp(0, images_.size(0) - 1);
    return images_.index_select(0, choice);
  }

 private:
  torch::Tensor images_;
};

torch::Tensor imagesOf(const DataConfig& data, DataSplit split) {
  auto dataset = datasets::openDataset(data, split);
  std::vector<int64_t> all(static_cast<size_t>(dataset->size()));
  for (size_t i = 0; i < all.size(); ++i) all[i] = int64_t(i);
  return dataset->batch(all, torch::kCPU);
}

// --data.limit: the distances to the images trained on sit beside those to the test images, and
// the kernel one tells a generator that copies its 40 training images from one that draws images
// it never saw (the test split's), whichever way round.
TEST(QualityEvaluator, DistanceToTheImagesTrainedOnShowsMemorisation) {
  auto config = gan::test_support::cifarEvaluationConfig(gan::test_support::freshTempDir("evaluator_memorisation"), 400);
  config.data.limit = 40;
  comm::LocalCommunicator alone;
  auto evaluator = eval::createEvaluator(config, alone, torch::kCPU);

  CopyingGenerator memoriser(imagesOf(config.data, DataSplit::Train));
  const auto memorised = evaluator->evaluate(memoriser, 4, 11);
  EXPECT_EQ(imagesOf(config.data, DataSplit::Train).size(0), 40);
  CopyingGenerator novel(imagesOf(config.data, DataSplit::Test));
  const auto unseen = evaluator->evaluate(novel, 4, 11);

  const double memorised_train = valueOf(memorised, "eval_kid_train"), memorised_test = valueOf(memorised, "eval_kid");
  const double unseen_train = valueOf(unseen, "eval_kid_train"), unseen_test = valueOf(unseen, "eval_kid");
  EXPECT_LT(memorised_train * 10, memorised_test) << "a copy of the training images is far closer to them";
  EXPECT_LT(unseen_test * 10, unseen_train) << "images from the test split are far closer to it";
  EXPECT_LT(valueOf(memorised, "eval_fd_train"), valueOf(memorised, "eval_fd"));
  EXPECT_LT(valueOf(unseen, "eval_fd"), valueOf(unseen, "eval_fd_train"));

  config.data.limit = 0;  // trained on every image: nothing to compare
  const auto whole = eval::createEvaluator(config, alone, torch::kCPU)->evaluate(memoriser, 4, 11);
  for (const auto& [key, value] : whole) EXPECT_EQ(key.find("_train"), std::string::npos) << key;
}

}  // namespace
