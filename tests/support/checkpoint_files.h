// Tampering with checkpoints in tests: after a file is changed on purpose, reseal() rewrites
// MANIFEST so that its sizes and checksums vouch for the files as they now are, and only the
// damage the test means to show remains.
#pragma once

#include <zlib.h>

#include <string>
#include <vector>

#include "checkpoint/format/manifest.h"
#include "support/test_files.h"

namespace gan::test_support {

// Every file the MANIFEST lists now is listed again with its current size and CRC-32.
inline void resealCheckpoint(const std::string& dir) {
  std::vector<checkpoint::ManifestEntry> entries;
  for (const auto& listed : checkpoint::parseManifest(readText(dir + "/MANIFEST"), dir + "/MANIFEST")) {
    const std::string& file = listed.file;
    const auto bytes = readText(dir + "/" + file);
    const auto crc = crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size()));
    entries.push_back({file, bytes.size(), static_cast<uint32_t>(crc)});
  }
  writeBytes(dir + "/MANIFEST", checkpoint::formatManifest(entries));
}

}  // namespace gan::test_support
