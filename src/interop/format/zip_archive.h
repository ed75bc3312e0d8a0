// The zip archive torch.save writes (every record under one top folder, e.g. "archive/data.pkl"),
// read through libzip as untrusted input: a record's size is known from the central directory
// before a byte of it is inflated, and is checked against what the caller expects first.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

typedef struct zip zip_t;

namespace gan::interop::format {

class ZipArchive {
 public:
  // Throws gan::Error naming `source` when it is not a readable zip archive whose records all
  // sit under one top folder.
  static ZipArchive openFile(const std::string& path);
  // The archive held in `bytes` (copied); `source` names it in messages.
  static ZipArchive fromBytes(std::string bytes, const std::string& source);

  ZipArchive(ZipArchive&&) noexcept;
  ZipArchive& operator=(ZipArchive&&) noexcept;
  ~ZipArchive();

  const std::string& source() const { return source_; }
  // Records by their name under the top folder ("data.pkl", "data/0").
  bool has(const std::string& record) const;
  // The record's inflated size as the central directory states it; throws if absent.
  uint64_t size(const std::string& record) const;
  // The record's bytes. Refused before inflating when its stated size exceeds `max_bytes`, and
  // after, when the data is not what the directory states (shorter, longer, wrong CRC).
  std::string read(const std::string& record, uint64_t max_bytes) const;

 private:
  struct Entry {
    uint64_t index = 0;
    uint64_t size = 0;
  };
  ZipArchive(zip_t* archive, std::string source);
  void indexRecords();
  const Entry& entry(const std::string& record) const;

  zip_t* archive_ = nullptr;
  std::string source_;
  std::unique_ptr<std::string> bytes_;  // the in-memory archive libzip reads from (fromBytes)
  std::map<std::string, Entry> records_;
};

}  // namespace gan::interop::format
