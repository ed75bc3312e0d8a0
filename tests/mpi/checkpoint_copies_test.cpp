// Checkpoints on every storage of the output directory: which ranks keep a copy (one for a shared
// directory, one per node-local one), and a resume that agrees on the newest copy any rank holds,
// so losing rank 0's node, or a damaged copy, costs nothing while another copy exists.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "checkpoint/checkpoint.h"
#include "checkpoint/checkpoint_storage.h"
#include "checkpoint/resume.h"
#include "common/error.h"
#include "mpi/test_world.h"
#include "support/small_trainer.h"
#include "support/test_files.h"

namespace fs = std::filesystem;

namespace {
using namespace gan;

// One directory for all ranks: rank 0's, received by everyone.
std::string sharedDir(comm::Communicator& world, const std::string& name) {
  std::string dir = world.rank() == 0 ? test_support::freshTempDir(name) : "";
  char path[4096] = {0};
  std::snprintf(path, sizeof path, "%s", dir.c_str());
  world.broadcast({path, sizeof path, comm::ScalarType::UInt8, comm::MemorySpace::Host}, 0);
  return path;
}

// A directory of this rank's own, as a node-local disk would be.
std::string ownDir(comm::Communicator& world, const std::string& name) {
  return test_support::freshTempDir(name + "_rank" + std::to_string(world.rank()) + "_" + std::to_string(::getpid()));
}

bool holdsProbeFiles(const std::string& dir) {
  const auto checkpoints = RunDirectory(dir).checkpoints();
  if (!fs::exists(checkpoints)) return false;  // one rank alone probes nothing
  for (const auto& entry : fs::directory_iterator(checkpoints)) {
    if (entry.path().filename().string().rfind(".storage_probe", 0) == 0) return true;
  }
  return false;
}

TEST(CheckpointCopies, ASharedDirectoryHoldsOneCopyWrittenByRankZero) {
  auto& world = test_support::world();
  const std::string dir = sharedDir(world, "copies_shared");
  const auto storage = checkpoint::probeCheckpointStorage(RunDirectory(dir), world);
  EXPECT_EQ(storage.copies, 1);
  EXPECT_EQ(storage.writes_here, world.rank() == 0);
  world.barrier();
  EXPECT_FALSE(holdsProbeFiles(dir));
}

TEST(CheckpointCopies, NodeLocalDirectoriesEachHoldACopy) {
  auto& world = test_support::world();
  const std::string dir = ownDir(world, "copies_local");
  const auto storage = checkpoint::probeCheckpointStorage(RunDirectory(dir), world);
  EXPECT_EQ(storage.copies, world.worldSize());
  EXPECT_TRUE(storage.writes_here);
  EXPECT_FALSE(holdsProbeFiles(dir));
}

// Node-local output directories whose checkpoints/ is a link onto one shared directory: the
// probe looks where the files go, so one copy is written there (not one per rank into the same
// directory, each pruning the others').
TEST(CheckpointCopies, ProbesWhereTheCheckpointsGoNotTheOutputDirectory) {
  auto& world = test_support::world();
  const std::string shared = sharedDir(world, "copies_linked_target");
  const std::string own = ownDir(world, "copies_linked");
  fs::create_directory_symlink(shared, RunDirectory(own).checkpoints());
  const auto storage = checkpoint::probeCheckpointStorage(RunDirectory(own), world);
  EXPECT_EQ(storage.copies, 1);
  EXPECT_EQ(storage.writes_here, world.rank() == 0);
  world.barrier();
  EXPECT_FALSE(holdsProbeFiles(own));
}

// PowerSGD's per-rank rows reach every rank that writes checkpoints (here the even ones, as with
// two ranks per node-local directory), and no other rank keeps them after the gather.
TEST(CheckpointCopies, OnlyCheckpointWritersKeepTheGatheredPerRankRows) {
  auto& world = test_support::world();
  Config config = test_support::smallTrainerConfig();
  config.comm.compress = GradientCompression::PowerSgd;
  config.comm.powersgd_rank = 1;
  config.comm.powersgd_warmup_steps = 0;
  auto trainer = test_support::buildSmallTrainer(config, world);
  trainer->broadcastState();
  trainer->step(torch::randn({4, 2}), torch::randn({4, 3}));
  const bool writer = world.rank() % 2 == 0;
  trainer->gatherPerRankState(/*to_every_rank=*/true, /*keep_here=*/writer);
  for (auto* network : trainer->networkStates()) {
    if (writer) {
      EXPECT_EQ(network->takeGatheredPerRankState().size(0), world.worldSize());
    } else {
      EXPECT_THROW(network->takeGatheredPerRankState(), Error);
    }
  }
}

// Every rank keeps copies of steps 2 and 4 (with PowerSGD, whose per-rank rows reach every
// copy). Rank 0 loses its step 4, rank 1's step 4 is damaged: the resume takes step 4 from the
// next rank that holds a good copy and continues exactly, each rank with its own error feedback.
TEST(CheckpointCopies, ResumeTakesTheNewestCopyAnyRankHoldsPastLostAndDamagedOnes) {
  auto& world = test_support::world();
  const int n = world.worldSize(), r = world.rank();
  Config config = test_support::smallTrainerConfig();
  config.comm.compress = GradientCompression::PowerSgd;
  config.comm.powersgd_rank = 1;
  config.comm.powersgd_warmup_steps = 0;
  config.output.dir = ownDir(world, "copies_resume");
  const RunDirectory run(config.output.dir);
  const auto storage = checkpoint::probeCheckpointStorage(run, world);
  ASSERT_EQ(storage.copies, n);

  auto trainer = test_support::buildSmallTrainer(config, world);
  trainer->broadcastState();
  torch::manual_seed(100 + r);  // each rank its own batches: the error feedback differs by rank
  for (int64_t step = 1; step <= 4; ++step) {
    trainer->step(torch::randn({4, 2}), torch::randn({4, 3}));
    if (step % 2 != 0) continue;
    trainer->gatherPerRankState(storage.copies > 1);
    checkpoint::writeCheckpoint(run, {step, n, 4 * n, 10, 42, {2}}, *trainer, config);
  }
  std::vector<torch::Tensor> expected;
  for (auto* network : trainer->networkStates()) {
    expected.push_back(network->parameters().values().clone());
    expected.push_back(network->buckets().reduction().perRankState().clone());
  }

  int expected_source = 0;
  if (n >= 2 && r == 0) fs::remove_all(run.checkpoint(4));  // rank 0's node lost its copy
  if (n >= 2) expected_source = 1;
  if (n >= 3 && r == 1) {  // rank 1's copy is damaged: one byte of G's weights flipped
    const auto path = (run.checkpoint(4) / "model_G.pt").string();
    std::string bytes = test_support::readText(path);
    bytes[bytes.size() / 2] = static_cast<char>(~bytes[bytes.size() / 2]);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }
  if (n >= 3) expected_source = 2;
  world.barrier();

  Config other_seed = config;
  other_seed.train.seed = config.train.seed + 7 + r;  // the resume must overwrite everything
  auto resumed = test_support::buildSmallTrainer(other_seed, world);
  config.output.resume = "auto";
  const auto point = checkpoint::resumeIfRequested(config, *resumed, world, storage);
  ASSERT_TRUE(point.resumed);
  EXPECT_EQ(point.position.step, 4);
  EXPECT_EQ(point.source_rank, expected_source);
  EXPECT_EQ(fs::path(point.checkpoint).filename(), "step_00000004");  // on the source's storage
  size_t i = 0;
  for (auto* network : resumed->networkStates()) {
    EXPECT_TRUE(torch::equal(network->parameters().values(), expected[i++])) << network->name();
    EXPECT_TRUE(torch::equal(network->buckets().reduction().perRankState(), expected[i++])) << network->name();
  }
}

// A node that was away keeps an older run's checkpoint of a later step (run 1000, step 8) beside
// the current run's (run 2000, step 2) on every node: the resume continues the newest run, not
// the highest step, and the older run's checkpoint is set aside where it was.
TEST(CheckpointCopies, ResumeContinuesTheNewestRunNotAnOlderRunsLaterStep) {
  auto& world = test_support::world();
  const int n = world.worldSize(), r = world.rank();
  Config config = test_support::smallTrainerConfig();
  config.output.dir = ownDir(world, "copies_runs");
  const RunDirectory run(config.output.dir);
  const auto storage = checkpoint::probeCheckpointStorage(run, world);
  auto trainer = test_support::buildSmallTrainer(config, world);
  trainer->broadcastState();
  trainer->step(torch::randn({4, 2}), torch::randn({4, 3}));
  checkpoint::TrainingPosition current{2, n, 4 * n, 10, 42, {2}};
  current.run_id = 2000;
  checkpoint::writeCheckpoint(run, current, *trainer, config);
  const bool away = r == n - 1;  // the last rank's node (the only one, alone) holds the older run too
  if (away) {
    checkpoint::TrainingPosition older{8, n, 4 * n, 10, 42, {2}};
    older.run_id = 1000;
    checkpoint::writeCheckpoint(run, older, *trainer, config);
  }
  world.barrier();

  auto resumed = test_support::buildSmallTrainer(config, world);
  config.output.resume = "auto";
  const auto point = checkpoint::resumeIfRequested(config, *resumed, world, storage);
  ASSERT_TRUE(point.resumed);
  EXPECT_EQ(point.position.step, 2);
  EXPECT_EQ(point.run_id, 2000);
  EXPECT_EQ(fs::exists(run.checkpoint(8)), false) << "the older run's checkpoint is set aside";
  if (away) {
    bool kept = false;
    for (const auto& entry : fs::recursive_directory_iterator(run.previousRuns())) {
      kept = kept || entry.path().filename() == "step_00000008";
    }
    EXPECT_TRUE(kept) << "moved under " << run.previousRuns();
  }
}

// A run that starts afresh draws its id, the same on every rank, later than any earlier run's.
TEST(CheckpointCopies, AFreshRunDrawsOneIdOnEveryRank) {
  auto& world = test_support::world();
  Config config = test_support::smallTrainerConfig();
  config.output.dir = ownDir(world, "copies_fresh_run");
  const auto storage = checkpoint::probeCheckpointStorage(RunDirectory(config.output.dir), world);
  auto trainer = test_support::buildSmallTrainer(config, world);
  config.output.resume = "auto";
  const auto point = checkpoint::resumeIfRequested(config, *trainer, world, storage);
  EXPECT_FALSE(point.resumed);
  EXPECT_GT(point.run_id, int64_t(1700000000) * 1000000);  // microseconds after 2023
  int64_t lowest = point.run_id, highest = point.run_id;
  world.allreduce({&lowest, 1, comm::ScalarType::Int64, comm::MemorySpace::Host}, {comm::ReduceOp::Min});
  world.allreduce({&highest, 1, comm::ScalarType::Int64, comm::MemorySpace::Host}, {comm::ReduceOp::Max});
  EXPECT_EQ(lowest, highest);
}

}  // namespace
