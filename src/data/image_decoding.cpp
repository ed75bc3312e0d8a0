#include "data/image_decoding.h"

#include <jpeglib.h>
#include <jerror.h>  // after jpeglib.h: the message codes
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/error.h"
#include "common/file_contents.h"

namespace gan::data {
namespace {

constexpr int kMaxDecodedSide = 1 << 14;  // 16384: larger images are refused, not allocated

bool isPng(const std::string& bytes) { return bytes.size() >= 8 && png_sig_cmp(reinterpret_cast<png_const_bytep>(bytes.data()), 0, 8) == 0; }
bool isJpeg(const std::string& bytes) {
  return bytes.size() >= 3 && uint8_t(bytes[0]) == 0xFF && uint8_t(bytes[1]) == 0xD8 && uint8_t(bytes[2]) == 0xFF;
}

RgbaImage decodePng(const std::string& path, const std::string& bytes) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  const auto fail = [&](const char* what) {
    const std::string message = image.message;
    png_image_free(&image);
    GAN_FAIL(path, ": ", what, " PNG (", message, ")");
  };
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) fail("unreadable");
  if (image.width == 0 || image.height == 0 || image.width > kMaxDecodedSide || image.height > kMaxDecodedSide) {
    png_image_free(&image);
    GAN_FAIL(path, ": PNG of ", image.width, "x", image.height, " pixels, expected sides of 1 to ", kMaxDecodedSide);
  }
  RgbaImage out;
  out.width = int(image.width);
  out.height = int(image.height);
  out.had_alpha = (image.format & PNG_FORMAT_FLAG_ALPHA) != 0;
  // 8-bit sRGB RGBA out of any colour type: palettes expanded, gray replicated, tRNS as alpha.
  image.format = PNG_FORMAT_RGBA;
  out.pixels.resize(size_t(out.width) * out.height * 4);
  if (!png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr)) fail("truncated or damaged");
  png_image_free(&image);
  return out;
}

// libjpeg reports errors through error_exit, which must not return: jump back with the message.
struct JpegErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};
void jpegErrorExit(j_common_ptr info) {
  auto* manager = reinterpret_cast<JpegErrorManager*>(info->err);
  (*info->err->format_message)(info, manager->message);
  std::longjmp(manager->jump, 1);
}
// Counts the warnings (level -1) that mean lost or invented pixels, without printing them. A few
// warnings leave every pixel as encoded: bytes between segments that belong to none (common in
// files from cameras and editors), an unknown JFIF minor version, an Adobe marker's odd transform.
void jpegCountWarning(j_common_ptr info, int level) {
  if (level >= 0) return;
  const int code = info->err->msg_code;
  if (code == JWRN_EXTRANEOUS_DATA || code == JWRN_JFIF_MAJOR || code == JWRN_ADOBE_XFORM) return;
  ++info->err->num_warnings;
}

// Only plain data and no destructors between setjmp and the last longjmp (libjpeg's contract).
bool decodeJpegInto(const std::string& bytes, RgbaImage& out, std::vector<uint8_t>& rgb, std::string& error) {
  jpeg_decompress_struct info;
  JpegErrorManager errors;
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = jpegErrorExit;
  errors.base.emit_message = jpegCountWarning;
  if (setjmp(errors.jump)) {
    error = errors.message;
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  jpeg_read_header(&info, TRUE);
  if (info.image_width == 0 || info.image_height == 0 || info.image_width > unsigned(kMaxDecodedSide) ||
      info.image_height > unsigned(kMaxDecodedSide)) {
    std::snprintf(errors.message, sizeof errors.message, "JPEG of %ux%u pixels, expected sides of 1 to %d",
                  info.image_width, info.image_height, kMaxDecodedSide);
    error = errors.message;
    jpeg_destroy_decompress(&info);
    return false;
  }
  // Gray and YCbCr convert to RGB; a colour space libjpeg cannot convert is reported as an error.
  info.out_color_space = JCS_RGB;
  jpeg_start_decompress(&info);
  out.width = int(info.output_width);
  out.height = int(info.output_height);
  rgb.resize(size_t(out.width) * out.height * 3);
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = rgb.data() + size_t(info.output_scanline) * out.width * 3;
    jpeg_read_scanlines(&info, &row, 1);
  }
  // A truncated file decodes with grey filler and a warning; treat it as the damage it is.
  const bool truncated = errors.base.num_warnings > 0;
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  if (truncated) error = "truncated or damaged data";
  return !truncated;
}

RgbaImage decodeJpeg(const std::string& path, const std::string& bytes) {
  RgbaImage out;
  std::vector<uint8_t> rgb;
  std::string error;
  GAN_CHECK(decodeJpegInto(bytes, out, rgb, error), path, ": unreadable JPEG (", error, ")");
  out.pixels.resize(size_t(out.width) * out.height * 4);
  for (size_t i = 0, n = size_t(out.width) * out.height; i < n; ++i) {
    std::memcpy(&out.pixels[4 * i], &rgb[3 * i], 3);
    out.pixels[4 * i + 3] = 255;
  }
  return out;
}

}  // namespace

RgbaImage decodeImageFile(const std::string& path) {
  const std::string bytes = readFileContents(path);
  if (isPng(bytes)) return decodePng(path, bytes);
  if (isJpeg(bytes)) return decodeJpeg(path, bytes);
  GAN_FAIL(path, ": not a PNG or JPEG image (", bytes.size(), " bytes, unknown signature)");
}

}  // namespace gan::data
