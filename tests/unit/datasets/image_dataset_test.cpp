// Image data sets: loading an MNIST-format directory and serving scaled batches.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

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
  gan::datasets::ImageDataset dataset(pixels, 1, 2, 2);
  auto batch = dataset.batch({1, 0, 2}, torch::kCPU);
  EXPECT_EQ(batch.sizes(), (std::vector<int64_t>{3, 4}));
  EXPECT_FLOAT_EQ(batch[0][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(batch[1][3].item<float>(), -1.0f);
  EXPECT_NEAR(batch[2][0].item<float>(), 51 / 127.5 - 1, 1e-6);
}

TEST(ImageDataset, LoadsAnMnistFormatDirectory) {
  const auto dir = gan::test_support::freshTempDir("mnist_like");
  gan::test_support::writeBytes(dir + "/train-images-idx3-ubyte.gz", gan::test_support::idxBytes({2, 3, 3}), true);
  auto dataset = gan::datasets::ImageDataset::loadMnistFormat(dir);
  EXPECT_EQ(dataset.size(), 2);
  EXPECT_EQ(dataset.featureSize(), 9);
  EXPECT_NEAR(dataset.batch({1}, torch::kCPU)[0][0].item<float>(), 63 / 127.5 - 1, 1e-6);  // byte 9 of the data: 9 * 7
}

TEST(ImageDataset, MissingDirectoryNamesTheOption) {
  const auto error = gan::test_support::errorMessageOf([&] { gan::datasets::ImageDataset::loadMnistFormat("/nonexistent/dir"); });
  EXPECT_NE(error.find("--data.path '/nonexistent/dir': no train-images-idx3-ubyte.gz"), std::string::npos) << error;
}

// 100 one-pixel images whose value is their index: a batch shows which images a cut kept.
std::unique_ptr<gan::datasets::Dataset> indexImages() {
  return std::make_unique<gan::datasets::ImageDataset>(torch::arange(100, torch::kUInt8).view({100, 1, 1}), 1, 1, 1);
}
gan::DataConfig cut(int64_t limit, double holdout) {
  gan::DataConfig config;
  config.name = gan::DataSetName::Packed;
  config.path = "index.gpack";
  config.limit = limit;
  config.holdout = holdout;
  return config;
}
// The whole-set indices of every image of `dataset` (one of indexImages()'s cuts).
std::vector<int64_t> imageIndices(const gan::datasets::Dataset& dataset) {
  std::vector<int64_t> all(static_cast<size_t>(dataset.size()));
  for (int64_t i = 0; i < dataset.size(); ++i) all[size_t(i)] = i;
  const auto values = ((dataset.batch(all, torch::kCPU).view({-1}) + 1) * 127.5).round().to(torch::kLong).contiguous();
  return {values.data_ptr<int64_t>(), values.data_ptr<int64_t>() + values.numel()};
}

TEST(DatasetSubset, KeepsAFixedSpreadOutSubsetWhateverTheSeed) {
  auto limited = gan::datasets::DatasetSubset::trainingPart(indexImages(), cut(20, 0));
  EXPECT_EQ(limited->size(), 20);
  EXPECT_EQ(limited->sampleShape(), (std::vector<int64_t>{1, 1, 1}));
  const auto kept = imageIndices(*limited);
  EXPECT_EQ(std::set<int64_t>(kept.begin(), kept.end()).size(), 20u) << "distinct images";
  EXPECT_GT(*std::max_element(kept.begin(), kept.end()) - *std::min_element(kept.begin(), kept.end()), 50)
      << "spread over the set, not its start";
  EXPECT_EQ(imageIndices(*gan::datasets::DatasetSubset::trainingPart(indexImages(), cut(20, 0))), kept);
  // A larger limit keeps the smaller one's images first.
  auto larger = imageIndices(*gan::datasets::DatasetSubset::trainingPart(indexImages(), cut(30, 0)));
  EXPECT_EQ(std::vector<int64_t>(larger.begin(), larger.begin() + 20), kept);
  const auto error = gan::test_support::errorMessageOf([&] { gan::datasets::DatasetSubset::trainingPart(indexImages(), cut(101, 0)); });
  EXPECT_NE(error.find("--data.limit=101: expected 1 to 100"), std::string::npos) << error;
}

TEST(DatasetSubset, HoldoutIsNeverTrainedOnAndTheSameForEveryCut) {
  const auto held = imageIndices(*gan::datasets::DatasetSubset::heldOutPart(indexImages(), cut(0, 10)));
  ASSERT_EQ(held.size(), 10u);
  const std::set<int64_t> held_set(held.begin(), held.end());
  EXPECT_EQ(held_set.size(), 10u);
  EXPECT_GT(*held_set.rbegin() - *held_set.begin(), 40) << "spread over the set, not its end";
  // Training keeps the other 90; a limit keeps a part of those, never a held-out image.
  const auto train = imageIndices(*gan::datasets::DatasetSubset::trainingPart(indexImages(), cut(0, 10)));
  EXPECT_EQ(train.size(), 90u);
  for (int64_t limit : {0, 20, 90}) {
    for (int64_t index : imageIndices(*gan::datasets::DatasetSubset::trainingPart(indexImages(), cut(limit, 10)))) {
      EXPECT_EQ(held_set.count(index), 0u) << "image " << index << " trained on with --data.limit=" << limit;
    }
  }
  // A fraction: 0.1 of 100 images is the same 10; the held-out images do not depend on a limit.
  EXPECT_EQ(imageIndices(*gan::datasets::DatasetSubset::heldOutPart(indexImages(), cut(0, 0.1))), held);
  EXPECT_EQ(imageIndices(*gan::datasets::DatasetSubset::heldOutPart(indexImages(), cut(20, 10))), held);
  auto error = gan::test_support::errorMessageOf([&] { gan::datasets::DatasetSubset::trainingPart(indexImages(), cut(95, 10)); });
  EXPECT_NE(error.find("--data.limit=95: expected 1 to 90 (the training set's size after --data.holdout)"), std::string::npos) << error;
  error = gan::test_support::errorMessageOf([&] { gan::datasets::DatasetSubset::trainingPart(indexImages(), cut(0, 100)); });
  EXPECT_NE(error.find("--data.holdout=100 sets aside 100 of the 100 images"), std::string::npos) << error;
  // Past int64's range: refused as it was written, not converted first (undefined, and it printed
  // -9223372036854775808).
  error = gan::test_support::errorMessageOf([&] { gan::datasets::DatasetSubset::trainingPart(indexImages(), cut(0, 1e30)); });
  EXPECT_NE(error.find("--data.holdout=1e+30 sets aside 1e+30 of the 100 images"), std::string::npos) << error;
}

TEST(DatasetSubset, ClassCountsCountEveryLabel) {
  auto labels = torch::tensor({2, 0, 2, 2, 1, 0}, torch::kInt64);
  gan::datasets::ImageDataset labelled(torch::zeros({6, 1, 1}, torch::kUInt8), 1, 1, 1, labels);
  EXPECT_EQ(labelled.classCounts(), (std::vector<int64_t>{2, 1, 3}));
  gan::datasets::ImageDataset unlabelled(torch::zeros({6, 1, 1}, torch::kUInt8), 1, 1, 1);
  const auto error = gan::test_support::errorMessageOf([&] { unlabelled.classCounts(); });
  EXPECT_NE(error.find("has no labels (a conditional model needs a class for every image"), std::string::npos) << error;
}

TEST(DatasetSubset, CutsTheTrainingSplitOnly) {
  const auto dir = gan::test_support::freshTempDir("cifar_limited");
  gan::test_support::writeCifarDirectory(dir);  // 96 training, 20 test records
  gan::DataConfig config;
  config.name = gan::DataSetName::Cifar10;
  config.path = dir;
  config.limit = 10;
  EXPECT_EQ(gan::datasets::openDataset(config, gan::DataSplit::Train)->size(), 10);
  EXPECT_EQ(gan::datasets::openDataset(config, gan::DataSplit::Test)->size(), 20);
  config.limit = 0;
  EXPECT_EQ(gan::datasets::openDataset(config, gan::DataSplit::Train)->size(), 96);
}

}  // namespace
