// Reader for the IDX format of MNIST-style data sets (plain or gzip-compressed).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gan::data {

// An unsigned-byte IDX array: dims[0] items of dims[1] x dims[2] ... bytes, row-major.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> values;
  int64_t itemCount() const { return dims.empty() ? 0 : dims[0]; }
  int64_t itemSize() const;  // product of dims[1..]
};

// Reads `path` (gzip or plain; detected from the content). Throws gan::Error naming the file
// when the magic number, type, dimensions or length do not match the IDX layout.
IdxArray readIdxFile(const std::string& path);

}  // namespace gan::data
