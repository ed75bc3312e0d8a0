#include "data/image_conform.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace gan::data {
namespace {

// A square of premultiplied RGBA floats.
struct FloatSquare {
  int side = 0;
  std::vector<float> values;  // side x side x 4
  float* at(int y, int x) { return &values[(size_t(y) * side + x) * 4]; }
};

// The square an image is cropped or padded to, read pixel by pixel without being stored: a
// padded square can be far larger than its image (a 16384x1 image pads to 16384x16384, 4 GiB
// of floats), while the resize needs only one pass of side x resolution.
struct SquareView {
  const RgbaImage& image;
  int side = 0;
  int dx = 0, dy = 0;  // offset of the square's origin in the image (crop), or minus the image's in the square (pad)

  SquareView(const RgbaImage& source, SquareFit fit)
      : image(source),
        side(fit == SquareFit::Crop ? std::min(source.width, source.height) : std::max(source.width, source.height)),
        dx((source.width - side) / 2),
        dy((source.height - side) / 2) {}

  // Premultiplied RGBA of square pixel (y, x); the padding is transparent.
  void at(int y, int x, float (&out)[4]) const {
    const int sx = x + dx, sy = y + dy;
    if (sx < 0 || sy < 0 || sx >= image.width || sy >= image.height) {
      std::fill(out, out + 4, 0.0f);
      return;
    }
    const uint8_t* p = &image.pixels[(size_t(sy) * image.width + sx) * 4];
    const float alpha = p[3] / 255.0f;
    for (int c = 0; c < 3; ++c) out[c] = p[c] * alpha;
    out[3] = p[3];
  }
};

// Source taps and weights for each output index of a 1-D resize from `from` to `to` samples.
struct Taps {
  std::vector<int> first;
  std::vector<std::vector<float>> weights;
};
Taps triangleTaps(int from, int to) {
  Taps taps;
  const double scale = double(from) / to;
  const double support = std::max(1.0, scale);
  for (int o = 0; o < to; ++o) {
    const double centre = (o + 0.5) * scale - 0.5;
    const int lo = std::max(0, int(std::floor(centre - support)) + 1);
    const int hi = std::min(from - 1, int(std::ceil(centre + support)) - 1);
    std::vector<float> weights;
    double total = 0;
    for (int k = lo; k <= hi; ++k) {
      const double w = std::max(0.0, 1.0 - std::abs(k - centre) / support);
      weights.push_back(float(w));
      total += w;
    }
    for (auto& w : weights) w = float(w / total);
    taps.first.push_back(lo);
    taps.weights.push_back(std::move(weights));
  }
  return taps;
}

FloatSquare resized(const SquareView& square, int to) {
  FloatSquare result;
  result.side = to;
  result.values.assign(size_t(to) * to * 4, 0.0f);
  float in[4];
  if (square.side == to) {
    for (int y = 0; y < to; ++y) {
      for (int x = 0; x < to; ++x) {
        square.at(y, x, in);
        std::copy(in, in + 4, result.at(y, x));
      }
    }
    return result;
  }
  const Taps taps = triangleTaps(square.side, to);
  // Rows first (side x to), then columns (to x to).
  std::vector<float> across(size_t(square.side) * to * 4, 0.0f);
  for (int y = 0; y < square.side; ++y) {
    for (int o = 0; o < to; ++o) {
      float* out = &across[(size_t(y) * to + o) * 4];
      for (size_t k = 0; k < taps.weights[o].size(); ++k) {
        square.at(y, taps.first[o] + int(k), in);
        for (int c = 0; c < 4; ++c) out[c] += taps.weights[o][k] * in[c];
      }
    }
  }
  for (int o = 0; o < to; ++o) {
    for (int x = 0; x < to; ++x) {
      float* out = result.at(o, x);
      for (size_t k = 0; k < taps.weights[o].size(); ++k) {
        const float* column_in = &across[(size_t(taps.first[o] + int(k)) * to + x) * 4];
        for (int c = 0; c < 4; ++c) out[c] += taps.weights[o][k] * column_in[c];
      }
    }
  }
  return result;
}

uint8_t toByte(float v) { return uint8_t(std::lround(std::clamp(v, 0.0f, 255.0f))); }

}  // namespace

int channelCount(PackedColor color) { return color == PackedColor::Gray ? 1 : color == PackedColor::Rgb ? 3 : 4; }

void parseBackground(const std::string& text, const std::string& option, uint8_t (&rgb)[3]) {
  if (text == "white" || text == "black") {
    std::fill(rgb, rgb + 3, text == "white" ? 255 : 0);
    return;
  }
  GAN_CHECK(text.size() == 7 && text[0] == '#' &&
                text.find_first_not_of("0123456789abcdefABCDEF", 1) == std::string::npos,
            option, " must be white | black | #rrggbb, got '", text, "'");
  for (int c = 0; c < 3; ++c) rgb[c] = uint8_t(std::stoi(text.substr(1 + 2 * c, 2), nullptr, 16));
}

std::vector<uint8_t> conformImage(const RgbaImage& image, const ConformOptions& options) {
  GAN_CHECK(options.resolution >= 1 && options.resolution <= 4096, "resolution must be 1 to 4096, got ",
            options.resolution);
  const FloatSquare sized = resized(SquareView(image, options.fit), options.resolution);
  const int side = options.resolution;
  const size_t plane = size_t(side) * side;
  const int channels = channelCount(options.color);
  std::vector<uint8_t> out(plane * channels);
  for (size_t i = 0; i < plane; ++i) {
    const float* p = &sized.values[4 * i];
    uint8_t rgb[3];
    if (options.color == PackedColor::Rgba) {
      // Back from premultiplied; a fully transparent pixel has no colour.
      for (int c = 0; c < 3; ++c) rgb[c] = p[3] > 0 ? toByte(p[c] * 255.0f / p[3]) : 0;
      out[3 * plane + i] = toByte(p[3]);
    } else {
      const float uncovered = 1.0f - p[3] / 255.0f;
      for (int c = 0; c < 3; ++c) rgb[c] = toByte(p[c] + options.background[c] * uncovered);
    }
    if (options.color == PackedColor::Gray) {
      out[i] = uint8_t((299 * rgb[0] + 587 * rgb[1] + 114 * rgb[2] + 500) / 1000);
    } else {
      for (int c = 0; c < 3; ++c) out[c * plane + i] = rgb[c];
    }
  }
  return out;
}

}  // namespace gan::data
