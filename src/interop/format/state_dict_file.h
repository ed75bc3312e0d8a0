// A file torch.save wrote for a state dict (or a dict of them), opened as untrusted input: the
// archive's directory and the pickle are read and every tensor checked against the record that
// holds its storage, before any tensor's data is inflated. Data is read per tensor, later, once
// the caller has compared names and shapes with its model.
#pragma once

#include <cstdint>
#include <string>

#include "interop/format/state_dict_pickle.h"
#include "interop/format/zip_archive.h"

namespace gan::interop::format {

// The largest data.pkl read: a state dict's pickle takes ~100 bytes a tensor.
constexpr uint64_t kMaxStateDictPickleBytes = uint64_t(64) << 20;

class StateDictFile {
 public:
  // Throws gan::Error naming the file for anything but such a file.
  static StateDictFile open(const std::string& path);
  static StateDictFile fromBytes(std::string bytes, const std::string& source);

  const PickledStateDicts& contents() const { return contents_; }
  const std::string& source() const { return archive_.source(); }

  // The bytes of `tensor`'s whole storage (storage_numel elements, little-endian as torch.save
  // writes them), refused before inflating when the storage holds more than `max_elements`.
  std::string storageBytes(const SavedTensor& tensor, int64_t max_elements) const;

 private:
  StateDictFile(ZipArchive archive);
  void checkStorages() const;

  ZipArchive archive_;
  PickledStateDicts contents_;
};

}  // namespace gan::interop::format
