// Fault tolerance end to end: exact resume, interrupted checkpoints, agreed stop, fail-fast,
// the non-finite guard and the watchdog, each provoked on the real program.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "comm/rank_placement.h"
#include "e2e/process_helpers.h"

namespace fs = std::filesystem;

namespace {
using namespace gan::e2e;

// A short job on real Fashion-MNIST; `extra` overrides options.
std::string job(const std::string& out, int64_t steps, const std::string& extra = "", int64_t checkpoint_every = 20) {
  return ganDist() + " --config " + GAN_SOURCE_DIR + "/configs/fashion_mnist_mlp.ini --train.max_steps=" +
         std::to_string(steps) + " --output.dir=" + out + " --output.log_every=10 --output.sample_every=0" +
         " --output.checkpoint_every=" + std::to_string(checkpoint_every) + " " + extra;
}

std::string checkpointFile(const std::string& out, int64_t step, const std::string& file) {
  char name[32];
  std::snprintf(name, sizeof name, "step_%08ld", long(step));
  return (fs::path(out) / "checkpoints" / name / file).string();
}

// Same step, same losses and D outputs (wall-clock fields differ by nature).
void expectSameMetrics(const std::string& a, const std::string& b,
                       std::vector<const char*> keys = {"step", "loss_d", "loss_g", "d_real", "d_fake"}) {
  const auto left = metricLines(a), right = metricLines(b);
  ASSERT_EQ(left.size(), right.size());
  for (size_t i = 0; i < left.size(); ++i) {
    for (const char* key : keys) {
      EXPECT_EQ(left[i][key], right[i][key]) << key << " in line " << i;
    }
  }
}

void expectSameCheckpointBytes(const std::string& a, const std::string& b, int64_t step,
                               std::vector<const char*> files = {"model_G.pt", "model_D.pt", "optim_G.pt",
                                                                 "optim_D.pt"}) {
  for (const char* file : files) {
    EXPECT_EQ(readText(checkpointFile(a, step, file)), readText(checkpointFile(b, step, file))) << file;
  }
}

void expectBitwiseResume(const std::string& launcher, const std::string& name, const std::string& extra = "") {
  const auto straight = outputDir(name + "_straight"), resumed = outputDir(name + "_resumed");
  ASSERT_EQ(run(launcher + job(straight, 40, extra)).exit_code, 0);
  ASSERT_EQ(run(launcher + job(resumed, 20, extra)).exit_code, 0);
  const auto second = run(launcher + job(resumed, 40, extra));
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("resumed from " + resumed + "/checkpoints/step_00000020 at step 20"), std::string::npos)
      << second.output;
  expectSameCheckpointBytes(straight, resumed, 40);
  expectSameMetrics(straight, resumed);
}

// Node-local output directories, as on a cluster without a shared file system: each rank gets
// its own directory (mpirun's MPMD form), so each keeps a full copy of every checkpoint. Losing
// rank 0's whole directory (its node is gone, a fresh one takes its place) loses no work: the
// relaunch resumes from rank 1's copy and continues exactly as an uninterrupted run.
TEST(FaultTolerance, LosingRankZerosDirectoryResumesFromAnotherNodesCopy) {
  const std::string powersgd = "--comm.compress=powersgd --output.keep_last=1";
  const auto straight = outputDir("copies_straight");
  const auto node_a = outputDir("copies_node_a"), node_b = outputDir("copies_node_b");
  auto nodeLocal = [&](int64_t steps) {
    return mpirun(1) + job(node_a, steps, powersgd) + " : -np 1 " + job(node_b, steps, powersgd);
  };
  ASSERT_EQ(run(mpirun(2) + job(straight, 60, powersgd)).exit_code, 0);
  const auto first = run(nodeLocal(40));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("checkpoints: 2 copies, one per storage of the output directory"), std::string::npos)
      << first.output;
  // Both copies hold the same bytes; keep_last applies to each.
  expectSameCheckpointBytes(node_a, node_b, 40, {"model_G.pt", "model_D.pt", "optim_G.pt", "optim_D.pt",
                                                "powersgd_G.pt", "powersgd_D.pt"});
  EXPECT_FALSE(fs::exists(checkpointFile(node_b, 20, "MANIFEST")));
  fs::remove_all(node_a);
  const auto second = run(nodeLocal(60));
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("resumed from " + node_b + "/checkpoints/step_00000040 at step 40"), std::string::npos)
      << second.output;
  EXPECT_NE(second.output.find("came from rank 1's copy"), std::string::npos) << second.output;
  expectSameCheckpointBytes(straight, node_a, 60);
  expectSameCheckpointBytes(straight, node_b, 60);
}

// gan_bench checkpoint measures both ways of writing and cleans up after itself (its figures are
// in docs/performance.md; only that it runs and reports them is checked here).
TEST(FaultTolerance, CheckpointBenchmarkReportsPauseWriteAndDalysInterval) {
  const auto out = outputDir("checkpoint_bench");
  const auto bench = fs::path(GAN_DIST_BINARY).parent_path().string() + "/gan_bench";
  const auto result = run(bench + " checkpoint --checkpoints 2 --config " + GAN_SOURCE_DIR +
                          "/configs/ring8_mlp.ini --output.dir=" + out);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  for (const char* line : {"synchronous checkpoint: pause", "background checkpoint: pause", "% of the write",
                           "Daly interval: synchronous", "expected steps redone per failure"}) {
    EXPECT_NE(result.output.find(line), std::string::npos) << line << "\n" << result.output;
  }
  EXPECT_FALSE(fs::exists(out + "/gan_bench_checkpoints"));
}

// gan_bench precision times each linear layer of the reference MLP both ways, says what the rule
// makes of it, and G and D whole in the three precisions.
TEST(FaultTolerance, PrecisionBenchmarkTimesEachLayerAndNamesTheRulesChoice) {
  const auto bench = fs::path(GAN_DIST_BINARY).parent_path().string() + "/gan_bench";
  const auto result = run(bench + " precision --iters 3 --config " + GAN_SOURCE_DIR + "/configs/fashion_mnist_mlp.ini");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  for (const char* line : {"G fc1          100x256            64", "D fc1          784x256           128",
                           "fp32 (too small to gain in bf16 on this CPU)", "fp32 (the logit)", "D (2 batches)",
                           "bf16: 4 of 6 layers (G fc2, G fc3, D fc1, D fc2)", "cpu: "}) {
    EXPECT_NE(result.output.find(line), std::string::npos) << line << "\n" << result.output;
  }
  // Without AVX512-BF16 it still measures (what bf16 costs there) and says the figures are emulated.
  const bool has_bf16 = result.output.find("no AVX512-BF16") == std::string::npos &&
                        result.output.find("no AVX-512, AVX512-BF16") == std::string::npos;
  EXPECT_EQ(result.output.find("bf16 is emulated here") != std::string::npos, !has_bf16) << result.output;
  const auto refused = run(bench + " precision --iters 0");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("--iters must be a positive integer, got 0"), std::string::npos) << refused.output;
}

TEST(FaultTolerance, ResumeIsBitwiseExactSingleProcess) { expectBitwiseResume("", "resume1"); }

TEST(FaultTolerance, ResumeIsBitwiseExactTwoRanks) { expectBitwiseResume(mpirun(2), "resume2"); }

// PowerSGD's warm start and both ranks' error feedback travel through the checkpoint (gathered to
// rank 0, scattered back): the resumed run continues bit for bit, its state files included.
TEST(FaultTolerance, PowerSgdResumesExactlyOnTwoRanks) {
  expectBitwiseResume(mpirun(2), "resume_powersgd", "--comm.compress=powersgd");
  // The directories expectBitwiseResume filled (outputDir() would empty them).
  const auto straight = (fs::path(::testing::TempDir()) / "e2e_resume_powersgd_straight").string();
  const auto resumed = (fs::path(::testing::TempDir()) / "e2e_resume_powersgd_resumed").string();
  expectSameCheckpointBytes(straight, resumed, 40, {"powersgd_G.pt", "powersgd_D.pt"});
  EXPECT_FALSE(readText(checkpointFile(resumed, 40, "powersgd_D.pt")).empty());
}

// bf16 products: the bf16 copies are made from the fp32 weights on every forward and the
// checkpoint holds only fp32 state, so a resumed bf16 run continues bit for bit.
TEST(FaultTolerance, Bf16ResumesExactlyOnTwoRanks) {
  expectBitwiseResume(mpirun(2), "resume_bf16", "--train.precision=bf16");
}

// The precision is a trajectory option: switching it on resume is refused unless allowed, and
// then the fp32 checkpoint continues in bf16 (it holds fp32 weights either way).
// A conditional model: the generated rows' classes are drawn per (seed, step, row) like the noise.
TEST(FaultTolerance, ConditionalResumesExactlyOnTwoRanks) {
  expectBitwiseResume(mpirun(2), "resume_conditional", "--model.conditional=true");
}

TEST(FaultTolerance, PrecisionSwitchOnResumeIsRefusedUnlessAllowed) {
  const auto out = outputDir("precision_switch");
  ASSERT_EQ(run(job(out, 10, "", 10)).exit_code, 0);
  const auto refused = run(job(out, 20, "--train.precision=bf16", 10));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("--train.precision fp32 -> bf16"), std::string::npos) << refused.output;
  const auto allowed = run(job(out, 20, "--train.precision=bf16 --output.resume_changes=allow", 10));
  ASSERT_EQ(allowed.exit_code, 0) << allowed.output;
  EXPECT_NE(allowed.output.find("resuming with a changed option: --train.precision fp32 -> bf16"), std::string::npos)
      << allowed.output;
  EXPECT_NE(allowed.output.find("precision: bf16: 4 of 6 layers (G fc2, G fc3, D fc1, D fc2)"), std::string::npos) << allowed.output;
  EXPECT_NE(allowed.output.find("resumed from " + out + "/checkpoints/step_00000010 at step 10"), std::string::npos);
  // Both checkpoints hold the same fp32 tensors: the same sizes on disk.
  EXPECT_EQ(fs::file_size(checkpointFile(out, 10, "model_G.pt")), fs::file_size(checkpointFile(out, 20, "model_G.pt")));
}

// With the next step's real half computed during G's reduction, the straight run has already
// computed step 21's real half when it writes the checkpoint at step 20; the resumed run computes
// it in place. Both must reach the same bytes at step 40.
TEST(FaultTolerance, OverlappedStepsResumeExactlyOnTwoRanks) {
  expectBitwiseResume(mpirun(2), "resume_overlap", "--comm.overlap_next_step=true");
}

// The time rule is read on rank 0's clock and travels in the step agreement, so a checkpoint
// that gathers every rank's state (PowerSGD's error feedback) finds every rank there. With a
// job MTBF of 3.6 microseconds every ask is granted: rank 0 asks at steps 1, 3, 5, ... and every
// rank checkpoints one step later, whatever the clocks of the other ranks say.
TEST(FaultTolerance, TimeRuleCheckpointsAreAgreedByAllRanks) {
  const auto out = outputDir("time_rule_powersgd");
  const auto result =
      run(mpirun(2) + job(out, 16, "--comm.compress=powersgd --output.checkpoint_mtbf_h=0.000000001", 0));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("checkpoint interval"), std::string::npos) << result.output;
  for (int64_t step : {2, 4, 10, 16}) {
    EXPECT_TRUE(fs::exists(checkpointFile(out, step, "powersgd_D.pt"))) << "step " << step;
  }
  for (int64_t step : {1, 3, 15}) EXPECT_FALSE(fs::exists(checkpointFile(out, step, ""))) << "step " << step;
}

TEST(FaultTolerance, ResumeOnAnotherWorldSizeContinuesTheTrajectory) {
  // Global batch 24: 2 ranks x 12, resumed as 3 ranks x 8.
  const auto straight = outputDir("world_straight"), moved = outputDir("world_moved");
  ASSERT_EQ(run(mpirun(2) + job(straight, 30, "--train.batch_size=12")).exit_code, 0);
  ASSERT_EQ(run(mpirun(2) + job(moved, 20, "--train.batch_size=12")).exit_code, 0);
  const auto third = run(mpirun(3) + job(moved, 30, "--train.batch_size=12"));
  ASSERT_EQ(third.exit_code, 0) << third.output;
  EXPECT_NE(third.output.find("resuming a 2-rank run on 3 ranks: 8 samples per rank keep the global batch at 24"),
            std::string::npos) << third.output;
  const auto a = metricLines(straight), b = metricLines(moved);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    for (const char* key : {"loss_d", "loss_g"}) {
      const double x = a[i][key].get<double>(), y = b[i][key].get<double>();
      EXPECT_NEAR(x, y, 1e-4 * std::abs(x)) << key << " at step " << a[i]["step"];
    }
  }
}

// Adaptive augmentation's p, and what it gathered towards its next move, continue across a
// resume: the checkpoint at step 20 falls mid-interval (every 3 steps) and holds the sums of its
// own step, which the step agreement acts on one boundary later.
constexpr const char* kFastAda = "--train.ada_target=0.05 --train.ada_interval=3 --train.ada_kimg=2";

TEST(FaultTolerance, AdaptiveAugmentationResumesExactly) {
  const auto straight = outputDir("ada_straight"), resumed = outputDir("ada_resumed");
  ASSERT_EQ(run(mpirun(2) + job(straight, 40, kFastAda)).exit_code, 0);
  ASSERT_EQ(run(mpirun(2) + job(resumed, 20, kFastAda)).exit_code, 0);
  const auto state = nlohmann::json::parse(readText(checkpointFile(resumed, 20, "state.json")));
  ASSERT_TRUE(state.contains("ada")) << state.dump();
  EXPECT_TRUE(state["ada"]["pending"].get<bool>());
  EXPECT_EQ(state["ada"]["pending_rows"].get<int64_t>(), 128);  // the global batch of step 20
  const auto second = run(mpirun(2) + job(resumed, 40, kFastAda));
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("continuing at p = "), std::string::npos) << second.output;
  expectSameCheckpointBytes(straight, resumed, 40);
  expectSameMetrics(straight, resumed, {"step", "loss_d", "loss_g", "d_real", "d_fake", "ada_p", "ada_rt"});
  EXPECT_GT(metricLines(straight).back()["ada_p"].get<double>(), 0);  // augmentation was on
}

// The same global batch on 1 and 2 ranks: p moves identically (integer sums), the float32
// losses agree to rounding (the float64 test in tests/mpi asserts 1e-9; float32 runs that differ
// in summation order part slowly, faster with augmentation, so 1e-3 over 20 steps here).
TEST(FaultTolerance, AdaptiveAugmentationIsWorldSizeInvariant) {
  const auto one = outputDir("ada_one"), two = outputDir("ada_two");
  ASSERT_EQ(run(job(one, 20, std::string(kFastAda) + " --train.batch_size=24")).exit_code, 0);
  ASSERT_EQ(run(mpirun(2) + job(two, 20, std::string(kFastAda) + " --train.batch_size=12")).exit_code, 0);
  const auto a = metricLines(one), b = metricLines(two);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["ada_p"], b[i]["ada_p"]) << "at step " << a[i]["step"];
    for (const char* key : {"loss_d", "loss_g"}) {
      const double x = a[i][key].get<double>(), y = b[i][key].get<double>();
      EXPECT_NEAR(x, y, 1e-3 * std::abs(x)) << key << " at step " << a[i]["step"];
    }
  }
  EXPECT_GT(a.back()["ada_p"].get<double>(), 0);
}

TEST(FaultTolerance, KilledDuringCheckpointWriteResumesFromThePreviousOne) {
  const auto straight = outputDir("kill_straight"), crashed = outputDir("kill_crashed");
  ASSERT_EQ(run(job(straight, 60)).exit_code, 0);
  // SIGKILL after the second file of the step-40 checkpoint.
  const auto first = run("GAN_DIST_FAULT_KILL_IN_CHECKPOINT=40:2 " + job(crashed, 60));
  EXPECT_EQ(first.exit_code, 128 + SIGKILL) << first.output;
  EXPECT_TRUE(fs::exists(fs::path(crashed) / "checkpoints" / ".step_00000040.tmp"));
  EXPECT_EQ(fs::read_symlink(fs::path(crashed) / "checkpoints" / "latest"), "step_00000020");
  const auto second = run(job(crashed, 60));
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("at step 20"), std::string::npos) << second.output;
  expectSameCheckpointBytes(straight, crashed, 60);
  expectSameMetrics(straight, crashed);  // lines of steps 30 and 40 written twice appear once
}

TEST(FaultTolerance, DamagedNewestCheckpointFallsBackToThePreviousGoodOne) {
  const auto out = outputDir("damaged");
  ASSERT_EQ(run(job(out, 40)).exit_code, 0);
  fs::resize_file(checkpointFile(out, 40, "model_G.pt"), 100);
  const auto resumed = run(job(out, 50));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("cannot resume from " + out + "/checkpoints/step_00000040: " +
                                checkpointFile(out, 40, "model_G.pt") + ": size 100 differs from MANIFEST"),
            std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("resumed from " + out + "/checkpoints/step_00000020 at step 20"), std::string::npos);
}

TEST(FaultTolerance, ExplicitCheckpointThatDoesNotFitIsRefused) {
  const auto out = outputDir("explicit");
  ASSERT_EQ(run(job(out, 20)).exit_code, 0);
  const auto missing = run(job(outputDir("explicit2"), 30, "--output.resume=/nonexistent/step_1"));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("checkpoint '/nonexistent/step_1' is not a directory"), std::string::npos)
      << missing.output;
  const auto wider = run(job(outputDir("explicit3"), 30,
                             "--model.hidden_dim=128 --output.resume=" + checkpointFile(out, 20, "")));
  EXPECT_NE(wider.exit_code, 0);
  // The changed option is named with both values, before any tensor is read...
  EXPECT_NE(wider.output.find("was trained with other settings (--model.hidden_dim 256 -> 128)"), std::string::npos)
      << wider.output;
  // ...and allowing the change still cannot load weights of another shape.
  const auto allowed = run(job(outputDir("explicit4"), 30,
                               "--model.hidden_dim=128 --output.resume_changes=allow --output.resume=" +
                                   checkpointFile(out, 20, "")));
  EXPECT_NE(allowed.exit_code, 0);
  EXPECT_NE(allowed.output.find("architecture differs from the configured model"), std::string::npos)
      << allowed.output;
}

TEST(FaultTolerance, SigtermOnOneRankGivesACheckpointAndExitZero) {
  const auto out = outputDir("sigterm");
  BackgroundJob training(mpirun(2) + job(out, 1000000, "", 0), out + ".log");
  ASSERT_TRUE(eventually(60, [&] { return metricLines(out).size() >= 2; })) << training.log();
  const auto pids = rankPids(out);
  ASSERT_EQ(pids.size(), 2u) << training.log();
  kill(pids.back(), SIGTERM);
  ASSERT_EQ(training.waitFor(60), 0) << training.log();
  EXPECT_NE(training.log().find("stop requested (SIGTERM on some rank)"), std::string::npos) << training.log();
  const auto latest = fs::path(out) / "checkpoints" / "latest";
  ASSERT_TRUE(fs::exists(latest / "MANIFEST")) << training.log();
}

TEST(FaultTolerance, KillNineOfOneOfThreeRanksEndsTheJobPromptly) {
  const auto out = outputDir("kill9");
  BackgroundJob training(mpirun(3) + job(out, 1000000, "", 0), out + ".log");
  ASSERT_TRUE(eventually(60, [&] { return metricLines(out).size() >= 1; })) << training.log();
  const auto pids = rankPids(out);
  ASSERT_EQ(pids.size(), 3u) << training.log();
  kill(pids[1], SIGKILL);
  const int code = training.waitFor(30);
  EXPECT_NE(code, -1) << "the job was still running 30 s after a rank died";
  EXPECT_NE(code, 0);
}

TEST(FaultTolerance, NonFiniteGradientOnOneRankIsSkippedOnAll) {
  const auto out = outputDir("nan");
  const auto result = run("GAN_DIST_FAULT_NAN_AT=1:15 " + mpirun(2) + "-x GAN_DIST_FAULT_NAN_AT " +
                          job(out, 30, "--comm.check_every=10"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("[rank 1] non-finite loss on this rank at step 15"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("step 15: non-finite gradients (D); update skipped on every rank (1 in a row, 1 in total)"),
            std::string::npos) << result.output;
  const auto metrics = metricLines(out);
  ASSERT_EQ(metrics.size(), 3u);
  EXPECT_EQ(metrics[0]["skipped_updates"], 0);
  EXPECT_EQ(metrics[2]["skipped_updates"], 1);
  EXPECT_TRUE(std::isfinite(metrics[2]["loss_d"].get<double>()));  // training carried on, replicas agreed
}

TEST(FaultTolerance, TooManyBadStepsAbort) {
  const auto result = run("GAN_DIST_FAULT_NAN_AT=0:5 " + job(outputDir("bad"), 30, "--train.max_bad_steps=1"));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("1 consecutive steps with non-finite gradients (--train.max_bad_steps=1)"),
            std::string::npos) << result.output;
}

// Review defect: a node packing a large image folder on first use was outside the watchdog while
// the other nodes' wait for it (in the start-up broadcast) was inside it, so the job ended with a
// false hang verdict. Rank 1 here takes 6 s to open its data (an injected delay standing in for
// the packing) under a 2 s timeout: the job must train, not end with a verdict.
TEST(FaultTolerance, ASlowDataSetOnOneRankIsNotAHang) {
  const auto out = outputDir("slow_data");
  const auto result = run("GAN_DIST_FAULT_SLOW_DATA=1:6 " + mpirun(2) + "-x GAN_DIST_FAULT_SLOW_DATA " +
                          job(out, 4, "--comm.timeout_s=2"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output.find("watchdog"), std::string::npos) << result.output;
  EXPECT_FALSE(std::filesystem::exists(out + "/hang"));
}

TEST(FaultTolerance, WatchdogNamesRankStepAndPhase) {
  const auto out = outputDir("hang");
  BackgroundJob training("GAN_DIST_FAULT_HANG_AT=1:15 " + mpirun(2) + "-x GAN_DIST_FAULT_HANG_AT " +
                             job(out, 100, "--comm.timeout_s=3"),
                         out + ".log");
  const int code = training.waitFor(40);
  EXPECT_NE(code, -1) << "hung job was not ended by the watchdog";
  EXPECT_NE(code, 0);
  // Rank 0 waits in the D step's gradient reduction that rank 1 never joins: its watchdog names
  // the collective, and the verdict drawn from both ranks' records names rank 1.
  const std::string log = training.log();
  EXPECT_NE(log.find("watchdog: rank 0: allreduce #"), std::string::npos) << log;
  EXPECT_NE(log.find("D step of step 15) not finished after"), std::string::npos) << log;
  EXPECT_NE(log.find("watchdog: rank 1, step 15: D step did not finish within 3 s"), std::string::npos) << log;
  EXPECT_NE(log.find("D step of step 15): rank 1 (" + gan::comm::thisHostName() + ") did not join: its last was"),
            std::string::npos)
      << log;
  EXPECT_TRUE(std::filesystem::exists(out + "/hang/rank_00000.json"));
  EXPECT_TRUE(std::filesystem::exists(out + "/hang/verdict.json"));
}

}  // namespace
