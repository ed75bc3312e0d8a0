// gan_sample on a checkpoint written by a real run: grids, npy arrays, interpolation, errors.
#include <gtest/gtest.h>

#include <filesystem>

#include "render/png_writer.h"
#include "e2e/process_helpers.h"

namespace fs = std::filesystem;

namespace {
using namespace gan::e2e;

const std::string& trainedCheckpoint() {
  static const std::string checkpoint = [] {
    const auto out = sharedRunDir("sampling");
    const auto result = run(ganDist() + " --config " + GAN_SOURCE_DIR + "/configs/fashion_mnist_mlp.ini" +
                            " --train.max_steps=30 --output.log_every=10 --output.dir=" + out);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return out + "/checkpoints/latest";
  }();
  return checkpoint;
}

std::string sample(const std::string& arguments) {
  return std::string(GAN_SAMPLE_BINARY) + " --checkpoint " + trainedCheckpoint() + " " + arguments;
}

TEST(Sampling, GridPngIsReproducibleBySeed) {
  const auto dir = outputDir("sample_grid");
  fs::create_directories(dir);
  ASSERT_EQ(run(sample("--n 30 --seed 3 --out " + dir + "/a.png")).exit_code, 0);
  ASSERT_EQ(run(sample("--n 30 --seed 3 --out " + dir + "/b.png")).exit_code, 0);
  ASSERT_EQ(run(sample("--n 30 --seed 4 --out " + dir + "/c.png")).exit_code, 0);
  const auto a = gan::render::readPng(dir + "/a.png");
  EXPECT_EQ(a.width, 6 * 28 + 7 * 2);   // ceil(sqrt(30)) = 6 columns
  EXPECT_EQ(a.height, 5 * 28 + 6 * 2);  // 5 rows
  EXPECT_EQ(a.pixels, gan::render::readPng(dir + "/b.png").pixels);
  EXPECT_NE(a.pixels, gan::render::readPng(dir + "/c.png").pixels);
}

TEST(Sampling, NpyHoldsFloatImagesInRange) {
  const auto path = outputDir("sample_npy") + ".npy";
  const auto result = run(sample("--n 5 --format npy --out " + path));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string bytes = readText(path);
  ASSERT_GE(bytes.size(), 128u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t header = 10 + (uint8_t(bytes[8]) | (uint8_t(bytes[9]) << 8));
  EXPECT_EQ(header % 64, 0u);
  EXPECT_NE(bytes.find("'shape': (5, 1, 28, 28)"), std::string::npos);
  ASSERT_EQ(bytes.size(), header + 5 * 28 * 28 * 4);
  const float* values = reinterpret_cast<const float*>(bytes.data() + header);
  for (size_t i = 0; i < 5 * 28 * 28; ++i) {
    ASSERT_GE(values[i], -1.0f);
    ASSERT_LE(values[i], 1.0f);
  }
}

TEST(Sampling, InterpolationRowsOfEightSteps) {
  const auto path = outputDir("sample_walk") + ".png";
  ASSERT_EQ(run(sample("--interpolate --n 3 --out " + path)).exit_code, 0);
  const auto walk = gan::render::readPng(path);
  EXPECT_EQ(walk.width, 8 * 28 + 9 * 2);
  EXPECT_EQ(walk.height, 3 * 28 + 4 * 2);
}

TEST(Sampling, BadInputIsOneLine) {
  const auto missing = run(std::string(GAN_SAMPLE_BINARY) + " --checkpoint /nonexistent");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.output, "gan_sample: error: checkpoint '/nonexistent' is not a directory\n");
  const auto format = run(sample("--format jpg"));
  EXPECT_NE(format.exit_code, 0);
  EXPECT_NE(format.output.find("--format must be png or npy, got 'jpg'"), std::string::npos);
}

}  // namespace
