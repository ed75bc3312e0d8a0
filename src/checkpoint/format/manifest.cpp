#include "checkpoint/format/manifest.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "common/error.h"

namespace gan::checkpoint {
namespace {

bool isDigits(const std::string& text, size_t max_length, bool hex) {
  if (text.empty() || text.size() > max_length) return false;
  return std::all_of(text.begin(), text.end(), [hex](char c) {
    return (c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
  });
}

}  // namespace

bool isPlainFileName(const std::string& name) {
  if (name.empty() || name.size() > 128 || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
  });
}

std::vector<ManifestEntry> parseManifest(const std::string& text, const std::string& source) {
  GAN_CHECK(text.size() <= kMaxManifestBytes, source, ": ", text.size(), " bytes, more than a MANIFEST holds");
  std::vector<ManifestEntry> entries;
  std::istringstream lines(text);
  int line_number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    std::istringstream fields(line);
    std::string file, size_text, crc_text, extra;
    fields >> file >> size_text >> crc_text;
    GAN_CHECK(!crc_text.empty() && !(fields >> extra), source, ": line ", line_number, " is not 'FILE SIZE CRC32'");
    GAN_CHECK(isPlainFileName(file), source, ": line ", line_number, " names '", file,
              "', not a plain file name inside the checkpoint");
    GAN_CHECK(isDigits(size_text, 12, false), source, ": line ", line_number, " has size '", size_text,
              "', expected a decimal byte count");
    GAN_CHECK(isDigits(crc_text, 8, true) && crc_text.size() == 8, source, ": line ", line_number, " has checksum '",
              crc_text, "', expected 8 hex digits");
    const bool repeated =
        std::any_of(entries.begin(), entries.end(), [&](const ManifestEntry& e) { return e.file == file; });
    GAN_CHECK(!repeated, source, ": lists ", file, " twice");
    ManifestEntry entry{file, std::stoull(size_text), static_cast<uint32_t>(std::stoul(crc_text, nullptr, 16))};
    GAN_CHECK(entry.size <= kMaxCheckpointFileBytes, source, ": line ", line_number, " lists ", entry.size,
              " bytes, larger than any checkpoint file");
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::string formatManifest(const std::vector<ManifestEntry>& entries) {
  std::string text;
  for (const auto& entry : entries) {
    char crc[16];
    std::snprintf(crc, sizeof crc, "%08x", entry.crc32);
    text += entry.file + " " + std::to_string(entry.size) + " " + crc + "\n";
  }
  return text;
}

}  // namespace gan::checkpoint
