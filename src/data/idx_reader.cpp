#include "data/idx_reader.h"

#include <zlib.h>

#include <algorithm>
#include <memory>

#include "common/error.h"

namespace gan::data {
namespace {

// The largest IDX array we read: 16 GiB is far beyond any data set a rank should hold in memory.
constexpr uint64_t kMaxIdxBytes = uint64_t(1) << 34;

// A gzip or plain file read in pieces (zlib reads plain files transparently), so that no more is
// ever inflated than the header announced.
class IdxFile {
 public:
  explicit IdxFile(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb"), gzclose) {
    GAN_CHECK(file_, path, ": cannot open IDX file");
    gzbuffer(file_.get(), 1 << 20);
  }
  // Reads up to `count` bytes into `out`; returns how many arrived (fewer only at the end).
  size_t read(uint8_t* out, size_t count) {
    size_t total = 0;
    while (total < count) {
      const unsigned want = static_cast<unsigned>(std::min<size_t>(count - total, 1 << 30));
      const int got = gzread(file_.get(), out + total, want);
      if (got < 0) {
        int code = 0;
        GAN_FAIL(path_, ": cannot read IDX file (", gzerror(file_.get(), &code), ")");
      }
      if (got == 0) break;
      total += size_t(got);
    }
    // gzread stops quietly at a truncated gzip stream; gzerror tells.
    int code = 0;
    const char* message = gzerror(file_.get(), &code);
    GAN_CHECK(code == Z_OK || code == Z_STREAM_END, path_, ": corrupt or truncated gzip data (", message, ")");
    return total;
  }

 private:
  std::string path_;
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file_;
};

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
  IdxFile file(path);
  uint8_t magic[4] = {};
  const size_t magic_bytes = file.read(magic, 4);
  GAN_CHECK(magic_bytes == 4, path, ": not an IDX file (", magic_bytes, " bytes, shorter than the 4-byte magic)");
  GAN_CHECK(magic[0] == 0 && magic[1] == 0, path, ": not an IDX file (magic number must start with two zero bytes)");
  GAN_CHECK(magic[2] == 0x08, path, ": IDX element type 0x", std::hex, int(magic[2]),
            " is not supported (expected 0x08, unsigned byte)");
  const int rank = magic[3];
  GAN_CHECK(rank >= 1 && rank <= 4, path, ": IDX file has ", rank, " dimensions, expected 1 to 4");
  uint8_t extents[16] = {};
  const size_t header = 4 + 4 * size_t(rank);
  const size_t extent_bytes = file.read(extents, 4 * size_t(rank));
  GAN_CHECK(extent_bytes == 4 * size_t(rank), path, ": truncated IDX header (", 4 + extent_bytes, " bytes, need ",
            header, ")");

  IdxArray array;
  uint64_t expected = 1;
  std::string shape;
  for (int d = 0; d < rank; ++d) {
    const uint32_t extent = bigEndian32(&extents[4 * d]);
    GAN_CHECK(extent > 0 && extent <= (1u << 30), path, ": dimension ", d, " has size ", extent,
              ", expected 1 to 2^30");
    array.dims.push_back(extent);
    shape += (d == 0 ? "" : " x ") + std::to_string(extent);
    // Checked: the product of four extents up to 2^30 does not fit in 64 bits.
    GAN_CHECK(!__builtin_mul_overflow(expected, uint64_t(extent), &expected) && expected <= kMaxIdxBytes, path,
              ": IDX array of ", shape, " bytes is larger than 16 GiB");
  }
  // Memory grows with the data that actually arrives, never with what the header claims: a
  // 20-byte file announcing gigabytes is refused as truncated, not allocated (found by the fuzzer).
  constexpr size_t kPiece = 16 << 20;
  size_t got = 0;
  while (got < expected) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kPiece, expected - got));
    array.values.resize(got + want);
    const size_t arrived = file.read(array.values.data() + got, want);
    got += arrived;
    if (arrived < want) break;
  }
  array.values.resize(got);
  GAN_CHECK(got == expected, path, ": truncated IDX data (header promises ", expected, " bytes, file has ", got, ")");
  uint8_t extra[4096];
  const size_t more = file.read(extra, sizeof extra);
  GAN_CHECK(more == 0, path, ": ", more == sizeof extra ? "more than " : "", more,
            " unexpected bytes after the IDX data (header promises ", expected, ")");
  return array;
}

}  // namespace gan::data
