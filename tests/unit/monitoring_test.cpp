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

namespace fs = std::filesystem;

namespace {
using namespace gan::monitoring;

std::string freshDir(const std::string& name) {
  const auto dir = fs::path(::testing::TempDir()) / ("monitoring_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

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
  try {
    readRecords(path);
    FAIL() << "corruption not detected";
  } catch (const gan::Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": data CRC mismatch at byte 0"), std::string::npos) << e.what();
  }
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

TEST(TrainingReport, Base64) {
  EXPECT_EQ(base64Encode("Man"), "TWFu");
  EXPECT_EQ(base64Encode("Ma"), "TWE=");
  EXPECT_EQ(base64Encode("M"), "TQ==");
  EXPECT_EQ(base64Encode(""), "");
}

TEST(TrainingReport, PlotsSamplesConfigAndThroughput) {
  const auto out = freshDir("report");
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

  const auto path = writeTrainingReport(out);
  std::ifstream in(path);
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_GE(std::count(html.begin(), html.end(), '<') - std::count(html.begin(), html.end(), '>'), 0);
  for (const char* expected : {"<svg", "Losses", "Discriminator outputs", "polyline", "eval_fd", "12.5",
                               "data:image/png;base64,cG5nIGJ5dGVz", "train.batch_size", "global batch 128", "1030"}) {
    EXPECT_NE(html.find(expected), std::string::npos) << expected;
  }
  try {
    writeTrainingReport(freshDir("empty"));
    FAIL();
  } catch (const gan::Error& e) {
    EXPECT_NE(std::string(e.what()).find("metrics.jsonl: no metrics to report"), std::string::npos);
  }
}

}  // namespace
