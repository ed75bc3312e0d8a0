// TensorBoard files, timelines and the report, checked against their formats.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "monitoring/chrome_trace.h"
#include "monitoring/tensorboard_writer.h"
#include "monitoring/tfrecord.h"
#include "monitoring/training_report.h"
#include "support/test_files.h"
#include "support/error_message.h"

namespace fs = std::filesystem;

namespace {
using namespace gan::monitoring;

std::string freshDir(const std::string& name) { return gan::test_support::freshTempDir("monitoring_" + name); }

TEST(TfRecord, Crc32cMatchesTheStandardCheckValue) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);  // the CRC-32C check value
  EXPECT_EQ(crc32c("", 0), 0u);
}

TEST(TfRecord, RoundTripAndCorruptionIsNamed) {
  const auto path = freshDir("records") + "/r.tfrecord";
  {
    std::ofstream out(path, std::ios::binary);
    writeRecord(out, "first");
    writeRecord(out, std::string(1000, 'x'));
  }
  const auto records = readRecords(path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0], "first");
  EXPECT_EQ(records[1].size(), 1000u);
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(14);  // inside the first record's data
    file.put('Y');
  }
  const auto error = gan::test_support::errorMessageOf([&] { readRecords(path); });
  EXPECT_NE(error.find(path + ": data CRC mismatch at byte 0"), std::string::npos) << error;
}

TEST(TensorBoardWriter, ScalarsAndImagesReadBack) {
  const auto dir = freshDir("tb");
  std::string path;
  {
    TensorBoardWriter writer(dir);
    path = writer.path();
    writer.addScalar("loss/d", 10, 0.5);
    writer.addScalar("loss/g", 10, 1.25);
    writer.addPng("samples", 20, std::string("\x89PNG fake", 9), 3, 4, 1);
    writer.flush();
  }
  EXPECT_NE(fs::path(path).filename().string().find("events.out.tfevents."), std::string::npos);
  const auto contents = readEventFile(path);
  EXPECT_EQ(contents.file_version, "brain.Event:2");
  ASSERT_EQ(contents.scalars.size(), 2u);
  EXPECT_EQ(contents.scalars[1].tag, "loss/g");
  EXPECT_EQ(contents.scalars[1].step, 10);
  EXPECT_FLOAT_EQ(contents.scalars[1].value, 1.25);
  ASSERT_EQ(contents.images.size(), 1u);
  EXPECT_EQ(contents.images[0].width, 4);
  EXPECT_EQ(contents.images[0].png, std::string("\x89PNG fake", 9));
}

TEST(ChromeTrace, WritesAJsonArrayOfCompleteEvents) {
  const auto dir = freshDir("trace");
  EXPECT_EQ(timelinePathForRank(dir + "/t.json", 0, 1), dir + "/t.json");
  EXPECT_EQ(timelinePathForRank(dir + "/t.json", 3, 4), dir + "/t.rank3.json");
  {
    ChromeTrace trace(dir + "/t.json", 2);
    trace.complete("D step 1", "step", 1000, 250);
    trace.complete("allreduce D bucket 0", "communication", 1100, 50, "communication thread");
  }
  std::ifstream in(dir + "/t.json");
  const auto events = nlohmann::json::parse(in);
  ASSERT_TRUE(events.is_array());
  int complete = 0;
  for (const auto& event : events) {
    EXPECT_EQ(event["pid"], 2);
    if (event["ph"] == "X") {
      ++complete;
      EXPECT_TRUE(event.contains("ts") && event.contains("dur") && event.contains("tid"));
    }
  }
  EXPECT_EQ(complete, 2);
}

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
