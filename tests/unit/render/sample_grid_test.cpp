// Sample grids: layout, pixel scaling, and a PNG that reads back identically.
#include <gtest/gtest.h>

#include "common/error.h"
#include "render/sample_grid.h"

namespace {

TEST(SampleGrid, PlacesCellsBetweenGuttersAndMapsValuesToGray) {
  auto samples = torch::full({64, 28 * 28}, -1.0f);
  samples[0].fill_(1.0f);   // top-left cell white
  samples[63].fill_(0.0f);  // bottom-right cell mid-gray
  const auto image = gan::render::makeSampleGrid(samples, 28, 28, 8, 8);
  EXPECT_EQ(image.width, 8 * 28 + 9 * 2);
  EXPECT_EQ(image.height, 8 * 28 + 9 * 2);
  EXPECT_EQ(image.pixels[2 * image.width + 2], 255);                    // first pixel of cell 0
  EXPECT_EQ(image.pixels[0], 0);                                         // gutter
  const int last = 2 + 7 * 30;
  EXPECT_EQ(image.pixels[last * image.width + last], 128);               // (0 + 1) * 127.5 rounds to 128
  EXPECT_EQ(image.pixels[(2 + 30) * image.width + 2], 0);                // cell 8 is black
}

TEST(SampleGrid, PngReadsBackTheSamePixels) {
  auto samples = torch::rand({4, 6}) * 2 - 1;
  const auto image = gan::render::makeSampleGrid(samples, 2, 3, 2, 2);
  const std::string path = ::testing::TempDir() + "/grid.png";
  gan::render::writePng(path, image);
  const auto back = gan::render::readPng(path);
  EXPECT_EQ(back.width, image.width);
  EXPECT_EQ(back.height, image.height);
  EXPECT_EQ(back.pixels, image.pixels);
}

TEST(SampleGrid, WrongCountIsAnError) {
  EXPECT_THROW(gan::render::makeSampleGrid(torch::zeros({10, 784}), 28, 28, 8, 8), gan::Error);
  EXPECT_THROW(gan::render::readPng("/nonexistent.png"), gan::Error);
}

}  // namespace

// RGBA samples (a data set packed with --color rgba) are drawn over a checkerboard, so the grid
// is RGB and the PNG writer takes it: an opaque cell shows its colour, a clear one the squares.
TEST(SampleGrid, RgbaCellsAreDrawnOverACheckerboard) {
  auto samples = torch::full({2, 4 * 16 * 16}, -1.0f);
  auto opaque = samples[0].view({4, 16, 16});
  opaque[0].fill_(1.0f);  // red
  opaque[3].fill_(1.0f);  // alpha 255
  const auto grid = gan::render::makeSampleGrid(samples, {4, 16, 16}, 1, 2);
  ASSERT_EQ(grid.channels, 3);
  auto pixel = [&](int y, int x, int c) { return int(grid.pixels[size_t((y * grid.width + x) * 3 + c)]); };
  EXPECT_EQ(pixel(2, 2, 0), 255);  // the first cell, opaque red
  EXPECT_EQ(pixel(2, 2, 1), 0);
  const int x0 = 2 + 16 + 2;  // the second cell, transparent: light gray, then white 8 pixels on
  EXPECT_EQ(pixel(2, x0, 0), 204);
  EXPECT_EQ(pixel(2, x0 + 8, 0), 255);
  EXPECT_EQ(pixel(2 + 8, x0 + 8, 1), 204);
  const auto path = ::testing::TempDir() + "/rgba_grid.png";
  gan::render::writePng(path, grid);
  EXPECT_EQ(gan::render::readPng(path).channels, 3);
}

#include "datasets/gaussian_mixture.h"
#include "render/scatter_plot.h"

namespace {

TEST(SampleGrid, ColourImagesAreInterleavedFromChannelMajorRows) {
  // One 2x2 RGB image, channel-major: red plane all white, green mid, blue black.
  auto sample = torch::cat({torch::full({4}, 1.0f), torch::zeros({4}), torch::full({4}, -1.0f)}).unsqueeze(0);
  const auto image = gan::render::makeSampleGrid(sample, {3, 2, 2}, 1, 1);
  EXPECT_EQ(image.channels, 3);
  const size_t first = size_t((2 * image.width + 2) * 3);  // first pixel of the cell, past the gutter
  EXPECT_EQ(image.pixels[first], 255);
  EXPECT_EQ(image.pixels[first + 1], 128);
  EXPECT_EQ(image.pixels[first + 2], 0);
  EXPECT_THROW(gan::render::makeSampleGrid(sample, {2, 2, 3}, 1, 1), gan::Error);
}

TEST(ScatterPlot, PointsAreDarkAndModesRingedInRed) {
  const auto ring = gan::datasets::GaussianMixtureDataset::named(gan::DataSetName::Ring8);
  // One sample at the origin; the view is [-3, 3]^2 on 400 pixels.
  const auto image = gan::render::makeScatterPlot(torch::zeros({1, 2}), *ring.mixtureModes());
  ASSERT_EQ(image.channels, 3);
  const auto pixel = [&](int x, int y) { return &image.pixels[size_t((y * image.width + x) * 3)]; };
  const int centre = 200;  // (0 + 3) * 399 / 6 = 199.5, drawn at 200 and 201
  EXPECT_LT(pixel(centre, centre)[0], 50);
  EXPECT_EQ(pixel(5, 5)[0], 255);  // background
  // The mode at (2, 0): its ring (radius 3 sigma) crosses the horizontal through its centre.
  const double scale = 399.0 / 6, centre_x = 5.0 * scale, centre_y = 3.0 * scale;
  const int ring_x = int(std::lround(centre_x + 3 * 0.02 * scale)), ring_y = int(std::lround(centre_y));
  EXPECT_EQ(pixel(ring_x, ring_y)[0], 220);
  EXPECT_EQ(pixel(ring_x, ring_y)[1], 30);
}

}  // namespace
