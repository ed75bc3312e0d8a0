// The report of a run directory: what recording gathers from the files a run leaves.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "report/run_report.h"
#include "support/test_files.h"
#include "support/error_message.h"

namespace fs = std::filesystem;

namespace {

TEST(RunReport, PlotsSamplesConfigAndThroughputFromTheRunDirectory) {
  const auto out = gan::test_support::freshTempDir("run_report");
  {
    std::ofstream metrics(out + "/metrics.jsonl");
    for (int step = 10; step <= 50; step += 10) {
      metrics << nlohmann::json{{"step", step}, {"loss_d", 1.0 / step}, {"loss_g", 2.0}, {"d_real", 0.7},
                                {"d_fake", 0.3}, {"samples_per_s", 1000.0 + step}, {"eval_fd", 12.5}}
                     .dump()
              << "\n";
    }
  }
  fs::create_directories(out + "/samples");
  std::ofstream(out + "/samples/step_00000050.png") << "png bytes";
  fs::create_directories(out + "/checkpoints/step_00000050");
  std::ofstream(out + "/checkpoints/step_00000050/state.json")
      << nlohmann::json{{"step", 50}, {"world_size", 2}, {"global_batch", 128},
                        {"config", {{"train.batch_size", "64"}}}}.dump();
  fs::create_directory_symlink("step_00000050", out + "/checkpoints/latest");

  const auto path = gan::report::writeRunReport(gan::RunDirectory(out));
  std::ifstream in(path);
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_GE(std::count(html.begin(), html.end(), '<') - std::count(html.begin(), html.end(), '>'), 0);
  for (const char* expected : {"<svg", "Losses", "Discriminator outputs", "polyline", "eval_fd", "12.5",
                               "data:image/png;base64,cG5nIGJ5dGVz", "train.batch_size", "global batch 128", "1030"}) {
    EXPECT_NE(html.find(expected), std::string::npos) << expected;
  }
  const auto error = gan::test_support::errorMessageOf([&] { gan::report::writeRunReport(gan::RunDirectory(gan::test_support::freshTempDir("run_report_empty"))); });
  EXPECT_NE(error.find("metrics.jsonl: no metrics to report"), std::string::npos) << error;
}

}  // namespace
