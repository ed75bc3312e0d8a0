// For fuzz targets whose parser reads a file: the input written to one private temporary file.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace gan::fuzz {

// Writes `data` to this process's scratch file (made once) and returns its path.
inline const std::string& writeScratch(const uint8_t* data, size_t size, const char* suffix = "") {
  static const std::string path = [suffix] {
    std::string pattern = std::string("/tmp/gan_fuzz_XXXXXX") + suffix;
    const int fd = mkstemps(pattern.data(), static_cast<int>(std::string(suffix).size()));
    if (fd < 0) std::abort();
    close(fd);
    return pattern;
  }();
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, file) != size) std::abort();
  std::fclose(file);
  return path;
}

}  // namespace gan::fuzz
