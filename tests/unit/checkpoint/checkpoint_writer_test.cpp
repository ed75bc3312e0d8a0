// Writing checkpoints: a full disk, the background writer (snapshots, order, failures, pruning).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "checkpoint/checkpoint.h"
#include "checkpoint/checkpoint_writer.h"
#include "comm/local_communicator.h"
#include "support/error_message.h"
#include "support/small_trainer.h"
#include "support/test_files.h"

namespace fs = std::filesystem;

namespace {
using namespace gan;

// A full disk during a checkpoint: one error naming the step and the cause, `latest` unmoved,
// no partial directory left. Needs root for a small tmpfs.
TEST(Checkpoint, AFullDiskLeavesTheLatestCheckpointAndNoPartialDirectory) {
  const auto mount_point = gan::test_support::freshTempDir("full_disk_" + std::to_string(::getpid()));
  if (std::system(("mount -t tmpfs -o size=3m tmpfs " + mount_point + " 2>/dev/null").c_str()) != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  }
  struct Unmount {
    std::string path;
    ~Unmount() {
      (void)std::system(("umount " + path).c_str());
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } unmount{mount_point};
  Config config;
  config.model.hidden_dim = 128;
  config.model.latent_dim = 8;
  comm::LocalCommunicator alone;
  train::GanTrainer trainer(models::buildGanNetworks(config.model, 784), alone, train::TrainerOptions{});
  const RunDirectory run(mount_point + "/out");
  const auto first = checkpoint::writeCheckpoint(run, {1, 1, 4, 10, 42, {784}}, trainer, config);
  const auto error = gan::test_support::errorMessageOf(
      [&] { checkpoint::writeCheckpoint(run, {2, 1, 4, 10, 42, {784}}, trainer, config); });
  EXPECT_NE(error.find("checkpoint of step 2 not written, the previous one stays the latest"), std::string::npos)
      << error;
  EXPECT_NE(error.find(run.checkpoints().string()), std::string::npos) << error;
  EXPECT_EQ(fs::canonical(checkpoint::latestCheckpoint(run)), fs::canonical(first));
  for (const auto& entry : fs::directory_iterator(run.checkpoints())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
  EXPECT_NO_THROW(checkpoint::verifyCheckpoint(first));
}


// ---- The background checkpoint writer

struct WriterFixture {
  Config config = gan::test_support::smallTrainerConfig();
  comm::LocalCommunicator alone;
  std::unique_ptr<train::GanTrainer> trainer = gan::test_support::buildSmallTrainer(config, alone);
  RunDirectory run{gan::test_support::freshTempDir(std::string("writer_") +
                                              ::testing::UnitTest::GetInstance()->current_test_info()->name())};
  WriterFixture() { config.output.dir = run.root().string(); }
  checkpoint::CheckpointSnapshot snapshotAt(int64_t step) {
    return checkpoint::takeSnapshot({step, 1, 4, 10, 42, {2}}, *trainer, config);
  }
  void train() { trainer->step(torch::randn({4, 2}), torch::randn({4, 3})); }
};

// The snapshot is a copy: training on while the writer works changes nothing in the checkpoint,
// and it holds the same bytes a synchronous write of that moment holds.
TEST(BackgroundCheckpointWriter, WritesTheStateOfTheSnapshotNotOfLaterSteps) {
  WriterFixture f;
  f.train();
  const RunDirectory synchronous(f.run.root() / "synchronous");
  const auto expected = checkpoint::writeCheckpoint(synchronous, {1, 1, 4, 10, 42, {2}}, *f.trainer, f.config);
  std::promise<void> release;
  auto released = release.get_future().share();
  checkpoint::BackgroundCheckpointWriter writer(f.run, 0, [released](int64_t) {
    return std::function<void()>([released] { released.wait(); });
  });
  writer.submit(f.snapshotAt(1));
  for (int i = 0; i < 3; ++i) f.train();  // the live weights move on while the write waits
  release.set_value();
  writer.waitUntilIdle();
  const auto finished = writer.takeFinished();
  ASSERT_EQ(finished.size(), 1u);
  ASSERT_TRUE(finished.front().ok()) << finished.front().error;
  for (const char* file : {"model_G.pt", "model_D.pt", "optim_G.pt", "optim_D.pt", "state.json", "MANIFEST"}) {
    EXPECT_EQ(gan::test_support::readText(finished.front().dir + "/" + file),
              gan::test_support::readText(expected + "/" + file))
        << file;
  }
}

// A checkpoint due while the previous one is still written waits for it; none piles up.
TEST(BackgroundCheckpointWriter, ASecondCheckpointWaitsForTheFirst) {
  WriterFixture f;
  std::promise<void> release;
  auto released = release.get_future().share();
  checkpoint::BackgroundCheckpointWriter writer(f.run, 0, [released](int64_t step) {
    return step == 1 ? std::function<void()>([released] { released.wait(); }) : std::function<void()>();
  });
  writer.submit(f.snapshotAt(1));
  auto second = std::async(std::launch::async, [&] { writer.submit(f.snapshotAt(2)); });
  // The first is still being written, so the second is not handed over yet... (the snapshot of
  // step 2 may already exist; submit blocks until the writer is free)
  EXPECT_EQ(second.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  EXPECT_TRUE(writer.busy());
  release.set_value();
  second.get();
  writer.waitUntilIdle();
  const auto finished = writer.takeFinished();
  ASSERT_EQ(finished.size(), 2u);
  EXPECT_EQ(finished[0].step, 1);
  EXPECT_EQ(finished[1].step, 2);
  EXPECT_EQ(fs::path(checkpoint::latestCheckpoint(f.run)).filename(), "step_00000002");
}

// A failed write is reported, `latest` stays on the previous checkpoint, and the next one is
// written as usual.
TEST(BackgroundCheckpointWriter, AFailedWriteIsReportedAndTheNextOneWritten) {
  WriterFixture f;
  checkpoint::BackgroundCheckpointWriter writer(f.run, 0, [](int64_t step) {
    return step == 2 ? std::function<void()>([] { throw std::runtime_error("disk on fire"); })
                     : std::function<void()>();
  });
  writer.submit(f.snapshotAt(1));
  writer.submit(f.snapshotAt(2));
  writer.waitUntilIdle();
  auto finished = writer.takeFinished();
  ASSERT_EQ(finished.size(), 2u);
  EXPECT_TRUE(finished[0].ok());
  EXPECT_FALSE(finished[1].ok());
  EXPECT_NE(finished[1].error.find("checkpoint of step 2 not written, the previous one stays the latest: disk on fire"),
            std::string::npos)
      << finished[1].error;
  EXPECT_EQ(fs::path(checkpoint::latestCheckpoint(f.run)).filename(), "step_00000001");
  writer.submit(f.snapshotAt(3));
  writer.waitUntilIdle();
  finished = writer.takeFinished();
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_TRUE(finished[0].ok()) << finished[0].error;
  EXPECT_EQ(fs::path(checkpoint::latestCheckpoint(f.run)).filename(), "step_00000003");
  EXPECT_NO_THROW(checkpoint::verifyCheckpoint(checkpoint::latestCheckpoint(f.run)));
}

// The writer does not go away with a write in flight: the checkpoint is complete and durable
// when it is destroyed (the end of a run, an exception unwinding the training loop). Pruning
// applies after each write.
TEST(BackgroundCheckpointWriter, DestructionWaitsForTheWriteInFlightAndPruningFollowsEachWrite) {
  WriterFixture f;
  {
    checkpoint::BackgroundCheckpointWriter writer(f.run, 2, [](int64_t) {
      return std::function<void()>([] { std::this_thread::sleep_for(std::chrono::milliseconds(20)); });
    });
    for (int64_t step = 1; step <= 4; ++step) writer.submit(f.snapshotAt(step));
  }
  const auto kept = checkpoint::listCheckpoints(f.run);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(fs::path(kept[0]).filename(), "step_00000004");
  EXPECT_EQ(fs::path(kept[1]).filename(), "step_00000003");
  EXPECT_NO_THROW(checkpoint::verifyCheckpoint(kept[0]));
}

// Sets or clears the immutable flag of `path` (what makes removing it fail even for root, like a
// reader holding a file open on NFS); false where the file system or the user cannot.
bool setImmutable(const std::string& path, bool immutable) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  int flags = 0;
  bool done = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  flags = immutable ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
  done = done && ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  ::close(fd);
  return done;
}

// Removing an older checkpoint can fail after the new one is durable and `latest`: that is a
// warning about the old one, not a failed write (which ended runs with exit 1 and stopped the
// elastic launcher); the next write prunes what it can.
TEST(BackgroundCheckpointWriter, APruneThatFailsIsAWarningNotAFailedWrite) {
  WriterFixture f;
  checkpoint::BackgroundCheckpointWriter writer(f.run, 1);
  writer.submit(f.snapshotAt(1));
  writer.waitUntilIdle();
  ASSERT_TRUE(writer.takeFinished().front().ok());
  const std::string pinned = checkpoint::latestCheckpoint(f.run) + "/state.json";
  if (!setImmutable(pinned, true)) GTEST_SKIP() << "cannot make a file immutable here (needs root on ext4 or similar)";
  writer.submit(f.snapshotAt(2));
  writer.waitUntilIdle();
  auto finished = writer.takeFinished();
  setImmutable(pinned, false);
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_TRUE(finished[0].ok()) << finished[0].error;
  EXPECT_NE(finished[0].prune_warning.find("removing older checkpoints after step 2 failed"), std::string::npos)
      << finished[0].prune_warning;
  EXPECT_EQ(fs::path(checkpoint::latestCheckpoint(f.run)).filename(), "step_00000002");
  writer.submit(f.snapshotAt(3));
  writer.waitUntilIdle();
  finished = writer.takeFinished();
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_TRUE(finished[0].ok() && finished[0].prune_warning.empty()) << finished[0].prune_warning;
  const auto kept = checkpoint::listCheckpoints(f.run);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(fs::path(kept[0]).filename(), "step_00000003");
}

}  // namespace
