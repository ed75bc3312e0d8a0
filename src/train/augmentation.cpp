#include "train/augmentation.h"

#include <cmath>
#include <vector>

#include "common/counter_stream.h"
#include "common/error.h"

namespace gan::train {
namespace {

// The paper's strengths (its "bgc" pipeline), in units of the [-1, 1] value range and the side.
constexpr double kMaxShift = 0.125;           // translation: up to 1/8 of the side
constexpr double kBrightnessStd = 0.2;        // added: N(0, 0.2)
constexpr double kContrastLog2Std = 0.5;      // factor: 2^N(0, 0.5)
constexpr double kSaturationLog2Std = 1.0;    // factor: 2^N(0, 1)
constexpr double kCutoutHalfSide = 0.25;      // the square is half the side

// Reflects an index that a shift of at most half the side moved outside [0, n).
torch::Tensor reflectIntoRange(const torch::Tensor& index, int64_t n) {
  auto inside = torch::where(index < 0, -index, index);
  return torch::where(inside > n - 1, 2 * (n - 1) - inside, inside);
}

template <typename T>
torch::Tensor cpuTensor(const std::vector<T>& values, torch::Dtype dtype) {
  return torch::from_blob(const_cast<T*>(values.data()), {int64_t(values.size())}, dtype).clone();
}

}  // namespace

AugmentationDraw drawAugmentation(uint64_t seed, AugmentationStream stream, int64_t batch_number, int64_t first_row,
                                  int64_t rows, double p, const ImageGeometry& geometry, AugmentationSet transforms) {
  GAN_CHECK(p >= 0 && p <= 1, "augmentation probability must be in [0, 1], got ", p);
  const bool square = geometry.height == geometry.width;
  const bool colour = geometry.channels == 3;
  std::vector<int64_t> flip(rows), turns(rows), shift_y(rows), shift_x(rows);
  std::vector<float> brightness(rows), contrast(rows), saturation(rows), cutout_y(rows), cutout_x(rows);
  std::vector<uint8_t> saturate(rows), cutout(rows);
  const uint64_t stream_seed = splitmix64(seed ^ (0x616461ULL << 8 | uint64_t(stream)));
  for (int64_t r = 0; r < rows; ++r) {
    CounterStream draws{streamKey(stream_seed, batch_number, first_row + r)};
    // A fixed number of draws per row whatever p is: a row's choices for one transform do
    // not shift another's.
    bool chosen[7];
    for (int i = 0; i < 7; ++i) chosen[i] = draws.uniform() < p && (transforms >> i & 1u);
    const double flip_u = draws.uniform(), turn_u = draws.uniform();
    const double shift_u = draws.uniformSymmetric(), shift_v = draws.uniformSymmetric();
    const auto [brightness_n, contrast_n] = draws.normalPair();
    const auto [saturation_n, unused] = draws.normalPair();
    (void)unused;
    const double centre_y = draws.uniform(), centre_x = draws.uniform();

    flip[r] = chosen[0] && flip_u < 0.5;
    turns[r] = chosen[1] && square ? std::min<int64_t>(3, int64_t(turn_u * 4)) : 0;
    shift_y[r] = chosen[2] ? std::lround(shift_u * kMaxShift * double(geometry.height)) : 0;
    shift_x[r] = chosen[2] ? std::lround(shift_v * kMaxShift * double(geometry.width)) : 0;
    brightness[r] = chosen[3] ? float(brightness_n * kBrightnessStd) : 0.0f;
    contrast[r] = chosen[4] ? float(std::exp2(contrast_n * kContrastLog2Std)) : 1.0f;
    saturate[r] = chosen[5] && colour;
    saturation[r] = saturate[r] ? float(std::exp2(saturation_n * kSaturationLog2Std)) : 1.0f;
    cutout[r] = chosen[6];
    cutout_y[r] = float(centre_y);
    cutout_x[r] = float(centre_x);
  }
  AugmentationDraw draw;
  draw.flip = cpuTensor(flip, torch::kInt64);
  draw.quarter_turns = cpuTensor(turns, torch::kInt64);
  draw.shift_y = cpuTensor(shift_y, torch::kInt64);
  draw.shift_x = cpuTensor(shift_x, torch::kInt64);
  draw.brightness = cpuTensor(brightness, torch::kFloat32);
  draw.contrast = cpuTensor(contrast, torch::kFloat32);
  draw.saturate = cpuTensor(saturate, torch::kUInt8).to(torch::kBool);
  draw.saturation = cpuTensor(saturation, torch::kFloat32);
  draw.cutout = cpuTensor(cutout, torch::kUInt8).to(torch::kBool);
  draw.cutout_y = cpuTensor(cutout_y, torch::kFloat32);
  draw.cutout_x = cpuTensor(cutout_x, torch::kFloat32);
  return draw;
}

torch::Tensor applyAugmentation(const torch::Tensor& images, const AugmentationDraw& draw,
                                const ImageGeometry& geometry) {
  const int64_t rows = images.size(0), channels = geometry.channels, height = geometry.height,
                width = geometry.width, pixels = height * width;
  GAN_CHECK(images.numel() == rows * channels * pixels, "augmentation: ", images.numel() / std::max<int64_t>(rows, 1),
            " values per row, expected ", channels, "x", height, "x", width);
  GAN_CHECK(draw.flip.size(0) == rows, "augmentation: drawn for ", draw.flip.size(0), " rows, the batch has ", rows);
  const auto device = images.device();
  auto perRow = [&](const torch::Tensor& t) { return t.to(device).view({rows, 1, 1}); };

  // Geometry: for each output pixel, the source pixel, undoing translate(rotate(flip(image))).
  const auto index_options = torch::TensorOptions().dtype(torch::kInt64).device(device);
  auto y = torch::arange(height, index_options).view({1, height, 1}).expand({rows, height, width});
  auto x = torch::arange(width, index_options).view({1, 1, width}).expand({rows, height, width});
  y = reflectIntoRange(y - perRow(draw.shift_y), height);
  x = reflectIntoRange(x - perRow(draw.shift_x), width);
  // Output (y, x) of k counter-clockwise quarter turns of a square n x n image comes from
  // k=1: (x, n-1-y); k=2: (n-1-y, n-1-x); k=3: (n-1-x, y).
  const auto turns = perRow(draw.quarter_turns);
  const auto source_y = torch::where(turns == 0, y, torch::where(turns == 1, x, torch::where(turns == 2, height - 1 - y, width - 1 - x)));
  auto source_x = torch::where(turns == 0, x, torch::where(turns == 1, width - 1 - y, torch::where(turns == 2, width - 1 - x, y)));
  source_x = torch::where(perRow(draw.flip) == 1, width - 1 - source_x, source_x);
  const auto index = (source_y * width + source_x).view({rows, 1, pixels}).expand({rows, channels, pixels});
  auto out = images.reshape({rows, channels, pixels}).gather(2, index);

  // Colour: + brightness, x contrast (about 0), saturation about each pixel's grey.
  const auto dtype = images.scalar_type();
  out = out + perRow(draw.brightness).to(dtype);
  out = out * perRow(draw.contrast).to(dtype);
  if (channels == 3) {
    const auto grey = out.mean(1, /*keepdim=*/true);
    out = torch::where(perRow(draw.saturate), grey + (out - grey) * perRow(draw.saturation).to(dtype), out);
  }

  // Cutout: the pixels whose centres lie within a quarter side of the square's centre, both ways.
  const auto value_options = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  const auto centre_y = ((torch::arange(height, value_options) + 0.5) / double(height)).view({1, height, 1});
  const auto centre_x = ((torch::arange(width, value_options) + 0.5) / double(width)).view({1, 1, width});
  const auto covered = ((centre_y - perRow(draw.cutout_y)).abs() < kCutoutHalfSide) &
                       ((centre_x - perRow(draw.cutout_x)).abs() < kCutoutHalfSide) & perRow(draw.cutout);
  out = out * (~covered).view({rows, 1, pixels}).to(dtype);
  return out.reshape(images.sizes());
}

}  // namespace gan::train
