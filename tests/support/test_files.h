// Files for tests: a fresh temporary directory per test, bytes written plain or gzip-compressed,
// text read back. One way to do each, shared by every test binary.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace gan::test_support {

// An empty directory `name` under GoogleTest's temporary directory (anything left there by an
// earlier run is removed first).
inline std::string freshTempDir(const std::string& name) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// Writes `bytes` to `path` (creating its directory), gzip-compressed when `gzip` is set.
template <typename Bytes>
std::string writeBytes(const std::string& path, const Bytes& bytes, bool gzip = false) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  if (gzip) {
    gzFile file = gzopen(path.c_str(), "wb");
    gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(file);
  } else {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
  }
  return path;
}

inline std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace gan::test_support
