// Brings a decoded image of any size to the packed set's form: a square of `resolution` pixels
// in gray, RGB or RGBA, channel-major. Transparency is handled with premultiplied alpha, so
// resizing never bleeds the colour of invisible pixels into visible ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/option_values.h"
#include "data/image_decoding.h"

namespace gan::data {

using gan::PackedColor;  // --data.color, gan_data --color
using gan::SquareFit;    // --data.fit, gan_data --fit (option_values.h says what each does)

struct ConformOptions {
  int resolution = 64;
  PackedColor color = PackedColor::Rgb;
  SquareFit fit = SquareFit::Crop;
  uint8_t background[3] = {255, 255, 255};  // what transparency becomes when alpha is dropped
};

int channelCount(PackedColor color);
// "white", "black" or "#rrggbb".
void parseBackground(const std::string& text, const std::string& option, uint8_t (&rgb)[3]);

// Square, resize (a triangle filter widened by the shrink factor, so downscaling averages every
// source pixel instead of skipping some; plain bilinear when enlarging; an image already of the
// target size passes through unchanged), composite or keep alpha, convert to gray with the
// Rec. 601 weights (integer arithmetic: a gray image stays exactly the same). Returns
// channels x resolution x resolution bytes.
std::vector<uint8_t> conformImage(const RgbaImage& image, const ConformOptions& options);

}  // namespace gan::data
