// Observability end to end: a real 2-rank run leaves TensorBoard files that an independent
// reader accepts, a per-rank timeline that parses as a Chrome trace, and a report.html that a
// headless browser renders.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <vector>

#include "render/png_writer.h"
#include "e2e/process_helpers.h"
#include "monitoring/tensorboard_writer.h"

namespace fs = std::filesystem;

namespace {
using namespace gan::e2e;

// One 2-rank run shared by the tests of this file.
const std::string& observedRun() {
  static const std::string out = [] {
    const auto dir = sharedRunDir("observed");
    const auto result = run(mpirun(2) + ganDist() + " --config " + GAN_SOURCE_DIR +
                            "/configs/fashion_mnist_mlp.ini --train.max_steps=60 --output.log_every=20" +
                            " --output.sample_every=30 --output.checkpoint_every=30 --output.dir=" + dir +
                            " --output.timeline=" + dir + "/timeline.json --output.timeline_steps=45");
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return dir;
  }();
  return out;
}

std::string eventFile(const std::string& out) {
  for (const auto& entry : fs::directory_iterator(fs::path(out) / "tb")) {
    if (entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0) return entry.path().string();
  }
  return "";
}

TEST(Observability, TensorBoardScalarsAndSampleImages) {
  const auto path = eventFile(observedRun());
  ASSERT_FALSE(path.empty());
  const auto contents = gan::monitoring::readEventFile(path);
  EXPECT_EQ(contents.file_version, "brain.Event:2");
  std::set<std::string> tags;
  std::vector<int64_t> loss_steps;
  for (const auto& scalar : contents.scalars) {
    tags.insert(scalar.tag);
    if (scalar.tag == "loss/d") loss_steps.push_back(scalar.step);
  }
  for (const char* tag : {"loss/d", "loss/g", "d_output/real", "d_output/fake", "throughput/samples_per_s",
                          "time/step_ms", "time/collectives_ms", "time/waiting_for_collectives_ms"}) {
    EXPECT_TRUE(tags.count(tag)) << tag;
  }
  EXPECT_EQ(loss_steps, (std::vector<int64_t>{20, 40, 60}));
  ASSERT_EQ(contents.images.size(), 2u);
  EXPECT_EQ(contents.images[1].step, 60);
  const auto png_path = observedRun() + "/tb_image.png";
  std::ofstream(png_path, std::ios::binary) << contents.images[1].png;
  const auto image = gan::render::readPng(png_path);
  EXPECT_EQ(image.width, contents.images[1].width);
  EXPECT_EQ(image.width, 8 * 28 + 9 * 2);
}

TEST(Observability, IndependentReaderAgreesOnTheEventFile) {
  const auto path = eventFile(observedRun());
  const auto result = run("/usr/bin/python3 " + std::string(GAN_SOURCE_DIR) + "/tests/e2e/read_tfevents.py " + path);
  if (result.exit_code == 77) GTEST_SKIP() << "independent reader unavailable: " << result.output;
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto found = nlohmann::json::parse(result.output);
  EXPECT_EQ(found["file_version"], "brain.Event:2");
  const auto ours = gan::monitoring::readEventFile(path);
  size_t compared = 0;
  for (const auto& scalar : ours.scalars) {
    bool matched = false;
    for (const auto& point : found["scalars"][scalar.tag]) {
      if (point[0] == scalar.step && point[1].get<double>() == scalar.value) matched = true;
    }
    EXPECT_TRUE(matched) << scalar.tag << " at " << scalar.step;
    ++compared;
  }
  EXPECT_GT(compared, 20u);
  ASSERT_EQ(found["images"]["samples"].size(), 2u);
  EXPECT_EQ(found["images"]["samples"][0][3], true);  // a PNG signature
}

TEST(Observability, TimelinePerRankIsAChromeTrace) {
  for (int rank = 0; rank < 2; ++rank) {
    const auto path = observedRun() + "/timeline.rank" + std::to_string(rank) + ".json";
    const auto events = nlohmann::json::parse(readText(path));
    ASSERT_TRUE(events.is_array()) << path;
    std::set<std::string> names;
    for (const auto& event : events) {
      EXPECT_EQ(event["pid"], rank);
      if (event["ph"] == "X") {
        names.insert(event["name"].get<std::string>());
        EXPECT_GE(event["dur"].get<int64_t>(), 0);
      }
    }
    for (const char* name : {"D step 1", "G step 1", "D step 45", "step boundary 45"}) {
      EXPECT_TRUE(names.count(name)) << name << " in " << path;
    }
    EXPECT_FALSE(names.count("D step 46")) << "--output.timeline_steps=45 traces 45 steps";
    EXPECT_TRUE(names.count("allreduce D bucket 0 (1043 KiB)")) << path;
    EXPECT_TRUE(names.count("allreduce G bucket 0 (1145 KiB)")) << path;
    EXPECT_EQ(names.count("checkpoint 30"), rank == 0 ? 1u : 0u) << path;  // rank 0's duty
  }
}

TEST(Observability, ReportRendersInAHeadlessBrowser) {
  const auto report = observedRun() + "/report.html";
  ASSERT_TRUE(fs::exists(report));
  const std::string html = readText(report);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("data:image/png;base64,"), std::string::npos);
  if (!fs::exists("/usr/bin/chromium")) GTEST_SKIP() << "Debian's chromium is not installed";
  const auto screenshot = observedRun() + "/report_screenshot.png";
  const auto result = run(
      "timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync --user-data-dir=" +
      observedRun() + "/chromium-profile --window-size=1200,1600 --screenshot=" + screenshot + " file://" + report);
  ASSERT_TRUE(fs::exists(screenshot)) << result.output;
  const auto image = gan::render::readPng(screenshot);
  EXPECT_EQ(image.width, 1200);
  // A rendered page, not a blank one: plenty of distinct grey levels (text, plots, samples).
  std::set<uint8_t> levels(image.pixels.begin(), image.pixels.end());
  EXPECT_GT(levels.size(), 50u);
}

TEST(Observability, GanReportRewritesTheReport) {
  fs::remove(observedRun() + "/report.html");
  const auto result = run(std::string(GAN_REPORT_BINARY) + " " + observedRun());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(fs::exists(observedRun() + "/report.html"));
  const auto empty = run(std::string(GAN_REPORT_BINARY) + " " + outputDir("no_metrics"));
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.output.find("no metrics to report"), std::string::npos) << empty.output;
}

// gan_bench ceiling: the three timings, the two ratios and the breakdown, with each part of the
// data-parallel step's extra time on the path that ran it: on one node the gradients go through
// shared memory (its three phases non-zero); kept on MPI, the same traffic shows as MPI calls.
double figureAfter(const std::string& output, const std::string& label) {
  const auto at = output.find(label);
  if (at == std::string::npos) return -1e9;
  return std::stod(output.substr(at + label.size()));
}

double breakdownRow(const std::string& output, const std::string& name) {
  // "  name   [independent|-]  data-parallel  difference": the data-parallel column.
  const auto at = output.find("  " + name);
  if (at == std::string::npos) return -1e9;
  std::istringstream row(output.substr(at + 2 + name.size(), output.find('\n', at) - at - 2 - name.size()));
  std::string independent;
  double parallel = -1e9;
  row >> independent >> parallel;
  return parallel;
}

TEST(Observability, CeilingBenchmarkSplitsTheStepByPath) {
  const auto bench = fs::path(GAN_DIST_BINARY).parent_path().string() + "/gan_bench";
  const std::string args = " ceiling --steps 40 --warmup 5 --rounds 1 --config " + std::string(GAN_SOURCE_DIR) +
                           "/configs/ring8_mlp.ini";
  for (const bool shared_memory : {true, false}) {
    const auto result = run((shared_memory ? "" : "GAN_DIST_INTRANODE_ALLREDUCE=mpi ") + mpirun(2) + bench + args);
    ASSERT_EQ(result.exit_code, 0) << result.output;
    for (const char* line : {"rank 0   alone (others asleep)", "rank 1   alone (others asleep)",
                             "2 independent, side by side", "2-rank data-parallel job", "cpu: "}) {
      EXPECT_NE(result.output.find(line), std::string::npos) << line << "\n" << result.output;
    }
    const double ceiling = figureAfter(result.output, "machine ceiling ");
    const double share = figureAfter(result.output, "the job's share of it ");
    EXPECT_GT(ceiling, 0.2) << result.output;
    EXPECT_LT(ceiling, 5.0) << result.output;
    EXPECT_GT(share, 0.05) << result.output;
    EXPECT_LT(share, 5.0) << result.output;
    const double copy_in = breakdownRow(result.output, "gradients: copy into the shared slot");
    const double summed = breakdownRow(result.output, "gradients: own chunk summed and scaled");
    const double copy_out = breakdownRow(result.output, "gradients: peers' chunks copied back");
    const double mpi = breakdownRow(result.output, "control word and other MPI calls");
    const double waiting = breakdownRow(result.output, "waiting for the slowest peer");
    EXPECT_GE(waiting, 0.0) << result.output;
    if (shared_memory) {
      EXPECT_GT(copy_in, 0.0) << result.output;
      EXPECT_GT(summed, 0.0) << result.output;
      EXPECT_GT(copy_out, 0.0) << result.output;
      EXPECT_EQ(mpi, 0.0) << "the control word rides the shared-memory path too\n" << result.output;
    } else {
      EXPECT_EQ(copy_in + summed + copy_out + waiting, 0.0) << result.output;
      EXPECT_GT(mpi, 0.0) << result.output;
    }
    // The rows add up to the whole step (each printed to 3 decimals).
    const std::vector<std::string> rows = {"step inputs", "compute (forward, backward, Adam, rest)",
                                           "gradients: copy into the shared slot",
                                           "gradients: own chunk summed and scaled",
                                           "gradients: peers' chunks copied back", "waiting for the slowest peer",
                                           "control word and other MPI calls", "launches, queue and hooks"};
    double sum = 0;
    for (const auto& name : rows) sum += breakdownRow(result.output, name);
    EXPECT_NEAR(sum, breakdownRow(result.output, "whole step"), 0.01) << result.output;
  }
}

}  // namespace
