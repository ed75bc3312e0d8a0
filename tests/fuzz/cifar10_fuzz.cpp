// Fuzzes the CIFAR-10 record reader through a file, as training reads it. Any outcome but
// success or gan::Error is a finding.
#include <cstdint>

#include "common/error.h"
#include "data/cifar10_records.h"
#include "fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& path = gan::fuzz::writeScratch(data, size);
  try {
    gan::data::CifarRecords records;
    gan::data::appendCifarRecords(path, records);
    // What the reader promises of a file it accepts.
    if (records.pixels.size() != records.labels.size() * size_t(gan::data::kCifarRecordBytes - 1)) __builtin_trap();
    for (const int64_t label : records.labels) {
      if (label < 0 || label > 9) __builtin_trap();
    }
  } catch (const gan::Error&) {
  }
  return 0;
}
