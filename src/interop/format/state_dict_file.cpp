#include "interop/format/state_dict_file.h"

#include <utility>

#include "common/error.h"

namespace gan::interop::format {
namespace {

std::string recordOf(const SavedTensor& tensor) { return "data/" + tensor.storage; }

}  // namespace

StateDictFile StateDictFile::open(const std::string& path) { return StateDictFile(ZipArchive::openFile(path)); }

StateDictFile StateDictFile::fromBytes(std::string bytes, const std::string& source) {
  return StateDictFile(ZipArchive::fromBytes(std::move(bytes), source));
}

StateDictFile::StateDictFile(ZipArchive archive) : archive_(std::move(archive)) {
  GAN_CHECK(archive_.has("data.pkl"), archive_.source(), ": the archive has no data.pkl (not a torch.save file)");
  contents_ = parseStateDictPickle(archive_.read("data.pkl", kMaxStateDictPickleBytes), archive_.source());
  checkStorages();
}

// Every tensor's storage is a record of exactly its stated size (overflow was ruled out when
// the pickle was read), so a later read inflates no more than the pickle promised.
void StateDictFile::checkStorages() const {
  auto check = [&](const std::string& name, const SavedTensor& tensor) {
    const std::string record = recordOf(tensor);
    GAN_CHECK(archive_.has(record), archive_.source(), ": the archive has no ", record, " for '", name.substr(0, 200),
              "' (truncated or damaged file)");
    const uint64_t needed = uint64_t(tensor.storage_numel) * uint64_t(elementSize(tensor.type));
    GAN_CHECK(archive_.size(record) == needed, archive_.source(), ": ", record, " holds ", archive_.size(record),
              " bytes, the storage of '", name.substr(0, 200), "' needs ", needed);
  };
  for (const auto& [name, tensor] : contents_.tensors) check(name, tensor);
  for (const auto& [prefix, tensors] : contents_.nested) {
    for (const auto& [name, tensor] : tensors) check(prefix + "." + name, tensor);
  }
}

std::string StateDictFile::storageBytes(const SavedTensor& tensor, int64_t max_elements) const {
  GAN_CHECK(tensor.storage_numel <= max_elements, archive_.source(), ": a storage of ", tensor.storage_numel,
            " elements, more than the ", max_elements, " of the whole model");
  return archive_.read(recordOf(tensor), uint64_t(tensor.storage_numel) * uint64_t(elementSize(tensor.type)));
}

}  // namespace gan::interop::format
