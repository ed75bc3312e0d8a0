// Data files in the formats gan_dist reads, generated here: IDX (MNIST layout) and CIFAR-10 binary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/test_files.h"

namespace gan::test_support {

// An IDX file's bytes: the header for `dims` and element type, then `count` bytes i*7 (mod 256),
// where count defaults to the product of the dimensions.
inline std::vector<uint8_t> idxBytes(const std::vector<uint32_t>& dims, uint8_t type = 0x08, int64_t count = -1) {
  std::vector<uint8_t> bytes = {0, 0, type, static_cast<uint8_t>(dims.size())};
  uint64_t product = 1;
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>(d >> shift));
    if (count < 0) product *= d;  // only asked for when the array is small enough to write
  }
  if (count < 0) count = static_cast<int64_t>(product);
  for (int64_t i = 0; i < count; ++i) bytes.push_back(static_cast<uint8_t>(i * 7));
  return bytes;
}

// CIFAR-10 records [first, first + count): label r % 10, then pixel p of channel c = (r + 7c + p) mod 256.
inline std::string cifarRecords(int count, int first = 0) {
  std::string bytes;
  for (int r = first; r < first + count; ++r) {
    bytes.push_back(char(r % 10));
    for (int c = 0; c < 3; ++c) {
      for (int p = 0; p < 1024; ++p) bytes.push_back(char((r + 7 * c + p) % 256));
    }
  }
  return bytes;
}

// A CIFAR-10 binary directory: 96 training records over two files and 20 test records.
inline std::string writeCifarDirectory(const std::string& dir) {
  writeBytes(dir + "/data_batch_1.bin", cifarRecords(64, 0));
  writeBytes(dir + "/data_batch_2.bin", cifarRecords(32, 64));
  writeBytes(dir + "/test_batch.bin", cifarRecords(20, 1000));
  return dir;
}

}  // namespace gan::test_support
