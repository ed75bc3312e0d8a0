// The CIFAR-10 binary reader on files generated here in that format, and on broken ones.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "datasets/cifar10_reader.h"
#include "datasets/open_dataset.h"
#include "support/error_message.h"
#include "support/synthetic_data.h"

namespace {
namespace fs = std::filesystem;

using gan::test_support::cifarRecords;

void write(const fs::path& path, const std::string& bytes) { gan::test_support::writeBytes(path.string(), bytes); }

std::string freshDir(const std::string& name) { return gan::test_support::freshTempDir("cifar_" + name); }

std::string errorOf(const std::string& dir, gan::DataSplit split = gan::DataSplit::Train) {
  return gan::test_support::errorMessageOf([&] { gan::datasets::loadCifar10(dir, split); });
}

TEST(Cifar10Reader, ReadsEveryTrainingBatchInOrder) {
  const auto dir = freshDir("good");
  write(fs::path(dir) / "data_batch_1.bin", cifarRecords(3, 0));
  write(fs::path(dir) / "data_batch_2.bin", cifarRecords(2, 3));
  write(fs::path(dir) / "test_batch.bin", cifarRecords(4, 100));
  const auto train = gan::datasets::loadCifar10(dir, gan::DataSplit::Train);
  EXPECT_EQ(train.size(), 5);
  EXPECT_EQ(train.sampleShape(), (std::vector<int64_t>{3, 32, 32}));
  EXPECT_EQ(train.labels()[4].item<int64_t>(), 4);
  // Channel-major rows: record 4, channel 2 (blue), pixel 5 -> (4 + 14 + 5) = 23 -> 23/127.5 - 1.
  const auto row = train.batch({4}, torch::kCPU);
  EXPECT_NEAR(row[0][2 * 1024 + 5].item<float>(), 23 / 127.5 - 1, 1e-6);
  EXPECT_EQ(gan::datasets::loadCifar10(dir, gan::DataSplit::Test).size(), 4);
}

TEST(Cifar10Reader, AcceptsTheFolderHoldingTheArchiveDirectory) {
  const auto dir = freshDir("nested");
  write(fs::path(dir) / "cifar-10-batches-bin" / "data_batch_1.bin", cifarRecords(2));
  EXPECT_EQ(gan::datasets::loadCifar10(dir).size(), 2);
  gan::DataConfig config;
  config.name = gan::DataSetName::Cifar10;
  config.path = dir;
  EXPECT_EQ(gan::datasets::openDataset(config)->featureSize(), 3 * 32 * 32);
}

TEST(Cifar10Reader, TruncatedFileNamesItselfAndTheRecordSize) {
  const auto dir = freshDir("truncated");
  write(fs::path(dir) / "data_batch_1.bin", cifarRecords(2).substr(0, 5000));
  const auto message = errorOf(dir);
  EXPECT_NE(message.find("data_batch_1.bin"), std::string::npos) << message;
  EXPECT_NE(message.find("3073"), std::string::npos) << message;
}

TEST(Cifar10Reader, BadLabelIsReportedWithItsRecord) {
  const auto dir = freshDir("label");
  auto bytes = cifarRecords(3);
  bytes[2 * 3073] = char(42);
  write(fs::path(dir) / "data_batch_1.bin", bytes);
  const auto message = errorOf(dir);
  EXPECT_NE(message.find("record 2 has label 42"), std::string::npos) << message;
}

TEST(Cifar10Reader, MissingAndEmptyFilesAreErrors) {
  const auto dir = freshDir("missing");
  EXPECT_NE(errorOf(dir).find("no data_batch_1.bin"), std::string::npos);
  EXPECT_NE(errorOf(dir, gan::DataSplit::Test).find("test_batch.bin is missing"), std::string::npos);
  write(fs::path(dir) / "data_batch_1.bin", "");
  EXPECT_NE(errorOf(dir).find("empty file"), std::string::npos);
  EXPECT_NE(errorOf("").find("--data.path"), std::string::npos);
}

}  // namespace
