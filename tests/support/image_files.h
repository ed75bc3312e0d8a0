// Image files for the packing tests, written with the libraries the packer reads them with
// (libpng's simplified API: gray, RGB, RGBA and palette PNGs; libjpeg-turbo).
#pragma once

#include <jpeglib.h>
#include <png.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace gan::test_support {

// Writes `pixels` (row-major, interleaved; 1, 3 or 4 channels) as an 8-bit PNG.
inline std::string writeTestPng(const std::string& path, int width, int height, int channels,
                                const std::vector<uint8_t>& pixels) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = uint32_t(width);
  image.height = uint32_t(height);
  image.format = channels == 1 ? PNG_FORMAT_GRAY : channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
  if (!png_image_write_to_file(&image, path.c_str(), 0, pixels.data(), 0, nullptr)) {
    throw std::runtime_error(path + ": " + image.message);
  }
  return path;
}

// A palette PNG: each pixel an index into `palette` (RGBA entries; alpha below 255 becomes tRNS).
inline std::string writeTestPalettePng(const std::string& path, int width, int height,
                                       const std::vector<uint8_t>& indices, const std::vector<uint8_t>& palette_rgba) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = uint32_t(width);
  image.height = uint32_t(height);
  image.format = PNG_FORMAT_RGBA_COLORMAP;
  image.colormap_entries = uint32_t(palette_rgba.size() / 4);
  if (!png_image_write_to_file(&image, path.c_str(), 0, indices.data(), 0, palette_rgba.data())) {
    throw std::runtime_error(path + ": " + image.message);
  }
  return path;
}

// Writes RGB `pixels` (row-major, interleaved) as a JPEG of `quality`.
inline std::string writeTestJpeg(const std::string& path, int width, int height, const std::vector<uint8_t>& pixels,
                                 int quality = 95) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) throw std::runtime_error(path + ": cannot write");
  jpeg_compress_struct info;
  jpeg_error_mgr errors;
  info.err = jpeg_std_error(&errors);
  jpeg_create_compress(&info);
  jpeg_stdio_dest(&info, file);
  info.image_width = JDIMENSION(width);
  info.image_height = JDIMENSION(height);
  info.input_components = 3;
  info.in_color_space = JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(&pixels[size_t(info.next_scanline) * width * 3]);
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  std::fclose(file);
  return path;
}

// `count` RGBA images of side `side` in two class folders (red/, blue/), red-ish and blue-ish with a
// transparent first row.
inline std::string writeTwoClassImages(const std::string& root, int count, int side) {
  for (int i = 0; i < count; ++i) {
    std::vector<uint8_t> pixels(size_t(side) * side * 4);
    for (int p = 0; p < side * side; ++p) {
      const bool red = i % 2 == 0;
      pixels[4 * p + 0] = uint8_t(red ? 200 + (p + i) % 50 : 20);
      pixels[4 * p + 1] = uint8_t((p * 3 + i) % 256);
      pixels[4 * p + 2] = uint8_t(red ? 30 : 180 + (p + i) % 70);
      pixels[4 * p + 3] = uint8_t(p < side ? 0 : 255);
    }
    char name[32];
    std::snprintf(name, sizeof name, "/%s/%03d.png", i % 2 == 0 ? "red" : "blue", i);
    writeTestPng(root + name, side, side, 4, pixels);
  }
  return root;
}

}  // namespace gan::test_support
