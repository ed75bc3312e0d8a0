// The report page renders what it is handed: base64 images, axis ticks at round values, sample
// grids spread over the run.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report/report_page.h"

namespace {
using namespace gan::report;

TEST(TrainingReport, Base64EncodesAsRfc4648Says) {
  EXPECT_EQ(base64Encode("Man"), "TWFu");
  EXPECT_EQ(base64Encode("Ma"), "TWE=");
  EXPECT_EQ(base64Encode("M"), "TQ==");
  EXPECT_EQ(base64Encode(""), "");
}

TEST(TrainingReport, RendersWhatItIsHandedWithoutReadingFiles) {
  ReportInputs inputs;
  inputs.run_directory = "runs/x";
  inputs.run_directory_absolute = "/nowhere/runs/x";  // never touched: rendering reads no files
  for (int step = 10; step <= 30; step += 10) {
    inputs.metrics.push_back({{"step", step}, {"loss_d", 1.0 / step}, {"samples_per_s", 500.0}});
  }
  inputs.sample_grids.push_back({"step_00000030.png", "png bytes"});
  const std::string html = renderTrainingReport(inputs);
  for (const char* expected : {"<title>gan_dist report: runs/x</title>", "/nowhere/runs/x: 3 metric lines, steps 10 to 30",
                               "data:image/png;base64,cG5nIGJ5dGVz", "step_00000030</figcaption>",
                               "No checkpoint with a recorded configuration"}) {
    EXPECT_NE(html.find(expected), std::string::npos) << expected;
  }
  inputs.configuration = ReportInputs::RecordedConfig{30, 4, 256, {{"train.seed", "7"}}};
  EXPECT_NE(renderTrainingReport(inputs).find("(step 30, 4 ranks, global batch 256)"), std::string::npos);
}

TEST(TrainingReport, AxisTicksSitAtRoundValues) {
  // The ranges the issue quoted: axes read 0.05591, 1.383, 5.366 before.
  auto ticks = roundTicks(0.05591, 5.366);
  EXPECT_EQ(ticks.step, 2);
  EXPECT_EQ(ticks.values, (std::vector<double>{0, 2, 4, 6}));
  ticks = roundTicks(0.2, 1.1);
  EXPECT_EQ(ticks.step, 0.25);
  ASSERT_EQ(ticks.values.size(), 6u);
  EXPECT_DOUBLE_EQ(ticks.values.front(), 0);
  EXPECT_DOUBLE_EQ(ticks.values.back(), 1.25);
  EXPECT_EQ(tickLabel(ticks.values[1], ticks.step), "0.25");
  EXPECT_EQ(tickLabel(ticks.values[2], ticks.step), "0.50");
  ticks = roundTicks(100, 30000);  // steps
  EXPECT_EQ(ticks.step, 10000);
  EXPECT_EQ(ticks.values, (std::vector<double>{0, 10000, 20000, 30000}));
  EXPECT_EQ(tickLabel(20000, 10000), "20000");
  ticks = roundTicks(-0.013, 0.004);  // small values, crossing zero
  EXPECT_DOUBLE_EQ(ticks.step, 0.005);
  EXPECT_EQ(tickLabel(ticks.values.front(), ticks.step), "-0.015");
  EXPECT_EQ(tickLabel(0, ticks.step), "0.000");
  // A flat series still gets an axis.
  EXPECT_GE(roundTicks(3, 3).values.size(), 2u);
}

TEST(TrainingReport, SpreadsShownGridsEvenlyOverTheRun) {
  EXPECT_EQ(spreadEvenly(0, 12), std::vector<size_t>{});
  EXPECT_EQ(spreadEvenly(1, 12), std::vector<size_t>{0});
  EXPECT_EQ(spreadEvenly(3, 12), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(spreadEvenly(23, 12), (std::vector<size_t>{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22}));
}

}  // namespace
