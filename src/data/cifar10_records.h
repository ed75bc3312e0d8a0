// The CIFAR-10 binary format without torch (so it can be fuzzed with the other parsers): files of
// 3073-byte records, one label byte (0-9) then 3072 pixel bytes (1024 red, 1024 green, 1024 blue,
// each 32x32 row-major), i.e. already channel-major.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/option_values.h"

namespace gan::data {

constexpr int64_t kCifarSide = 32;
constexpr int64_t kCifarRecordBytes = 1 + 3 * kCifarSide * kCifarSide;

struct CifarRecords {
  std::vector<uint8_t> pixels;  // kCifarRecordBytes - 1 bytes per record
  std::vector<int64_t> labels;  // 0-9
};

// The files of `split` ("train": data_batch_1.bin, data_batch_2.bin, ... every one present, at
// least the first; "test": test_batch.bin). `directory` may also be the folder holding
// cifar-10-batches-bin/. Throws gan::Error when none is there.
std::vector<std::string> cifarBatchFiles(const std::string& directory, DataSplit split);

// Appends `path`'s records to `into`, checking the size before reading anything and each label.
// Throws gan::Error naming the file and what is wrong with it.
void appendCifarRecords(const std::string& path, CifarRecords& into);

}  // namespace gan::data
