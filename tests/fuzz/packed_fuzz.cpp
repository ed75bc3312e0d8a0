// Fuzzes the packed image file's reader through a file, as training maps it. The checksum is
// skipped (verify_checksum = false) so that inputs reach the header, layout, label and
// class-name checks; any outcome but success or gan::Error is a finding, and every byte an
// accepted file promises must be readable.
#include <cstdint>

#include "common/error.h"
#include "data/packed_file.h"
#include "fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& path = gan::fuzz::writeScratch(data, size);
  try {
    const auto file = gan::data::PackedFile::open(path, /*verify_checksum=*/false);
    uint64_t sum = 0;
    const uint64_t bytes = file->count() * file->shape().bytesPerImage();
    for (uint64_t i = 0; i < bytes; ++i) sum += file->pixels()[i];
    for (uint64_t i = 0; file->hasLabels() && i < file->count(); ++i) {
      const int32_t label = file->labels()[i];
      if (label < 0 || size_t(label) >= file->classNames().size()) __builtin_trap();
    }
    if (sum == uint64_t(-1)) __builtin_trap();  // keeps the reads
  } catch (const gan::Error&) {
  }
  return 0;
}
