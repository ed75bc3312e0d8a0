// TensorBoard files and timelines, checked against their formats.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "monitoring/chrome_trace.h"
#include "monitoring/tensorboard_writer.h"
#include "monitoring/tfrecord.h"
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

}  // namespace
