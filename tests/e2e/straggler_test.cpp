// The straggler verdict end to end: a rank made slow (an injected busy loop, then a real
// competing process on its core) is named in the log, metrics.jsonl, stragglers.jsonl, the
// report and `gan_report --stragglers`; nobody is named once it is well again.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "comm/rank_placement.h"
#include "e2e/process_helpers.h"

namespace fs = std::filesystem;

namespace {
using namespace gan::e2e;

std::string trainMlp(const std::string& out, int64_t steps, const std::string& extra, int64_t log_every = 10) {
  return ganDist() + " --config " + GAN_SOURCE_DIR + "/configs/fashion_mnist_mlp.ini --train.max_steps=" +
         std::to_string(steps) + " --output.dir=" + out + " --output.log_every=" + std::to_string(log_every) +
         " --output.sample_every=0 --output.checkpoint_every=0 " + extra;
}

std::vector<nlohmann::json> stragglerLines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(gan::RunDirectory(out).stragglers());
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

bool names(const nlohmann::json& window, int rank) {
  for (const auto& r : window.at("stragglers")) {
    if (r.get<int>() == rank) return true;
  }
  return false;
}

TEST(Stragglers, AnInjectedSlowRankIsNamedEverywhere) {
  const auto out = outputDir("straggler_injected");
  // Rank 1 burns 15 ms more per step than rank 0 (a 6 ms step: about 3x).
  const auto result = run("GAN_DIST_FAULT_SLOW_STEP=1:15 " + mpirun(2) + "-x GAN_DIST_FAULT_SLOW_STEP " +
                          trainMlp(out, 40, "--monitor.straggler_every=10"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string host = gan::comm::thisHostName();
  EXPECT_NE(result.output.find("straggler: rank 1 (" + host + ") computes "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("; the job waits ~"), std::string::npos) << result.output;

  const auto windows = stragglerLines(out);
  ASSERT_EQ(windows.size(), 4u);
  for (size_t i = 0; i < windows.size(); ++i) {
    EXPECT_EQ(windows[i]["first_step"], int64_t(10 * i + 1));
    EXPECT_EQ(windows[i]["step"], int64_t(10 * i + 10));
    EXPECT_EQ(windows[i]["compute_ms"].size(), 2u);
    EXPECT_EQ(windows[i]["nodes"], nlohmann::json::array({host, host}));
    EXPECT_TRUE(names(windows[i], 1)) << windows[i].dump();
    EXPECT_FALSE(names(windows[i], 0)) << windows[i].dump();
    // The figures themselves: rank 1 computes at least its 15 ms of burn; rank 0 waits for it.
    EXPECT_GE(windows[i]["compute_ms"][1].get<double>(), 15.0);
    EXPECT_GT(windows[i]["wait_ms"][0].get<double>(), windows[i]["wait_ms"][1].get<double>());
  }
  // Each window's summary rides on the log line of the step that ends it (log_every = every).
  int summaries = 0;
  for (const auto& line : metricLines(out)) {
    ASSERT_TRUE(line.contains("loss_d")) << "a line that is not a logged step: " << line.dump();
    ASSERT_TRUE(line.contains("straggler_steps")) << line.dump();
    const int64_t step = line["step"];
    EXPECT_EQ(line["straggler_steps"], std::to_string(step - 9) + "-" + std::to_string(step));
    ++summaries;
    EXPECT_EQ(line["straggler_slowest_rank"], 1);
    EXPECT_EQ(line["straggler_ranks"], nlohmann::json::array({1}));
    EXPECT_GT(line["straggler_job_wait_fraction"].get<double>(), 0.3);
  }
  EXPECT_EQ(summaries, 4);

  const auto table = run(std::string(GAN_REPORT_BINARY) + " --stragglers " + out);
  EXPECT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find("31-40"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("straggler rank 1"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("straggler: rank 1 (" + host + ")"), std::string::npos) << table.output;
  const std::string report = readText(out + "/report.html");
  EXPECT_NE(report.find("<h2>Stragglers</h2>"), std::string::npos);
  EXPECT_NE(report.find("straggler: rank 1 ("), std::string::npos);
}

TEST(Stragglers, OffMeansNoTimingsAndAClearReportError) {
  const auto out = outputDir("straggler_off");
  const auto result = run(trainMlp(out, 20, "--monitor.straggler_every=0"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_FALSE(fs::exists(gan::RunDirectory(out).stragglers()));
  const auto table = run(std::string(GAN_REPORT_BINARY) + " --stragglers " + out);
  EXPECT_EQ(table.exit_code, 1);
  EXPECT_NE(table.output.find("stragglers.jsonl: no per-rank timings"), std::string::npos) << table.output;
  const auto bad = run(trainMlp(out, 20, "--monitor.straggler_threshold=0.9"));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("--monitor.straggler_threshold must be a number above 1"), std::string::npos) << bad.output;
}

// The CPU rank `rank` of a running job is bound to (mpirun --bind-to core), or -1.
int boundCpuOfRank(const std::string& marker, int rank) {
  for (const int pid : rankPids(marker)) {
    const std::string environ_text = readText("/proc/" + std::to_string(pid) + "/environ");
    if (environ_text.find("OMPI_COMM_WORLD_RANK=" + std::to_string(rank) + '\0') == std::string::npos) continue;
    const auto affinity = run("taskset -cp " + std::to_string(pid));
    const auto colon = affinity.output.rfind(':');
    if (colon == std::string::npos) return -1;
    const std::string cpus = affinity.output.substr(colon + 2);
    if (cpus.find_first_of(",-") != std::string::npos) return -1;  // not bound to one CPU
    return std::stoi(cpus);
  }
  return -1;
}

// A real slowdown, not one inside gan_dist: busy processes on rank 1's core take most of it, as
// a throttled CPU or a noisy neighbour would. Named within two windows; quiet once it is gone.
// Threshold 1.5: the slowdown is ~2x, while this VM alone has made one rank of two compute 1.24x
// the other over a whole window (named, rightly, under the default 1.2).
TEST(Stragglers, ARealSlowdownIsNamedAndForgottenWhenLifted) {
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || run("command -v taskset").exit_code != 0) {
    GTEST_SKIP() << "needs 2 CPUs and taskset";
  }
  const auto out = outputDir("straggler_real");
  BackgroundJob training(mpirun(2) + "--bind-to core --map-by core " +
                             trainMlp(out, 1600, "--monitor.straggler_every=100 --monitor.straggler_threshold=1.5", 100),
                         out + ".log");
  int cpu = -1;
  ASSERT_TRUE(eventually(30, [&] { return (cpu = boundCpuOfRank(out, 1)) >= 0; })) << training.log();
  ASSERT_TRUE(eventually(30, [&] { return stragglerLines(out).size() >= 2; })) << training.log();
  const size_t before = stragglerLines(out).size();
  for (size_t i = 0; i < before; ++i) EXPECT_FALSE(names(stragglerLines(out)[i], 1)) << "named before the slowdown";

  // Two busy loops: rank 1's threads get about a third of the core.
  BackgroundJob competitor("taskset -c " + std::to_string(cpu) + " sh -c 'while :; do :; done & while :; do :; done'",
                           out + ".busy.log");
  ASSERT_TRUE(eventually(60, [&] { return stragglerLines(out).size() >= before + 3; })) << training.log();
  const auto slowed = stragglerLines(out);
  // The window under way when the competitor started may be mostly normal; the next is not.
  EXPECT_TRUE(names(slowed[before], 1) || names(slowed[before + 1], 1))
      << slowed[before].dump() << "\n" << slowed[before + 1].dump();
  EXPECT_TRUE(names(slowed[before + 1], 1) || names(slowed[before + 2], 1));
  EXPECT_NE(training.log().find("straggler: rank 1 ("), std::string::npos);

  competitor.stop();
  const size_t lifted = stragglerLines(out).size();
  ASSERT_EQ(training.waitFor(120), 0) << training.log();
  const auto windows = stragglerLines(out);
  ASSERT_GE(windows.size(), lifted + 3) << "too few windows after the slowdown ended to judge them";
  // From the first window that began after the competitor ended, nobody is named.
  for (size_t i = lifted + 1; i < windows.size(); ++i) EXPECT_TRUE(windows[i]["stragglers"].empty()) << windows[i].dump();
}

}  // namespace
