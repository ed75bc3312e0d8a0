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

inline void resealCheckpoint(const std::string& dir) {
  std::vector<checkpoint::ManifestEntry> entries;
  for (const char* file : {"model_G.pt", "model_D.pt", "optim_G.pt", "optim_D.pt", "state.json"}) {
    const auto bytes = readText(dir + "/" + file);
    const auto crc = crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size()));
    entries.push_back({file, bytes.size(), static_cast<uint32_t>(crc)});
  }
  writeBytes(dir + "/MANIFEST", checkpoint::formatManifest(entries));
}

}  // namespace gan::test_support
