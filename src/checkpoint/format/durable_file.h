// Durable files: written and checked at every step (a full disk shows at write, flush or close),
// flushed to the device, and checksummed. What makes a checkpoint survive a crash at any moment.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace gan::checkpoint {

// Writes `bytes` to `path` (replacing it), failing with the file's name and the system's reason.
void writeFileChecked(const std::filesystem::path& path, const std::string& bytes);
// fsync of a file or a directory (after a rename, the directory's entry is what must be durable).
void fsyncPath(const std::filesystem::path& path);
// CRC-32 (zlib's) of `bytes`, as MANIFEST records it.
uint32_t crc32Of(const std::string& bytes);

}  // namespace gan::checkpoint
