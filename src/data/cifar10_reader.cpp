#include "data/cifar10_reader.h"

#include <filesystem>
#include <fstream>

#include "common/error.h"

namespace gan::data {
namespace fs = std::filesystem;

namespace {

// Appends `path`'s records to `pixels` and `labels`, checking each.
void readBatchFile(const fs::path& path, std::vector<uint8_t>& pixels, std::vector<int64_t>& labels) {
  std::ifstream in(path, std::ios::binary);
  GAN_CHECK(in, path.string(), ": cannot open");
  // The size is checked before anything is read, so a wrong file is refused without loading it.
  std::error_code error;
  const uintmax_t size = fs::file_size(path, error);
  GAN_CHECK(!error, path.string(), ": cannot read its size (", error.message(), ")");
  GAN_CHECK(size > 0, path.string(), ": empty file (expected CIFAR-10 binary records)");
  GAN_CHECK(size % uintmax_t(kCifarRecordBytes) == 0, path.string(), ": ", size,
            " bytes is not a whole number of CIFAR-10 records (", kCifarRecordBytes,
            " bytes each: 1 label byte + 3072 pixel bytes)");
  std::vector<char> bytes(static_cast<size_t>(size));
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  GAN_CHECK(in.gcount() == static_cast<std::streamsize>(size), path.string(), ": read ", in.gcount(), " of ", size,
            " bytes");
  const size_t records = bytes.size() / size_t(kCifarRecordBytes);
  for (size_t r = 0; r < records; ++r) {
    const char* record = bytes.data() + r * size_t(kCifarRecordBytes);
    const int label = static_cast<uint8_t>(record[0]);
    GAN_CHECK(label <= 9, path.string(), ": record ", r, " has label ", label,
              ", expected 0-9 (is this the CIFAR-10 binary version, not CIFAR-100 or the Python one?)");
    labels.push_back(label);
    pixels.insert(pixels.end(), record + 1, record + kCifarRecordBytes);
  }
}

fs::path batchDirectory(const std::string& directory) {
  GAN_CHECK(!directory.empty(), "--data.path: CIFAR-10 has no default location; set it to the directory of the "
                                "binary version (data_batch_1.bin ... test_batch.bin)");
  const fs::path nested = fs::path(directory) / "cifar-10-batches-bin";
  return fs::is_directory(nested) ? nested : fs::path(directory);
}

}  // namespace

ImageDataset loadCifar10(const std::string& directory, const std::string& split) {
  const fs::path dir = batchDirectory(directory);
  std::vector<fs::path> files;
  if (split == "test") {
    files.push_back(dir / "test_batch.bin");
  } else {
    for (int i = 1; fs::exists(dir / ("data_batch_" + std::to_string(i) + ".bin")); ++i) {
      files.push_back(dir / ("data_batch_" + std::to_string(i) + ".bin"));
    }
    GAN_CHECK(!files.empty(), "--data.path '", directory,
              "': no data_batch_1.bin (expected the CIFAR-10 binary version: data_batch_1.bin ... data_batch_5.bin)");
  }
  std::vector<uint8_t> pixels;
  std::vector<int64_t> labels;
  for (const auto& file : files) {
    GAN_CHECK(fs::exists(file), "--data.path '", directory, "': ", file.filename().string(), " is missing");
    readBatchFile(file, pixels, labels);
  }
  const int64_t n = static_cast<int64_t>(labels.size());
  auto pixel_tensor = torch::from_blob(pixels.data(), {n, 3, kCifarSide, kCifarSide}, torch::kUInt8).clone();
  auto label_tensor = torch::from_blob(labels.data(), {n}, torch::kInt64).clone();
  const std::string source = files.size() == 1 ? files[0].string() : (dir / "data_batch_*.bin").string();
  return ImageDataset(pixel_tensor, 3, kCifarSide, kCifarSide, label_tensor, source);
}

}  // namespace gan::data
