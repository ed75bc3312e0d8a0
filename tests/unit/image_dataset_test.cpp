// Image data sets: loading an MNIST-format directory and serving scaled batches.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "datasets/open_dataset.h"
#include "datasets/image_dataset.h"
#include "datasets/dataset_subset.h"
#include "support/synthetic_data.h"
#include "support/error_message.h"

namespace {

TEST(ImageDataset, BatchesAreScaledToMinusOneOne) {
  auto pixels = torch::zeros({3, 2, 2}, torch::kUInt8);
  pixels[1].fill_(255);
  pixels[2].fill_(51);
  gan::data::ImageDataset dataset(pixels, 1, 2, 2);
  auto batch = dataset.batch({1, 0, 2}, torch::kCPU);
  EXPECT_EQ(batch.sizes(), (std::vector<int64_t>{3, 4}));
  EXPECT_FLOAT_EQ(batch[0][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(batch[1][3].item<float>(), -1.0f);
  EXPECT_NEAR(batch[2][0].item<float>(), 51 / 127.5 - 1, 1e-6);
}

TEST(ImageDataset, LoadsAnMnistFormatDirectory) {
  const auto dir = gan::test_support::freshTempDir("mnist_like");
  gan::test_support::writeBytes(dir + "/train-images-idx3-ubyte.gz", gan::test_support::idxBytes({2, 3, 3}), true);
  auto dataset = gan::data::ImageDataset::loadMnistFormat(dir);
  EXPECT_EQ(dataset.size(), 2);
  EXPECT_EQ(dataset.featureSize(), 9);
  EXPECT_NEAR(dataset.batch({1}, torch::kCPU)[0][0].item<float>(), 63 / 127.5 - 1, 1e-6);  // byte 9 of the data: 9 * 7
}

TEST(ImageDataset, MissingDirectoryNamesTheOption) {
  const auto error = gan::test_support::errorMessageOf([&] { gan::data::ImageDataset::loadMnistFormat("/nonexistent/dir"); });
  EXPECT_NE(error.find("--data.path '/nonexistent/dir': no train-images-idx3-ubyte.gz"), std::string::npos) << error;
}

TEST(DatasetSubset, KeepsAFixedSpreadOutSubsetWhateverTheSeed) {
  // 100 one-pixel images whose value is their index: a batch shows which images were kept.
  auto pixels = torch::arange(100, torch::kUInt8).view({100, 1, 1});
  auto whole = [&] { return std::make_unique<gan::data::ImageDataset>(pixels, 1, 1, 1); };
  gan::data::DatasetSubset limited(whole(), 20);
  EXPECT_EQ(limited.size(), 20);
  EXPECT_EQ(limited.sampleShape(), (std::vector<int64_t>{1, 1, 1}));
  std::vector<int64_t> all(20);
  for (int64_t i = 0; i < 20; ++i) all[size_t(i)] = i;
  const auto kept = ((limited.batch(all, torch::kCPU).view({20}) + 1) * 127.5).round().to(torch::kLong);
  EXPECT_EQ(std::get<0>(at::_unique(kept)).numel(), 20) << "distinct images";
  EXPECT_GT(kept.max().item<int64_t>() - kept.min().item<int64_t>(), 50) << "spread over the set, not its start";
  EXPECT_TRUE(torch::equal(gan::data::DatasetSubset(whole(), 20).batch(all, torch::kCPU), limited.batch(all, torch::kCPU)));
  // A larger limit keeps the smaller one's images first.
  EXPECT_TRUE(torch::equal(gan::data::DatasetSubset(whole(), 30).batch(all, torch::kCPU), limited.batch(all, torch::kCPU)));
  const auto error = gan::test_support::errorMessageOf([&] { gan::data::DatasetSubset(whole(), 101); });
  EXPECT_NE(error.find("--data.limit=101: expected 1 to 100"), std::string::npos) << error;
}

TEST(DatasetSubset, CutsTheTrainingSplitOnly) {
  const auto dir = gan::test_support::freshTempDir("cifar_limited");
  gan::test_support::writeCifarDirectory(dir);  // 96 training, 20 test records
  gan::DataConfig config;
  config.name = gan::DataSetName::Cifar10;
  config.path = dir;
  config.limit = 10;
  EXPECT_EQ(gan::data::openDataset(config, gan::DataSplit::Train)->size(), 10);
  EXPECT_EQ(gan::data::openDataset(config, gan::DataSplit::Test)->size(), 20);
  config.limit = 0;
  EXPECT_EQ(gan::data::openDataset(config, gan::DataSplit::Train)->size(), 96);
}

}  // namespace
