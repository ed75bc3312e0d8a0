// Sample grids: layout, pixel scaling, and a PNG that reads back identically.
#include <gtest/gtest.h>

#include "common/error.h"
#include "coordinator/sample_grid.h"

namespace {

TEST(SampleGrid, LayoutAndScaling) {
  auto samples = torch::full({64, 28 * 28}, -1.0f);
  samples[0].fill_(1.0f);   // top-left cell white
  samples[63].fill_(0.0f);  // bottom-right cell mid-gray
  const auto image = gan::coordinator::makeSampleGrid(samples, 28, 28, 8, 8);
  EXPECT_EQ(image.width, 8 * 28 + 9 * 2);
  EXPECT_EQ(image.height, 8 * 28 + 9 * 2);
  EXPECT_EQ(image.pixels[2 * image.width + 2], 255);                    // first pixel of cell 0
  EXPECT_EQ(image.pixels[0], 0);                                         // gutter
  const int last = 2 + 7 * 30;
  EXPECT_EQ(image.pixels[last * image.width + last], 128);               // (0 + 1) * 127.5 rounds to 128
  EXPECT_EQ(image.pixels[(2 + 30) * image.width + 2], 0);                // cell 8 is black
}

TEST(SampleGrid, PngRoundTrip) {
  auto samples = torch::rand({4, 6}) * 2 - 1;
  const auto image = gan::coordinator::makeSampleGrid(samples, 2, 3, 2, 2);
  const std::string path = ::testing::TempDir() + "/grid.png";
  gan::coordinator::writePng(path, image);
  const auto back = gan::coordinator::readPng(path);
  EXPECT_EQ(back.width, image.width);
  EXPECT_EQ(back.height, image.height);
  EXPECT_EQ(back.pixels, image.pixels);
}

TEST(SampleGrid, WrongCountIsAnError) {
  EXPECT_THROW(gan::coordinator::makeSampleGrid(torch::zeros({10, 784}), 28, 28, 8, 8), gan::Error);
  EXPECT_THROW(gan::coordinator::readPng("/nonexistent.png"), gan::Error);
}

}  // namespace
