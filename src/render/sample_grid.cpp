#include "render/sample_grid.h"

#include "common/error.h"

namespace gan::render {

namespace {
// The transparency checkerboard's value at (y, x) of an image: light gray and white squares.
uint8_t checker(int64_t y, int64_t x) { return ((y / 8 + x / 8) % 2 == 0) ? 204 : 255; }
}  // namespace

Image8 makeSampleGrid(const torch::Tensor& samples, const std::vector<int64_t>& shape, int64_t rows, int64_t cols) {
  GAN_CHECK(shape.size() == 3 && (shape[0] == 1 || shape[0] == 3 || shape[0] == 4),
            "sample grid needs {1, 3 or 4, H, W} images");
  const int64_t channels = shape[0], height = shape[1], width = shape[2];
  const int64_t features = channels * height * width;
  GAN_CHECK(samples.dim() == 2 && samples.size(0) == rows * cols && samples.size(1) == features,
            "sample grid needs (", rows * cols, ", ", features, ") samples, got ", samples.sizes());
  constexpr int64_t kGutter = 2;
  auto pixels = samples.detach().to(torch::kCPU, torch::kFloat32)
                    .add(1.0).mul(127.5).round().clamp(0, 255).to(torch::kUInt8).contiguous();
  const uint8_t* source = pixels.data_ptr<uint8_t>();
  Image8 image;
  image.width = int(cols * width + (cols + 1) * kGutter);
  image.height = int(rows * height + (rows + 1) * kGutter);
  const bool rgba = channels == 4;
  image.channels = rgba ? 3 : int(channels);
  image.pixels.assign(size_t(image.width) * image.height * image.channels, 0);
  for (int64_t cell = 0; cell < rows * cols; ++cell) {
    const int64_t x0 = kGutter + (cell % cols) * (width + kGutter);
    const int64_t y0 = kGutter + (cell / cols) * (height + kGutter);
    const uint8_t* cell_pixels = source + cell * features;
    for (int64_t c = 0; c < image.channels; ++c) {
      for (int64_t y = 0; y < height; ++y) {
        for (int64_t x = 0; x < width; ++x) {
          // Planar (C, H, W) in, interleaved (H, W, C) out; RGBA composited over the checkerboard.
          const int64_t at = (c * height + y) * width + x;
          uint8_t value = cell_pixels[at];
          if (rgba) {
            const int alpha = cell_pixels[(3 * height + y) * width + x];
            value = uint8_t((value * alpha + checker(y, x) * (255 - alpha) + 127) / 255);
          }
          image.pixels[size_t(((y0 + y) * image.width + x0 + x) * image.channels + c)] = value;
        }
      }
    }
  }
  return image;
}

Image8 makeSampleGrid(const torch::Tensor& samples, int64_t height, int64_t width, int64_t rows, int64_t cols) {
  return makeSampleGrid(samples, {1, height, width}, rows, cols);
}

}  // namespace gan::render
