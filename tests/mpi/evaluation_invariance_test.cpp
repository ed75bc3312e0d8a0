// Evaluation gives the same values on every world size, also when a sample depends on the other
// rows of its batch (batch norm outside training uses the batch's own statistics): the rows are
// generated in chunks that are a function of the global row index alone.
#include <gtest/gtest.h>

#include <cmath>

#include "comm/local_communicator.h"
#include "datasets/gaussian_mixture.h"
#include "eval/quality_evaluator.h"
#include "mpi/test_world.h"
#include "support/image_evaluation_fixture.h"
#include "support/small_trainer.h"

namespace {
using namespace gan;

// Each row lands on the ring8 mode its first latent value picks, offset by its next two latent
// values minus their batch mean: every other row of the batch moves it, as batch norm does.
class BatchCoupledGenerator final : public models::Generator {
 public:
  explicit BatchCoupledGenerator(double spread) : spread_(spread) {}
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& /*labels*/) override {
    const auto angle = (torch::sigmoid(z.select(1, 0)) * 8).floor() * (2 * M_PI / 8);
    const auto centres = torch::stack({2 * torch::cos(angle), 2 * torch::sin(angle)}, 1);
    auto offset = z.narrow(1, 1, 2);
    return centres + spread_ * (offset - offset.mean(0, true));
  }

 private:
  double spread_;
};

TEST(EvaluationInvariance, BatchCoupledGeneratorGivesTheSameValuesOnAnyWorldSize) {
  auto& world = test_support::world();
  Config config = test_support::smallTrainerConfig();  // ring8
  config.eval.every = 1;
  config.eval.samples = 1700;  // neither a multiple of the chunk nor of 3 ranks
  // Offsets of about the 3-sigma radius: a shifted batch mean moves samples in and out of it.
  BatchCoupledGenerator generator(3 * datasets::GaussianMixtureDataset::named(gan::DataSetName::Ring8).sigma());
  const auto distributed = eval::createEvaluator(config, world, torch::kCPU)->evaluate(generator, 3, 11);
  comm::LocalCommunicator alone;
  const auto reference = eval::createEvaluator(config, alone, torch::kCPU)->evaluate(generator, 3, 11);
  ASSERT_EQ(distributed.size(), reference.size());
  for (size_t i = 0; i < reference.size(); ++i) {
    EXPECT_EQ(distributed[i].first, reference[i].first);
    EXPECT_EQ(distributed[i].second, reference[i].second) << reference[i].first;
  }
  const double high_quality = reference[1].second;
  EXPECT_GT(high_quality, 0.2);  // the measure is sensitive here: neither all nor none
  EXPECT_LT(high_quality, 0.9);
}

// Images from a fixed random linear map of the noise: different rows, different images.
class LinearImageGenerator final : public models::Generator {
 public:
  LinearImageGenerator(int64_t latent_dim, int64_t pixels) {
    torch::manual_seed(5);
    map_ = torch::randn({latent_dim, pixels}) * 0.5;
  }
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& /*labels*/) override { return torch::tanh(z.mm(map_)); }

 private:
  torch::Tensor map_;
};

TEST(EvaluationInvariance, ImageMeasuresAreTheSameOnAnyWorldSize) {
  auto& world = test_support::world();
  // CIFAR-format files and an untrained classifier, per rank (the same bytes everywhere); 600
  // samples: 2 chunks of 500 and 100, so ranks with none, one, a short one.
  const auto config = test_support::cifarEvaluationConfig(
      test_support::freshTempDir("image_evaluation_rank" + std::to_string(world.rank())), 600);
  LinearImageGenerator generator(8, 3 * 32 * 32);
  const auto distributed_evaluator = eval::createEvaluator(config, world, torch::kCPU, {true});
  const auto distributed = distributed_evaluator->evaluate(generator, 8, 11);
  comm::LocalCommunicator alone;
  const auto reference_evaluator = eval::createEvaluator(config, alone, torch::kCPU, {true});
  const auto reference = reference_evaluator->evaluate(generator, 8, 11);

  ASSERT_EQ(distributed.size(), 6u);
  ASSERT_EQ(distributed.size(), reference.size());
  for (size_t i = 0; i < reference.size(); ++i) {
    EXPECT_EQ(distributed[i].first, reference[i].first);
    EXPECT_EQ(distributed[i].second, reference[i].second) << reference[i].first;
    EXPECT_TRUE(std::isfinite(reference[i].second)) << reference[i].first;
  }
  const auto references = distributed_evaluator->references(), local_references = reference_evaluator->references();
  ASSERT_EQ(references.size(), 12u);  // training images and noise, 6 measures each
  for (size_t i = 0; i < references.size(); ++i) {
    EXPECT_EQ(references[i].first, local_references[i].first);
    EXPECT_EQ(references[i].second, local_references[i].second) << references[i].first;
  }
}

}  // namespace
