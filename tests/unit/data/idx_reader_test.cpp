// IDX reader: plain and gzip files, and each malformed case with its message.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "data/idx_reader.h"
#include "support/error_message.h"
#include "support/synthetic_data.h"

namespace {

using gan::test_support::idxBytes;

std::string writeFile(const std::string& name, const std::vector<uint8_t>& bytes, bool gzip = false) {
  return gan::test_support::writeBytes(::testing::TempDir() + "/" + name, bytes, gzip);
}

std::string errorReading(const std::string& path) {
  return gan::test_support::errorMessageOf([&] { gan::data::readIdxFile(path); });
}

TEST(IdxReader, ReadsPlainFile) {
  const auto array = gan::data::readIdxFile(writeFile("plain.idx", idxBytes({3, 2, 4})));
  EXPECT_EQ(array.dims, (std::vector<int64_t>{3, 2, 4}));
  EXPECT_EQ(array.itemCount(), 3);
  EXPECT_EQ(array.itemSize(), 8);
  ASSERT_EQ(array.values.size(), 24u);
  EXPECT_EQ(array.values[5], 35);
}

TEST(IdxReader, ReadsGzipFile) {
  const auto expected = idxBytes({5, 3, 3});
  const auto array = gan::data::readIdxFile(writeFile("packed.idx.gz", expected, true));
  EXPECT_EQ(array.dims, (std::vector<int64_t>{5, 3, 3}));
  EXPECT_TRUE(std::equal(array.values.begin(), array.values.end(), expected.begin() + 16));
}

TEST(IdxReader, RejectsBadMagic) {
  auto bytes = idxBytes({2, 2});
  bytes[0] = 0x1f;
  const auto path = writeFile("badmagic.idx", bytes);
  EXPECT_NE(errorReading(path).find(path + ": not an IDX file"), std::string::npos) << errorReading(path);
}

TEST(IdxReader, RejectsUnsupportedType) {
  const auto path = writeFile("float.idx", idxBytes({2, 2}, 0x0D));
  EXPECT_NE(errorReading(path).find("element type 0xd is not supported"), std::string::npos) << errorReading(path);
}

TEST(IdxReader, RejectsTruncatedData) {
  auto bytes = idxBytes({4, 28, 28});
  bytes.resize(bytes.size() - 100);
  const auto path = writeFile("truncated.idx", bytes);
  EXPECT_NE(errorReading(path).find("truncated IDX data (header promises 3136 bytes, file has 3036)"),
            std::string::npos) << errorReading(path);
}

TEST(IdxReader, RejectsTruncatedGzip) {
  const auto full = writeFile("full.idx.gz", idxBytes({50, 28, 28}), true);
  std::ifstream in(full, std::ios::binary);
  std::vector<uint8_t> packed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  packed.resize(packed.size() / 2);
  const auto path = writeFile("cut.idx.gz", packed);
  EXPECT_NE(errorReading(path).find(path), std::string::npos);
  EXPECT_FALSE(errorReading(path).empty());
}

TEST(IdxReader, RejectsWrongDims) {
  auto bytes = idxBytes({2, 2});
  bytes[3] = 9;  // nine dimensions
  const auto path = writeFile("dims.idx", bytes);
  EXPECT_NE(errorReading(path).find("has 9 dimensions, expected 1 to 4"), std::string::npos) << errorReading(path);
  auto zero = idxBytes({2, 2});
  zero[7] = 0;  // first dimension 0
  const auto zero_path = writeFile("zerodim.idx", zero);
  EXPECT_NE(errorReading(zero_path).find("dimension 0 has size 0"), std::string::npos) << errorReading(zero_path);
}

TEST(IdxReader, RejectsTrailingBytesAndMissingFile) {
  auto bytes = idxBytes({2, 2});
  bytes.push_back(1);
  EXPECT_NE(errorReading(writeFile("long.idx", bytes)).find("1 unexpected bytes"), std::string::npos);
  EXPECT_NE(errorReading("/nonexistent.idx").find("/nonexistent.idx: cannot open"), std::string::npos);
}

}  // namespace

namespace {

// Dimensions whose product wraps to 0 in 64 bits (16 x 2^30 x 2^30) must not pass as empty.
TEST(IdxReader, SizeCheckCannotBeFooledByOverflow) {
  const auto path = writeFile("wraps.idx", gan::test_support::idxBytes({16, 1u << 30, 1u << 30}, 0x08, 0));
  const auto error = errorReading(path);
  EXPECT_NE(error.find(path + ": IDX array of 16 x 1073741824 x 1073741824 bytes is larger than 16 GiB"),
            std::string::npos)
      << error;
}

// A gzip stream holding far more than its header announces is refused by name, after reading
// only the announced bytes and one more chunk (no unbounded inflation).
TEST(IdxReader, GzipDataLongerThanAnnouncedIsRefused) {
  auto bytes = gan::test_support::idxBytes({4, 2, 2});
  bytes.resize(bytes.size() + (64 << 20), 0);  // 64 MiB of zeros: compresses to almost nothing
  const auto path = writeFile("bomb.idx.gz", bytes, true);
  const auto error = errorReading(path);
  EXPECT_NE(error.find(path + ": more than 4096 unexpected bytes after the IDX data (header promises 16)"),
            std::string::npos)
      << error;
}

}  // namespace

namespace {

// Found by the fuzzer: a 19-byte file whose header announces 6 GB must be refused as truncated
// without allocating what the header claims.
TEST(IdxReader, AHugeHeaderOnATinyFileIsTruncatedNotAllocated) {
  const auto path = writeFile("huge_header.idx", gan::test_support::idxBytes({0x00a20002, 3, 199}, 0x08, 3));
  const auto error = errorReading(path);
  EXPECT_NE(error.find(path + ": truncated IDX data (header promises 6338249898 bytes, file has 3)"),
            std::string::npos)
      << error;
}

}  // namespace
