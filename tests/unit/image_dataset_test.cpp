// Image data sets: loading an MNIST-format directory and serving scaled batches.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>

#include "common/error.h"
#include "data/image_dataset.h"

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
  const auto dir = std::filesystem::path(::testing::TempDir()) / "mnist_like";
  std::filesystem::create_directories(dir);
  std::vector<uint8_t> bytes = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3};
  for (int i = 0; i < 18; ++i) bytes.push_back(static_cast<uint8_t>(i * 10));
  gzFile file = gzopen((dir / "train-images-idx3-ubyte.gz").c_str(), "wb");
  gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
  auto dataset = gan::data::ImageDataset::loadMnistFormat(dir.string());
  EXPECT_EQ(dataset.size(), 2);
  EXPECT_EQ(dataset.featureSize(), 9);
  EXPECT_NEAR(dataset.batch({1}, torch::kCPU)[0][0].item<float>(), 90 / 127.5 - 1, 1e-6);
}

TEST(ImageDataset, MissingDirectoryNamesTheOption) {
  try {
    gan::data::ImageDataset::loadMnistFormat("/nonexistent/dir");
    FAIL();
  } catch (const gan::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--data.path '/nonexistent/dir': no train-images-idx3-ubyte.gz"),
              std::string::npos) << e.what();
  }
}

}  // namespace
