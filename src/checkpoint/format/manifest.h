// A checkpoint's MANIFEST: one line per file, "NAME SIZE CRC32" (decimal bytes, 8 hex digits).
// Parsed as untrusted input: names must be plain file names inside the checkpoint directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gan::checkpoint {

struct ManifestEntry {
  std::string file;
  uint64_t size = 0;
  uint32_t crc32 = 0;
};

// The largest MANIFEST we read, and the largest file one may list.
constexpr uint64_t kMaxManifestBytes = 64 << 10;
constexpr uint64_t kMaxCheckpointFileBytes = uint64_t(1) << 36;

// Throws gan::Error naming `source` and the line for anything but well-formed lines with plain,
// distinct file names.
std::vector<ManifestEntry> parseManifest(const std::string& text, const std::string& source);

// The MANIFEST text for `entries` (what parseManifest reads back).
std::string formatManifest(const std::vector<ManifestEntry>& entries);

// A name that stays inside the directory it is joined to: letters, digits, '_', '-', '.', not
// starting with '.', at most 128 characters.
bool isPlainFileName(const std::string& name);

}  // namespace gan::checkpoint
