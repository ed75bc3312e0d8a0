// Brings a decoded image of any size to the packed set's form: a square of `resolution` pixels
// in gray, RGB or RGBA, channel-major. Transparency is handled with premultiplied alpha, so
// resizing never bleeds the colour of invisible pixels into visible ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/image_decoding.h"

namespace gan::data {

enum class PackedColor { Gray, Rgb, Rgba };
// crop: the centred square of the shorter side (drops the ends of the longer side);
// pad: the whole image centred on a square of the longer side, the border transparent (so it
// takes the background colour unless alpha is kept). When the difference of the sides is odd,
// the extra pixel is cropped from, or padded at, the end (right or bottom).
enum class SquareFit { Crop, Pad };

struct ConformOptions {
  int resolution = 64;
  PackedColor color = PackedColor::Rgb;
  SquareFit fit = SquareFit::Crop;
  uint8_t background[3] = {255, 255, 255};  // what transparency becomes when alpha is dropped
};

int channelCount(PackedColor color);
// "gray" | "rgb" | "rgba" and "crop" | "pad"; throw gan::Error naming `option` otherwise.
PackedColor parsePackedColor(const std::string& text, const std::string& option);
SquareFit parseSquareFit(const std::string& text, const std::string& option);
// "white", "black" or "#rrggbb".
void parseBackground(const std::string& text, const std::string& option, uint8_t (&rgb)[3]);

// Square, resize (a triangle filter widened by the shrink factor, so downscaling averages every
// source pixel instead of skipping some; plain bilinear when enlarging; an image already of the
// target size passes through unchanged), composite or keep alpha, convert to gray with the
// Rec. 601 weights (integer arithmetic: a gray image stays exactly the same). Returns
// channels x resolution x resolution bytes.
std::vector<uint8_t> conformImage(const RgbaImage& image, const ConformOptions& options);

}  // namespace gan::data
