// Fuzzes a checkpoint's MANIFEST parser; what it accepts must format back to text that parses
// to the same entries, and never name a file outside the checkpoint.
#include <cstdint>
#include <string>

#include "checkpoint/format/manifest.h"
#include "common/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto entries = gan::checkpoint::parseManifest(text, "MANIFEST");
    for (const auto& entry : entries) {
      if (!gan::checkpoint::isPlainFileName(entry.file) || entry.file.find('/') != std::string::npos) __builtin_trap();
    }
    const auto again = gan::checkpoint::parseManifest(gan::checkpoint::formatManifest(entries), "MANIFEST");
    if (again.size() != entries.size()) __builtin_trap();
    for (size_t i = 0; i < entries.size(); ++i) {
      if (again[i].file != entries[i].file || again[i].size != entries[i].size || again[i].crc32 != entries[i].crc32) {
        __builtin_trap();
      }
    }
  } catch (const gan::Error&) {
  }
  return 0;
}
