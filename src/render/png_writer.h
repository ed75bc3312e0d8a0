// Writes 8-bit grayscale or RGB PNG files (libpng), atomically: a reader never sees half a file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gan::render {

struct Image8 {
  int width = 0;
  int height = 0;
  int channels = 1;  // 1 (gray) or 3 (RGB)
  std::vector<uint8_t> pixels;  // row-major, interleaved channels
};

void writePng(const std::string& path, const Image8& image);
// The PNG file's bytes, in memory (for TensorBoard images).
std::string encodePng(const Image8& image);
// Reads a PNG written by writePng (tests and tools); throws gan::Error naming the file.
Image8 readPng(const std::string& path);

}  // namespace gan::render
