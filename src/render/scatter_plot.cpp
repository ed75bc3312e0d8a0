#include "render/scatter_plot.h"

#include <cmath>

#include "common/error.h"

namespace gan::render {

Image8 makeScatterPlot(const torch::Tensor& samples, const torch::Tensor& modes, double sigma, double extent,
                       int size) {
  GAN_CHECK(samples.dim() == 2 && samples.size(1) == 2, "scatter plot needs (n, 2) samples, got ", samples.sizes());
  GAN_CHECK(extent > 0 && size > 8, "scatter plot needs a positive extent and size");
  Image8 image;
  image.width = image.height = size;
  image.channels = 3;
  image.pixels.assign(size_t(size) * size * 3, 255);
  const double scale = (size - 1) / (2 * extent);
  auto plot = [&](double px, double py, uint8_t r, uint8_t g, uint8_t b) {
    const long x = std::lround(px), y = std::lround(py);
    if (x < 0 || y < 0 || x >= size || y >= size) return;
    uint8_t* p = &image.pixels[size_t((y * size + x) * 3)];
    p[0] = r, p[1] = g, p[2] = b;
  };
  // Axes through the origin, light grey.
  for (int i = 0; i < size; ++i) {
    plot(i, extent * scale, 220, 220, 220);
    plot(extent * scale, i, 220, 220, 220);
  }
  auto points = samples.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  const double* xy = points.data_ptr<double>();
  for (int64_t i = 0; i < points.size(0); ++i) {
    const double px = (xy[2 * i] + extent) * scale, py = (extent - xy[2 * i + 1]) * scale;
    for (int dy = 0; dy <= 1; ++dy) {
      for (int dx = 0; dx <= 1; ++dx) plot(px + dx, py + dy, 20, 40, 120);
    }
  }
  auto centres = modes.to(torch::kCPU, torch::kFloat64).contiguous();
  const double* m = centres.data_ptr<double>();
  const double radius = std::max(3.0, 3 * sigma * scale);
  for (int64_t k = 0; k < centres.size(0); ++k) {
    const double cx = (m[2 * k] + extent) * scale, cy = (extent - m[2 * k + 1]) * scale;
    for (int a = 0; a < 64; ++a) {
      const double angle = 2 * M_PI * a / 64;
      plot(cx + radius * std::cos(angle), cy + radius * std::sin(angle), 220, 30, 30);
    }
  }
  return image;
}

Image8 makeScatterPlot(const torch::Tensor& samples, const datasets::MixtureModes& modes) {
  const double extent = modes.centres.abs().max().item<double>() + 1.0;
  return makeScatterPlot(samples, modes.centres, modes.sigma, extent);
}

}  // namespace gan::render
