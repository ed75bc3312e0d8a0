// End to end: the real gan_dist binary on real Fashion-MNIST, alone and under mpirun.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "comm/local_communicator.h"
#include "checkpoint/checkpoint.h"
#include "render/png_writer.h"
#include "e2e/process_helpers.h"

namespace fs = std::filesystem;

namespace {
using namespace gan::e2e;

std::string trainCommand(const std::string& out, int64_t steps) {
  return std::string(GAN_DIST_BINARY) + " --config " + GAN_SOURCE_DIR + "/configs/fashion_mnist_mlp.ini" +
         " --train.max_steps=" + std::to_string(steps) + " --output.dir=" + out +
         " --output.log_every=20 --output.sample_every=30 --output.checkpoint_every=" + std::to_string(steps);
}

// What every successful run must leave behind.
void expectCompleteRun(const std::string& out, int64_t steps, int world) {
  const auto metrics = metricLines(out);
  ASSERT_EQ(int64_t(metrics.size()), steps / 20);
  for (const auto& record : metrics) {
    for (const char* key : {"step", "loss_d", "loss_g", "d_real", "d_fake", "samples_per_s"}) {
      ASSERT_TRUE(record.contains(key)) << key;
      EXPECT_TRUE(std::isfinite(record[key].get<double>())) << key << " = " << record[key];
    }
    EXPECT_GT(record["d_real"].get<double>(), 0.0);
    EXPECT_LT(record["d_real"].get<double>(), 1.0);
  }
  EXPECT_EQ(metrics.back()["step"].get<int64_t>(), steps);

  const gan::RunDirectory run(out);
  const auto grid = gan::render::readPng(run.sampleGrid(steps).string());
  EXPECT_EQ(grid.width, 8 * 28 + 9 * 2);
  EXPECT_EQ(grid.height, 8 * 28 + 9 * 2);

  // The checkpoint loads into a fresh model, and that model generates images.
  gan::Config config;
  gan::comm::LocalCommunicator local;
  gan::train::GanTrainer trainer(gan::models::buildGanNetworks(config.model, 784), local, {});
  const auto latest = gan::checkpoint::latestCheckpoint(run);
  ASSERT_FALSE(latest.empty());
  const auto loaded = gan::checkpoint::loadCheckpoint(latest, trainer);
  EXPECT_EQ(loaded.position.step, steps);
  EXPECT_EQ(loaded.position.world_size, world);
  EXPECT_EQ(trainer.generatorState().optimizer().stepCount(), steps);
  torch::NoGradGuard no_grad;
  auto samples = trainer.generator().forward(torch::randn({4, 100}));
  EXPECT_TRUE(torch::isfinite(samples).all().item<bool>());
}

TEST(EndToEnd, SingleProcessTrainsOnFashionMnist) {
  const auto out = outputDir("single");
  const auto result = run(trainCommand(out, 60));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("effective configuration"), std::string::npos);
  EXPECT_NE(result.output.find("1 rank(s), backend local"), std::string::npos) << result.output;
  expectCompleteRun(out, 60, 1);
}

TEST(EndToEnd, TwoRanksUnderMpirunTrainThroughSharedMemory) {
  const auto out = outputDir("two_ranks");
  const auto result = run(mpirun(2) + trainCommand(out, 60));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("2 rank(s), backend mpi"), std::string::npos) << result.output;
  // One node, each rank bound to a core by mpirun: the gradients take the shared-memory path on
  // the training thread.
  EXPECT_NE(result.output.find("allreduce: float sums through shared memory (all ranks on one node), run by the "
                               "training thread"),
            std::string::npos)
      << result.output;
  expectCompleteRun(out, 60, 2);
}

// Two ranks bound to the same one CPU (a hand-made taskset): each mask holds one CPU, but the
// CPU is not each rank's own, so the collectives keep their thread and waiting ranks yield.
TEST(EndToEnd, TwoRanksBoundToOneCpuDoNotCountAsHavingOwnCores) {
  const auto out = outputDir("one_cpu_two_ranks");
  const auto result = run(mpirun(2) + "--bind-to none taskset -c 0 " + trainCommand(out, 20));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("shared memory (all ranks on one node), on a communication thread"), std::string::npos)
      << result.output;
}

TEST(EndToEnd, EightOversubscribedRanksTrainTwoHundredSteps) {
  const auto out = outputDir("eight_ranks");
  const auto result = run(mpirun(8) + trainCommand(out, 200));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  // Oversubscribed, the ranks are not bound to a core each: the collectives keep their thread.
  EXPECT_NE(result.output.find("shared memory (all ranks on one node), on a communication thread"), std::string::npos)
      << result.output;
  expectCompleteRun(out, 200, 8);
}

TEST(EndToEnd, BadConfigExitsNonZeroWithOneLine) {
  const auto result = run(std::string(GAN_DIST_BINARY) + " --train.batch_size=0");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_EQ(result.output, "gan_dist: error: --train.batch_size must be a positive integer, got 0\n");

  const auto under_mpi = run(mpirun(2) + GAN_DIST_BINARY + " --train.loss=bogus");
  EXPECT_NE(under_mpi.exit_code, 0);
  EXPECT_NE(under_mpi.output.find("--train.loss must be one of nonsaturating | minimax | hinge | wgan-gp, got 'bogus'"),
            std::string::npos) << under_mpi.output;
}

TEST(EndToEnd, MissingDataFailsTheWholeJobPromptly) {
  const auto result = run(mpirun(2) + GAN_DIST_BINARY + " --data.path=/nonexistent/data --output.dir=" +
                          outputDir("missing"));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("--data.path '/nonexistent/data': no train-images-idx3-ubyte.gz"), std::string::npos)
      << result.output;
}

}  // namespace
