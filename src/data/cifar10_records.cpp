#include "data/cifar10_records.h"

#include <filesystem>
#include <fstream>

#include "common/error.h"

namespace gan::data {
namespace fs = std::filesystem;

std::vector<std::string> cifarBatchFiles(const std::string& directory, DataSplit split) {
  GAN_CHECK(!directory.empty(), "--data.path: CIFAR-10 has no default location; set it to the directory of the "
                                "binary version (data_batch_1.bin ... test_batch.bin)");
  const fs::path nested = fs::path(directory) / "cifar-10-batches-bin";
  const fs::path dir = fs::is_directory(nested) ? nested : fs::path(directory);
  std::vector<std::string> files;
  if (split == DataSplit::Test) {
    files.push_back((dir / "test_batch.bin").string());
  } else {
    for (int i = 1; fs::exists(dir / ("data_batch_" + std::to_string(i) + ".bin")); ++i) {
      files.push_back((dir / ("data_batch_" + std::to_string(i) + ".bin")).string());
    }
    GAN_CHECK(!files.empty(), "--data.path '", directory,
              "': no data_batch_1.bin (expected the CIFAR-10 binary version: data_batch_1.bin ... data_batch_5.bin)");
  }
  for (const auto& file : files) {
    GAN_CHECK(fs::exists(file), "--data.path '", directory, "': ", fs::path(file).filename().string(), " is missing");
  }
  return files;
}

void appendCifarRecords(const std::string& path, CifarRecords& into) {
  std::ifstream in(path, std::ios::binary);
  GAN_CHECK(in, path, ": cannot open");
  // The size is checked before anything is read, so a wrong file is refused without loading it.
  std::error_code error;
  const uintmax_t size = fs::file_size(path, error);
  GAN_CHECK(!error, path, ": cannot read its size (", error.message(), ")");
  GAN_CHECK(size > 0, path, ": empty file (expected CIFAR-10 binary records)");
  GAN_CHECK(size % uintmax_t(kCifarRecordBytes) == 0, path, ": ", size,
            " bytes is not a whole number of CIFAR-10 records (", kCifarRecordBytes,
            " bytes each: 1 label byte + 3072 pixel bytes)");
  std::vector<char> bytes(static_cast<size_t>(size));
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  GAN_CHECK(in.gcount() == static_cast<std::streamsize>(size), path, ": read ", in.gcount(), " of ", size, " bytes");
  const size_t records = bytes.size() / size_t(kCifarRecordBytes);
  into.labels.reserve(into.labels.size() + records);
  into.pixels.reserve(into.pixels.size() + records * size_t(kCifarRecordBytes - 1));
  for (size_t r = 0; r < records; ++r) {
    const char* record = bytes.data() + r * size_t(kCifarRecordBytes);
    const int label = static_cast<uint8_t>(record[0]);
    GAN_CHECK(label <= 9, path, ": record ", r, " has label ", label,
              ", expected 0-9 (is this the CIFAR-10 binary version, not CIFAR-100 or the Python one?)");
    into.labels.push_back(label);
    into.pixels.insert(into.pixels.end(), record + 1, record + kCifarRecordBytes);
  }
}

}  // namespace gan::data
