// Decodes PNG (libpng's simplified API: every colour type, palettes, tRNS transparency) and JPEG
// (libjpeg-turbo) files into 8-bit RGBA, the one form the packer works on. libpng and
// libjpeg-turbo are Debian's well-kept decoders of these formats, already on every machine that
// runs gan_dist (libpng writes our sample grids); stb_image would be a second PNG decoder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gan::data {

struct RgbaImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // row-major, 4 bytes per pixel (R, G, B, A), alpha not premultiplied
  bool had_alpha = false;       // the file carried transparency
};

// Decodes `path`, choosing the decoder from the file's first bytes (not its name). Throws
// gan::Error naming the file when it is not a PNG or JPEG, or is truncated or damaged.
RgbaImage decodeImageFile(const std::string& path);

}  // namespace gan::data
