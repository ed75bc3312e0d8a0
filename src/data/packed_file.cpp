#include "data/packed_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <filesystem>

#include "common/error.h"

namespace gan::data {
namespace {

constexpr char kMagic[8] = {'G', 'A', 'N', 'P', 'A', 'C', 'K', '\0'};
constexpr size_t kCrcField = 48;  // byte offset of the CRC-32 in the header
constexpr uint32_t kMaxSide = 1 << 16;

// ---- little-endian fields -------------------------------------------------------------------
void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
void put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}
uint32_t get32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint32_t crcOf(uint32_t crc, const void* bytes, size_t size) {
  return uint32_t(crc32_z(crc, static_cast<const Bytef*>(bytes), size));
}

// Where each part of a file with this header lives; false when the sizes overflow.
struct Layout {
  uint64_t label_offset = 0, names_offset = 0, total = 0;
};
bool layoutOf(const PackedImageShape& shape, uint64_t count, bool labelled, uint64_t names_bytes, Layout& out) {
  uint64_t pixel_bytes = 0;
  if (__builtin_mul_overflow(count, shape.bytesPerImage(), &pixel_bytes)) return false;
  if (pixel_bytes > (uint64_t(1) << 50)) return false;
  // Every sum checked: a header's sizes are untrusted, and a total that wraps around 64 bits
  // could match the file's size while the offsets point far past the mapping.
  out.label_offset = (kPackedHeaderBytes + pixel_bytes + 3) / 4 * 4;
  uint64_t label_bytes = 0;
  if (labelled && __builtin_mul_overflow(count, uint64_t(4), &label_bytes)) return false;
  if (__builtin_add_overflow(out.label_offset, label_bytes, &out.names_offset)) return false;
  if (__builtin_add_overflow(out.names_offset, names_bytes, &out.total)) return false;
  return true;
}

std::string joinedNames(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) joined += name + "\n";
  return joined;
}

std::string systemError() { return std::strerror(errno); }

// A temporary name no other writer can have: packers on other nodes may share the cache folder
// (where flock is often node-local), and one process may pack the same file twice at once. The
// file is created with O_EXCL, so a clash is an error, never two writers in one file.
std::string temporaryNameFor(const std::string& path) {
  static std::atomic<uint64_t> writers{0};
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "host");
  return path + ".tmp." + host + "." + std::to_string(::getpid()) + "." + std::to_string(writers++);
}

}  // namespace

// ---- writer ---------------------------------------------------------------------------------

PackedFileWriter::PackedFileWriter(std::string path, PackedImageShape shape)
    : path_(std::move(path)), temporary_(temporaryNameFor(path_)), shape_(shape) {
  GAN_CHECK(shape.channels == 1 || shape.channels == 3 || shape.channels == 4, path_,
            ": packed images need 1, 3 or 4 channels, got ", shape.channels);
  GAN_CHECK(shape.height > 0 && shape.width > 0 && shape.height <= kMaxSide && shape.width <= kMaxSide, path_,
            ": image side must be 1 to ", kMaxSide, ", got ", shape.height, "x", shape.width);
  descriptor_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  GAN_CHECK(descriptor_ >= 0, temporary_, ": cannot create (", systemError(), ")");
  // The header is written last, once the counts and the checksum are known.
  const uint8_t placeholder[kPackedHeaderBytes] = {};
  GAN_CHECK(::write(descriptor_, placeholder, sizeof placeholder) == ssize_t(sizeof placeholder), temporary_,
            ": write failed (", systemError(), ")");
}

PackedFileWriter::~PackedFileWriter() {
  if (descriptor_ >= 0) ::close(descriptor_);
  if (!finished_) ::unlink(temporary_.c_str());
}

void PackedFileWriter::write(const void* bytes, size_t size) {
  crc_ = crcOf(crc_, bytes, size);
  const auto* p = static_cast<const uint8_t*>(bytes);
  while (size > 0) {
    const ssize_t done = ::write(descriptor_, p, size);
    if (done < 0 && errno == EINTR) continue;
    GAN_CHECK(done > 0, temporary_, ": write failed (", systemError(), ")");
    p += done;
    size -= size_t(done);
  }
}

void PackedFileWriter::append(const uint8_t* pixels, int32_t label) {
  GAN_CHECK(!finished_, path_, ": image appended after finish()");
  write(pixels, shape_.bytesPerImage());
  labels_.push_back(label);
  ++count_;
}

void PackedFileWriter::finish(const std::vector<std::string>& class_names) {
  GAN_CHECK(!finished_, path_, ": finish() called twice");
  GAN_CHECK(count_ > 0, path_, ": no images to pack");
  const bool labelled = !class_names.empty();
  for (const auto& name : class_names) {
    GAN_CHECK(!name.empty() && name.find('\n') == std::string::npos, path_, ": class name '", name,
              "' must be non-empty and on one line");
  }
  for (int32_t label : labels_) {
    GAN_CHECK(labelled ? (label >= 0 && size_t(label) < class_names.size()) : label == -1, path_, ": label ", label,
              labelled ? " is not one of the class indices" : " given to a set packed without labels");
  }
  const std::string names = joinedNames(class_names);
  Layout layout;
  GAN_CHECK(layoutOf(shape_, count_, labelled, names.size(), layout), path_, ": data set too large");
  const uint64_t padding = layout.label_offset - (kPackedHeaderBytes + count_ * shape_.bytesPerImage());
  const uint8_t zeros[4] = {};
  write(zeros, size_t(padding));
  if (labelled) {
    std::vector<uint8_t> encoded(4 * labels_.size());
    for (size_t i = 0; i < labels_.size(); ++i) put32(&encoded[4 * i], uint32_t(labels_[i]));
    write(encoded.data(), encoded.size());
  }
  write(names.data(), names.size());

  uint8_t header[kPackedHeaderBytes] = {};
  std::memcpy(header, kMagic, sizeof kMagic);
  put32(header + 8, kPackedFormatVersion);
  put32(header + 12, shape_.channels);
  put32(header + 16, shape_.height);
  put32(header + 20, shape_.width);
  put64(header + 24, count_);
  put32(header + 32, uint32_t(class_names.size()));
  put64(header + 40, names.size());
  put32(header + kCrcField, crcOf(crc_, header, sizeof header));
  GAN_CHECK(::pwrite(descriptor_, header, sizeof header, 0) == ssize_t(sizeof header), temporary_,
            ": write failed (", systemError(), ")");
  GAN_CHECK(::fsync(descriptor_) == 0, temporary_, ": fsync failed (", systemError(), ")");
  GAN_CHECK(::close(descriptor_) == 0, temporary_, ": close failed (", systemError(), ")");
  descriptor_ = -1;
  std::error_code error;
  std::filesystem::rename(temporary_, path_, error);
  GAN_CHECK(!error, path_, ": cannot rename ", temporary_, " into place (", error.message(), ")");
  finished_ = true;
  // The rename itself is durable only once the directory is synced.
  const std::string directory = std::filesystem::path(path_).parent_path().string();
  const int dir = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

// ---- reader ---------------------------------------------------------------------------------

std::shared_ptr<const PackedFile> PackedFile::open(const std::string& path, bool verify_checksum) {
  std::shared_ptr<PackedFile> file(new PackedFile());
  file->path_ = path;
  const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  GAN_CHECK(descriptor >= 0, path, ": cannot open packed image file (", systemError(), ")");
  struct stat info {};
  const bool stat_ok = ::fstat(descriptor, &info) == 0;
  const uint64_t size = stat_ok ? uint64_t(info.st_size) : 0;
  if (!stat_ok || size < kPackedHeaderBytes) {
    ::close(descriptor);
    GAN_FAIL(path, ": not a packed image file (", size, " bytes, shorter than the ", kPackedHeaderBytes,
             "-byte header)");
  }
  void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, descriptor, 0);
  ::close(descriptor);  // the mapping keeps the file open
  GAN_CHECK(mapping != MAP_FAILED, path, ": cannot map (", systemError(), ")");
  file->base_ = static_cast<const uint8_t*>(mapping);
  file->size_ = size;

  const uint8_t* header = file->base_;
  GAN_CHECK(std::memcmp(header, kMagic, sizeof kMagic) == 0, path,
            ": not a packed image file (no GANPACK magic; make one with gan_data pack)");
  const uint32_t version = get32(header + 8);
  GAN_CHECK(version == kPackedFormatVersion, path, ": packed format version ", version, ", this gan_dist reads ",
            kPackedFormatVersion, " (pack the images again)");
  PackedImageShape shape{get32(header + 12), get32(header + 16), get32(header + 20)};
  GAN_CHECK(shape.channels == 1 || shape.channels == 3 || shape.channels == 4, path, ": header says ",
            shape.channels, " channels, expected 1, 3 or 4");
  GAN_CHECK(shape.height > 0 && shape.width > 0 && shape.height <= kMaxSide && shape.width <= kMaxSide, path,
            ": header says images of ", shape.height, "x", shape.width, ", expected sides of 1 to ", kMaxSide);
  const uint64_t count = get64(header + 24);
  const uint32_t class_count = get32(header + 32);
  const uint64_t names_bytes = get64(header + 40);
  GAN_CHECK(count > 0, path, ": header says the file holds no images");
  Layout layout;
  GAN_CHECK(layoutOf(shape, count, class_count > 0, names_bytes, layout), path,
            ": damaged packed file (header implies an impossible size)");
  GAN_CHECK(layout.total == size, path, ": truncated or damaged packed file (header implies ", layout.total,
            " bytes, file has ", size, ")");
  if (verify_checksum) {
    uint8_t zeroed[kPackedHeaderBytes];
    std::memcpy(zeroed, header, sizeof zeroed);
    put32(zeroed + kCrcField, 0);
    uint32_t crc = 0;
    // In 1 GiB pieces: crc32_z takes size_t, but keep each call's work bounded all the same.
    for (uint64_t at = kPackedHeaderBytes; at < size; at += uint64_t(1) << 30) {
      crc = crcOf(crc, file->base_ + at, size_t(std::min<uint64_t>(size - at, uint64_t(1) << 30)));
    }
    crc = crcOf(crc, zeroed, sizeof zeroed);
    GAN_CHECK(crc == get32(header + kCrcField), path,
              ": checksum mismatch (the packed file is damaged; pack the images again)");
  }
  file->shape_ = shape;
  file->count_ = count;
  if (class_count > 0) {
    const char* names = reinterpret_cast<const char*>(file->base_ + layout.names_offset);
    std::string all(names, names_bytes);
    size_t start = 0;
    for (size_t end; (end = all.find('\n', start)) != std::string::npos; start = end + 1) {
      file->class_names_.push_back(all.substr(start, end - start));
    }
    GAN_CHECK(start == all.size() && file->class_names_.size() == class_count, path, ": header says ", class_count,
              " classes, the name table holds ", file->class_names_.size());
    file->labels_ = reinterpret_cast<const int32_t*>(file->base_ + layout.label_offset);
    for (uint64_t i = 0; i < count; ++i) {
      GAN_CHECK(file->labels_[i] >= 0 && uint32_t(file->labels_[i]) < class_count, path, ": image ", i, " has label ",
                file->labels_[i], ", expected 0 to ", class_count - 1);
    }
  }
  return file;
}

PackedFile::~PackedFile() {
  if (base_) ::munmap(const_cast<uint8_t*>(base_), size_);
}

}  // namespace gan::data
