// Fuzzes the IDX reader (header, dimensions, plain and gzip bodies) through a file, as training
// reads it. Any outcome but success or gan::Error is a finding.
#include <cstdint>

#include "common/error.h"
#include "data/idx_reader.h"
#include "fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& path = gan::fuzz::writeScratch(data, size);
  try {
    const auto array = gan::data::readIdxFile(path);
    // What the reader promises of a file it accepts.
    if (array.itemCount() * array.itemSize() != static_cast<int64_t>(array.values.size())) __builtin_trap();
  } catch (const gan::Error&) {
  }
  return 0;
}
