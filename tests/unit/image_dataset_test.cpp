// Image data sets: loading an MNIST-format directory and serving scaled batches.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "data/image_dataset.h"
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

}  // namespace
