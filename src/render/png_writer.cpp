#include "render/png_writer.h"

#include <png.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "common/error.h"

namespace gan::render {
namespace {
using FilePtr = std::unique_ptr<FILE, int (*)(FILE*)>;
}

namespace {
void appendToString(png_structp png, png_bytep data, png_size_t length) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), length);
}
void noFlush(png_structp) {}
}  // namespace

std::string encodePng(const Image8& image) {
  GAN_CHECK(image.channels == 1 || image.channels == 3, "PNG needs 1 or 3 channels, got ", image.channels);
  GAN_CHECK(image.pixels.size() == size_t(image.width) * image.height * image.channels,
            "pixel buffer does not match ", image.width, "x", image.height, "x", image.channels);
  std::string bytes;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  GAN_CHECK(png && info, "libpng could not allocate its structures");
  // libpng reports errors by longjmp; keep this frame free of objects with destructors
  // created after this point.
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    GAN_FAIL("libpng failed while encoding");
  }
  png_set_write_fn(png, &bytes, appendToString, noFlush);
  png_set_IHDR(png, info, image.width, image.height, 8,
               image.channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const size_t stride = size_t(image.width) * image.channels;
  for (int y = 0; y < image.height; ++y) {
    png_write_row(png, const_cast<png_bytep>(image.pixels.data() + y * stride));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return bytes;
}

void writePng(const std::string& path, const Image8& image) {
  const std::string bytes = encodePng(image);
  const std::string temporary = path + ".tmp";
  {
    FilePtr file(std::fopen(temporary.c_str(), "wb"), std::fclose);
    GAN_CHECK(file, temporary, ": cannot open for writing");
    GAN_CHECK(std::fwrite(bytes.data(), 1, bytes.size(), file.get()) == bytes.size() && std::fflush(file.get()) == 0,
              temporary, ": write failed");
  }
  std::filesystem::rename(temporary, path);
}

Image8 readPng(const std::string& path) {
  FilePtr file(std::fopen(path.c_str(), "rb"), std::fclose);
  GAN_CHECK(file, path, ": cannot open PNG");
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  GAN_CHECK(png && info, path, ": libpng could not allocate its structures");
  Image8 image;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    GAN_FAIL(path, ": not a readable PNG");
  }
  png_init_io(png, file.get());
  png_read_info(png, info);
  image.width = int(png_get_image_width(png, info));
  image.height = int(png_get_image_height(png, info));
  const int color = png_get_color_type(png, info);
  image.channels = color == PNG_COLOR_TYPE_GRAY ? 1 : 3;
  if (png_get_bit_depth(png, info) != 8 || (color != PNG_COLOR_TYPE_GRAY && color != PNG_COLOR_TYPE_RGB)) {
    png_destroy_read_struct(&png, &info, nullptr);
    GAN_FAIL(path, ": only 8-bit gray or RGB PNGs are supported");
  }
  image.pixels.resize(size_t(image.width) * image.height * image.channels);
  for (int y = 0; y < image.height; ++y) {
    png_read_row(png, image.pixels.data() + size_t(y) * image.width * image.channels, nullptr);
  }
  png_destroy_read_struct(&png, &info, nullptr);
  return image;
}

}  // namespace gan::render
