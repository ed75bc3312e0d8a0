// The packed image file: one file holding a whole image data set as uint8 pixels, written once
// (gan_data pack, or the data-set cache) and memory-mapped read-only by every rank, so all ranks
// of a node share one copy through the page cache and a set larger than memory still trains.
//
// Layout (little-endian):
//   bytes 0-63   header: magic "GANPACK\0", format version, channels, height, width, image count,
//                class count (0: no labels), class-name bytes, CRC-32
//   then         count x channels x height x width pixel bytes, each image channel-major (CHW)
//   then         (padding to 4 bytes) count int32 labels, when the class count is not 0
//   then         the class names, one per line (UTF-8), when the class count is not 0
// The CRC-32 covers everything after the header and then the header with its CRC field zeroed;
// the file's size must be exactly what the header implies.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gan::data {

inline constexpr uint32_t kPackedFormatVersion = 1;
inline constexpr size_t kPackedHeaderBytes = 64;

struct PackedImageShape {
  uint32_t channels = 1;  // 1 (gray), 3 (RGB) or 4 (RGBA)
  uint32_t height = 0;
  uint32_t width = 0;
  uint64_t bytesPerImage() const { return uint64_t(channels) * height * width; }
};

// Writes a packed file image by image (memory does not grow with the set, apart from 4 bytes of
// label per image) to `<path>.tmp.<pid>`, then renames it over `path` in finish(): a reader never
// sees half a file, and a writer that fails or is destroyed unfinished leaves nothing behind.
class PackedFileWriter {
 public:
  PackedFileWriter(std::string path, PackedImageShape shape);
  ~PackedFileWriter();
  PackedFileWriter(const PackedFileWriter&) = delete;
  PackedFileWriter& operator=(const PackedFileWriter&) = delete;

  // One image of shape().bytesPerImage() bytes, channel-major; `label` is an index into the class
  // names given to finish(), or -1 when the set has no labels.
  void append(const uint8_t* pixels, int32_t label = -1);
  // Writes labels, class names and header, syncs and renames. `class_names` empty: no labels
  // (then every append must have passed -1). Throws gan::Error naming the file.
  void finish(const std::vector<std::string>& class_names = {});

  uint64_t count() const { return count_; }
  const PackedImageShape& shape() const { return shape_; }

 private:
  void write(const void* bytes, size_t size);

  std::string path_, temporary_;
  PackedImageShape shape_;
  int descriptor_ = -1;
  uint64_t count_ = 0;
  uint32_t crc_ = 0;
  std::vector<int32_t> labels_;
  bool finished_ = false;
};

// A packed file mapped read-only. Opening checks the header against the file's size and (unless
// told not to) the CRC-32 of the whole file; every failure throws gan::Error naming the file.
class PackedFile {
 public:
  static std::shared_ptr<const PackedFile> open(const std::string& path, bool verify_checksum = true);
  ~PackedFile();
  PackedFile(const PackedFile&) = delete;
  PackedFile& operator=(const PackedFile&) = delete;

  const std::string& path() const { return path_; }
  const PackedImageShape& shape() const { return shape_; }
  uint64_t count() const { return count_; }
  const uint8_t* pixels() const { return base_ + kPackedHeaderBytes; }  // count x bytesPerImage()
  const uint8_t* image(uint64_t i) const { return pixels() + i * shape_.bytesPerImage(); }
  bool hasLabels() const { return !class_names_.empty(); }
  const int32_t* labels() const { return labels_; }  // count entries, when hasLabels()
  const std::vector<std::string>& classNames() const { return class_names_; }
  uint64_t fileBytes() const { return size_; }

 private:
  PackedFile() = default;

  std::string path_;
  const uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  PackedImageShape shape_;
  uint64_t count_ = 0;
  const int32_t* labels_ = nullptr;
  std::vector<std::string> class_names_;
};

}  // namespace gan::data
