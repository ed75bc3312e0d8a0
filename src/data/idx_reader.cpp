#include "data/idx_reader.h"

#include <zlib.h>

#include <memory>

#include "common/error.h"

namespace gan::data {
namespace {

// Whole file, decompressed when it is gzip (zlib reads plain files transparently).
std::vector<uint8_t> readAllBytes(const std::string& path) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose);
  GAN_CHECK(file, path, ": cannot open IDX file");
  gzbuffer(file.get(), 1 << 20);
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> chunk(1 << 20);
  for (;;) {
    const int got = gzread(file.get(), chunk.data(), static_cast<unsigned>(chunk.size()));
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file.get(), &code);
      GAN_FAIL(path, ": cannot read IDX file (", message, ")");
    }
    if (got == 0) break;
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + got);
  }
  // gzread stops quietly at a truncated gzip stream; gzerror tells.
  int code = 0;
  const char* message = gzerror(file.get(), &code);
  GAN_CHECK(code == Z_OK || code == Z_STREAM_END, path, ": corrupt or truncated gzip data (", message, ")");
  return bytes;
}

uint32_t bigEndian32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

}  // namespace

int64_t IdxArray::itemSize() const {
  int64_t size = 1;
  for (size_t i = 1; i < dims.size(); ++i) size *= dims[i];
  return size;
}

IdxArray readIdxFile(const std::string& path) {
  std::vector<uint8_t> bytes = readAllBytes(path);
  GAN_CHECK(bytes.size() >= 4, path, ": not an IDX file (", bytes.size(), " bytes, shorter than the 4-byte magic)");
  GAN_CHECK(bytes[0] == 0 && bytes[1] == 0, path,
            ": not an IDX file (magic number must start with two zero bytes)");
  GAN_CHECK(bytes[2] == 0x08, path, ": IDX element type 0x", std::hex, int(bytes[2]),
            " is not supported (expected 0x08, unsigned byte)");
  const int rank = bytes[3];
  GAN_CHECK(rank >= 1 && rank <= 4, path, ": IDX file has ", rank, " dimensions, expected 1 to 4");
  const size_t header = 4 + 4 * size_t(rank);
  GAN_CHECK(bytes.size() >= header, path, ": truncated IDX header (", bytes.size(), " bytes, need ", header, ")");

  IdxArray array;
  uint64_t expected = 1;
  for (int d = 0; d < rank; ++d) {
    const uint32_t extent = bigEndian32(&bytes[4 + 4 * d]);
    GAN_CHECK(extent > 0 && extent <= (1u << 30), path, ": dimension ", d, " has size ", extent,
              ", expected 1 to 2^30");
    array.dims.push_back(extent);
    expected *= extent;
    GAN_CHECK(expected <= (uint64_t(1) << 34), path, ": IDX array larger than 16 GiB");
  }
  const uint64_t actual = bytes.size() - header;
  GAN_CHECK(actual >= expected, path, ": truncated IDX data (header promises ", expected,
            " bytes, file has ", actual, ")");
  GAN_CHECK(actual == expected, path, ": ", actual - expected, " unexpected bytes after the IDX data");
  array.values.assign(bytes.begin() + header, bytes.end());
  return array;
}

}  // namespace gan::data
