// Which checkpoint a run continues from: newest first, damage of every kind, changed options refused
// by name.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "checkpoint/checkpoint.h"
#include "checkpoint/resume.h"
#include "comm/local_communicator.h"
#include "support/checkpoint_files.h"
#include "support/error_message.h"
#include "support/small_trainer.h"
#include "support/test_files.h"

namespace fs = std::filesystem;

namespace {
using namespace gan;

struct ResumeFixture {
  Config config = gan::test_support::smallTrainerConfig();
  comm::LocalCommunicator alone;
  std::unique_ptr<train::GanTrainer> trainer = gan::test_support::buildSmallTrainer(config, alone);
  RunDirectory run{gan::test_support::freshTempDir(std::string("resume_") +
                                              ::testing::UnitTest::GetInstance()->current_test_info()->name())};

  ResumeFixture() { config.output.dir = run.root().string(); }
  // With a changed config, the trainer that writes the next checkpoint is built anew.
  void rebuildTrainer() { trainer = gan::test_support::buildSmallTrainer(config, alone); }
  std::string checkpointAt(int64_t step) {
    trainer->step(torch::randn({4, 2}), torch::randn({4, 3}));
    if (trainer->hasPerRankState()) trainer->gatherPerRankState();
    return checkpoint::writeCheckpoint(run, {step, 1, 4, 10, 42, {2}}, *trainer, config);
  }
  checkpoint::ResumePoint resume(const std::string& mode) {
    config.output.resume = mode;
    auto fresh = gan::test_support::buildSmallTrainer(config, alone);
    return checkpoint::resumeIfRequested(config, *fresh, alone, checkpoint::probeCheckpointStorage(run, alone));
  }
};

TEST(Resume, AutoTakesTheNewestAndFallsBackPastADamagedOne) {
  ResumeFixture f;
  EXPECT_FALSE(f.resume("auto").resumed);  // nothing there yet: a fresh start
  f.checkpointAt(10);
  const auto newest = f.checkpointAt(20);
  auto point = f.resume("auto");
  ASSERT_TRUE(point.resumed);
  EXPECT_EQ(point.position.step, 20);
  fs::resize_file(fs::path(newest) / "model_G.pt", 7);
  point = f.resume("auto");
  ASSERT_TRUE(point.resumed);
  EXPECT_EQ(point.position.step, 10);
  EXPECT_EQ(fs::path(point.checkpoint).filename(), "step_00000010");
}

TEST(Resume, NeverStartsOverAndAnExplicitPathMustLoad) {
  ResumeFixture f;
  const auto only = f.checkpointAt(5);
  EXPECT_EQ(f.resume(only).position.step, 5);
  fs::remove(fs::path(only) / "MANIFEST");
  const auto error = gan::test_support::errorMessageOf([&] { f.resume(only); });
  EXPECT_NE(error.find("MANIFEST: missing"), std::string::npos) << error;
  const auto all_damaged = gan::test_support::errorMessageOf([&] { f.resume("auto"); });
  EXPECT_NE(all_damaged.find("--output.resume=auto: no usable checkpoint"), std::string::npos) << all_damaged;
  EXPECT_FALSE(f.resume("never").resumed);  // a fresh start, whatever is there
}

// ---- Damage of every kind, and checkpoints read as untrusted input

using test_support::resealCheckpoint;

TEST(Resume, EveryKindOfDamageFallsBackToThePreviousCheckpoint) {
  using Damage = std::function<void(const std::string&)>;
  const std::vector<std::pair<std::string, Damage>> damages = {
      {"a malformed MANIFEST number", [](const std::string& dir) {
         std::ofstream(dir + "/MANIFEST", std::ios::app) << "model_G.pt 12x34 zzzzzzzz\n";
       }},
      {"a MANIFEST entry outside the checkpoint", [](const std::string& dir) {
         std::ofstream(dir + "/MANIFEST", std::ios::app) << "../../etc_passwd 10 00000000\n";
       }},
      {"a file LibTorch cannot read (resealed)", [](const std::string& dir) {
         std::ofstream(dir + "/model_D.pt", std::ios::trunc) << "not a zip archive";
         resealCheckpoint(dir);
       }},
      {"an ema_G.pt that MANIFEST does not list", [](const std::string& dir) {
         std::ofstream(dir + "/ema_G.pt") << "whatever";
       }},
      {"a directory where a file should be", [](const std::string& dir) {
         fs::remove(dir + "/optim_D.pt");
         fs::create_directory(dir + "/optim_D.pt");
       }},
      {"state.json with a wrong type (resealed)", [](const std::string& dir) {
         auto state = nlohmann::json::parse(gan::test_support::readText(dir + "/state.json"));
         state["step"] = "twenty";
         std::ofstream(dir + "/state.json", std::ios::trunc) << state.dump();
         resealCheckpoint(dir);
       }},
  };
  for (const auto& [what, damage] : damages) {
    ResumeFixture f;
    f.checkpointAt(10);
    const auto newest = f.checkpointAt(20);
    damage(newest);
    checkpoint::ResumePoint point;
    ASSERT_NO_THROW(point = f.resume("auto")) << what;
    EXPECT_TRUE(point.resumed) << what;
    EXPECT_EQ(point.position.step, 10) << what;
    // Named explicitly, the same checkpoint is one clear error naming the file.
    const auto error = gan::test_support::errorMessageOf([&] { f.resume(newest); });
    EXPECT_NE(error.find(newest), std::string::npos) << what << ": " << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << what << ": " << error;
  }
}

TEST(Resume, ChangedTrajectoryOptionsAreRefusedByNameUnlessAllowed) {
  ResumeFixture f;
  f.checkpointAt(10);
  f.config.train.seed = 7;
  f.config.train.lr_g = 0.001;
  f.config.data.limit = 2000;
  f.config.output.log_every = 3;  // free to change
  const auto error = gan::test_support::errorMessageOf([&] { f.resume("auto"); });
  EXPECT_NE(error.find("--train.lr_g 0.0002 -> 0.001"), std::string::npos) << error;
  EXPECT_NE(error.find("--train.seed 42 -> 7"), std::string::npos) << error;
  EXPECT_NE(error.find("--data.limit 0 -> 2000"), std::string::npos) << error;
  EXPECT_EQ(error.find("log_every"), std::string::npos) << error;
  EXPECT_NE(error.find("--output.resume_changes=allow"), std::string::npos) << error;
  f.config.output.resume_changes = gan::ResumeChanges::Allow;
  EXPECT_EQ(f.resume("auto").position.step, 10);
}

// The resume check is the options' own declarations (Trajectory::Shapes), not a list of its own:
// every option a checkpoint recorded with another value is named if, and only if, it is declared
// to shape the trajectory.
TEST(Resume, ExactlyTheOptionsDeclaredToShapeTheTrajectoryAreCompared) {
  ResumeFixture f;
  const auto dir = f.checkpointAt(10);
  auto state = nlohmann::json::parse(gan::test_support::readText(dir + "/state.json"));
  for (const auto& [option, value] : f.config.entries()) state["config"][option] = "recorded-" + value;
  std::ofstream(dir + "/state.json", std::ios::trunc) << state.dump();
  gan::test_support::resealCheckpoint(dir);
  const auto error = gan::test_support::errorMessageOf([&] { f.resume(dir); });
  const auto shaping = gan::Config::trajectoryOptions();
  EXPECT_GE(shaping.size(), 30u);
  for (const auto& [option, value] : f.config.entries()) {
    const bool declared = std::find(shaping.begin(), shaping.end(), option) != shaping.end();
    const std::string change = "--" + option + " recorded-" + value + " -> " + value;
    EXPECT_EQ(error.find(change) != std::string::npos, declared) << option << ": " << error;
  }
  // A few on either side, by name, so that a declaration flipped by mistake is seen here too.
  for (const char* option : {"train.seed", "train.lr_g", "model.arch", "comm.compress", "data.limit"}) {
    EXPECT_NE(std::find(shaping.begin(), shaping.end(), option), shaping.end()) << option;
  }
  for (const char* option : {"train.batch_size", "train.threads", "data.path", "output.log_every", "comm.timeout_s"}) {
    EXPECT_EQ(std::find(shaping.begin(), shaping.end(), option), shaping.end()) << option;
  }
}

// Review defect: a changed --comm.powersgd_rank, even allowed, made Q's shape differ; the load
// failed and resume took it for damage, silently falling back to an older checkpoint.
TEST(Resume, AnotherPowerSgdRankIsRefusedByNameNotTakenForDamage) {
  ResumeFixture f;
  f.config.comm.compress = gan::GradientCompression::PowerSgd;
  f.config.comm.powersgd_rank = 2;
  f.rebuildTrainer();
  f.checkpointAt(10);
  f.checkpointAt(20);
  f.config.comm.powersgd_rank = 3;
  f.config.output.resume_changes = gan::ResumeChanges::Allow;
  const auto error = gan::test_support::errorMessageOf([&] { f.resume("auto"); });
  EXPECT_EQ(error.rfind("--comm.powersgd_rank: ", 0), 0u) << error;
  EXPECT_NE(error.find("step_00000020 holds PowerSGD state of rank 2, this run asks for 3"), std::string::npos) << error;
  f.config.comm.powersgd_rank = 2;
  EXPECT_EQ(f.resume("auto").position.step, 20);
}

// Review defect: PowerSGD's per-rank rows were not checked against the world size of the run that
// wrote them before the scatter read one row per rank from them.
TEST(Resume, PerRankRowsMustMatchTheCheckpointsWorldSize) {
  ResumeFixture f;
  f.config.comm.compress = gan::GradientCompression::PowerSgd;
  f.rebuildTrainer();
  const auto dir = f.checkpointAt(10);
  const std::string file = dir + "/powersgd_D.pt";
  torch::serialize::InputArchive in;
  in.load_from(file);
  torch::Tensor q, rows;
  in.read("q", q);
  in.read("error_feedback", rows);
  ASSERT_EQ(rows.size(0), 1);  // one rank wrote it
  torch::serialize::OutputArchive out;
  out.write("q", q);
  out.write("error_feedback", torch::cat({rows, rows}));  // two rows, for a one-rank checkpoint
  out.save_to(file);
  gan::test_support::resealCheckpoint(dir);
  const auto error = gan::test_support::errorMessageOf([&] { f.resume(dir); });
  EXPECT_NE(error.find(file + ": tensor 'error_feedback' has shape [2,"), std::string::npos) << error;
  EXPECT_NE(error.find("expected (1 ranks,"), std::string::npos) << error;
}

// Review defect: trajectory options absent from an older checkpoint (compression, ADA, the data
// subset) were never compared. Absent now means the option's default, the old behaviour.
TEST(Resume, OptionsAnOldCheckpointLacksCountAsTheirDefaults) {
  ResumeFixture f;
  const auto dir = f.checkpointAt(10);
  auto state = nlohmann::json::parse(gan::test_support::readText(dir + "/state.json"));
  for (const char* option : {"comm.compress", "train.ada_target", "data.limit"}) state["config"].erase(option);
  std::ofstream(dir + "/state.json", std::ios::trunc) << state.dump();
  gan::test_support::resealCheckpoint(dir);
  f.config.comm.compress = gan::GradientCompression::BFloat16;
  f.config.data.limit = 100;
  const auto error = gan::test_support::errorMessageOf([&] { f.resume("auto"); });
  EXPECT_NE(error.find("--comm.compress none -> bf16"), std::string::npos) << error;
  EXPECT_NE(error.find("--data.limit 0 -> 100"), std::string::npos) << error;
  EXPECT_EQ(error.find("ada_target"), std::string::npos) << error;
  f.config.output.resume_changes = gan::ResumeChanges::Allow;
  EXPECT_EQ(f.resume("auto").position.step, 10);
}

// A checkpoint from before --comm.overlap_next_step existed was trained with D's halves in one
// pass: resuming it with the split passes would not continue the same run.
TEST(Resume, CheckpointFromBeforeAnOptionImpliesItsOldBehaviour) {
  ResumeFixture f;
  f.config.comm.overlap_next_step = true;
  const auto dir = f.checkpointAt(10);
  auto state = nlohmann::json::parse(gan::test_support::readText(dir + "/state.json"));
  ASSERT_EQ(state["config"]["comm.overlap_next_step"], "true");
  state["config"].erase("comm.overlap_next_step");
  std::ofstream(dir + "/state.json", std::ios::trunc) << state.dump();
  resealCheckpoint(dir);
  const auto error = gan::test_support::errorMessageOf([&] { f.resume("auto"); });
  EXPECT_NE(error.find("--comm.overlap_next_step false -> true"), std::string::npos) << error;
  f.config.comm.overlap_next_step = false;
  EXPECT_EQ(f.resume("auto").position.step, 10);
}

TEST(Resume, NeverSetsThePreviousRunAsideSoAutoCannotPickItUpLater) {
  ResumeFixture f;
  f.checkpointAt(30);
  std::ofstream(f.run.metrics()) << "{\"step\": 30}\n";
  EXPECT_FALSE(f.resume("never").resumed);
  EXPECT_TRUE(checkpoint::listCheckpoints(f.run).empty());
  EXPECT_FALSE(fs::exists(f.run.metrics()));
  ASSERT_TRUE(fs::is_directory(f.run.previousRuns()));
  const auto set_aside = fs::directory_iterator(f.run.previousRuns())->path();
  EXPECT_TRUE(fs::exists(set_aside / "checkpoints" / "step_00000030" / "MANIFEST"));
  EXPECT_TRUE(fs::exists(set_aside / "metrics.jsonl"));
  EXPECT_FALSE(f.resume("auto").resumed);
}

}  // namespace
