#include "data/dataset_packing.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <new>
#include <set>

#include "common/error.h"
#include "data/cifar10_records.h"
#include "data/idx_reader.h"
#include "data/packed_file.h"

namespace gan::data {
namespace fs = std::filesystem;

namespace {
bool hasImageExtension(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
  return extension == ".png" || extension == ".jpg" || extension == ".jpeg";
}
}  // namespace

std::vector<ImageFileEntry> listImageFiles(const std::string& root, FolderLabels labels, size_t* ignored_files) {
  std::error_code error;
  GAN_CHECK(fs::is_directory(root, error), root, ": not a folder of images");
  // Relative path -> file, sorted by the relative path (bytewise) so the order does not depend on
  // the file system's directory order.
  std::map<std::string, fs::path> found;
  size_t ignored = 0;
  std::set<fs::path> visited = {fs::canonical(root, error)};
  fs::path base = fs::path(root).lexically_normal();
  if (base.filename().empty()) base = base.parent_path();  // "dir/" -> "dir"
  const auto options = fs::directory_options::follow_directory_symlink | fs::directory_options::skip_permission_denied;
  for (auto it = fs::recursive_directory_iterator(root, options, error); !error && it != fs::end(it);
       it.increment(error)) {
    if (it->is_directory(error)) {
      // A link back up the tree would make the walk endless: enter each real folder once.
      if (!visited.insert(fs::canonical(it->path(), error)).second) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(error)) continue;
    if (!hasImageExtension(it->path())) {
      ++ignored;
      continue;
    }
    // Lexically: a link's own place in the tree names its class, not where it points.
    found.emplace(it->path().lexically_normal().lexically_relative(base).generic_string(), it->path());
  }
  GAN_CHECK(!error, root, ": cannot list (", error.message(), ")");
  // An icon theme links one file under several names: keep the first name (in sorted order) of each.
  std::map<std::string, fs::path> files;
  std::set<fs::path> seen;
  for (const auto& [relative, path] : found) {
    const fs::path canonical = fs::canonical(path, error);
    if (!error && seen.insert(canonical).second) files.emplace(relative, path);
  }
  error.clear();
  GAN_CHECK(!files.empty(), root, ": no .png, .jpg or .jpeg files found");
  if (ignored_files) *ignored_files = ignored;

  bool all_in_folders = true;
  std::set<std::string> classes;
  for (const auto& [relative, path] : files) {
    const size_t slash = relative.find('/');
    if (slash == std::string::npos) all_in_folders = false;
    else classes.insert(relative.substr(0, slash));
  }
  if (labels == FolderLabels::Auto) {
    labels = all_in_folders && classes.size() >= 2 ? FolderLabels::Folders : FolderLabels::None;
  }
  std::vector<ImageFileEntry> entries;
  for (const auto& [relative, path] : files) {
    ImageFileEntry entry{path.string(), {}};
    if (labels == FolderLabels::Folders) {
      const size_t slash = relative.find('/');
      GAN_CHECK(slash != std::string::npos, entry.path,
                ": not inside a class sub-folder (labels from folders need every image in ROOT/CLASS/...)");
      entry.class_name = relative.substr(0, slash);
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

FolderPackReport packImageFolder(const std::string& root, const std::string& out, const FolderPackOptions& options,
                                 const std::function<void(size_t, size_t)>& progress) {
  FolderPackReport report;
  const auto entries = listImageFiles(root, options.labels, &report.ignored_files);
  std::map<std::string, int32_t> class_index;
  for (const auto& entry : entries) {
    if (!entry.class_name.empty()) class_index.emplace(entry.class_name, 0);
  }
  for (auto& [name, index] : class_index) {
    index = int32_t(report.class_names.size());
    report.class_names.push_back(name);
  }
  const auto side = uint32_t(options.conform.resolution);
  PackedFileWriter writer(out, {uint32_t(channelCount(options.conform.color)), side, side});
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& entry = entries[i];
    try {
      const auto pixels = conformImage(decodeImageFile(entry.path), options.conform);
      writer.append(pixels.data(), entry.class_name.empty() ? -1 : class_index.at(entry.class_name));
      ++report.packed;
    } catch (const Error& bad) {
      if (!options.skip_bad_images) throw;
      report.skipped.push_back(bad.what());
    } catch (const std::bad_alloc&) {
      // A file may declare more pixels than this machine can hold: that is a bad image too.
      const std::string bad = entry.path + ": too large to decode and resize in memory";
      if (!options.skip_bad_images) GAN_FAIL(bad);
      report.skipped.push_back(bad);
    }
    if (progress) progress(i + 1, entries.size());
  }
  GAN_CHECK(report.packed > 0, root, ": none of the ", entries.size(), " image files could be read (first: ",
            report.skipped.empty() ? std::string() : report.skipped.front(), ")");
  writer.finish(report.class_names);
  return report;
}

namespace {
// MNIST calls its test split "t10k".
std::string mnistSplitName(DataSplit split) { return split == DataSplit::Test ? "t10k" : optionName(split); }
}  // namespace

std::string findMnistFormatFile(const std::string& directory, DataSplit split, const std::string& kind) {
  const std::string stem = mnistSplitName(split) + "-" + kind;
  for (const std::string& candidate : {stem + ".gz", stem}) {
    if (fs::exists(fs::path(directory) / candidate)) return (fs::path(directory) / candidate).string();
  }
  return "";
}

std::string mnistFormatFile(const std::string& directory, DataSplit split, const std::string& kind) {
  if (auto found = findMnistFormatFile(directory, split, kind); !found.empty()) return found;
  const std::string stem = mnistSplitName(split) + "-" + kind;
  GAN_FAIL("--data.path '", directory, "': no ", stem, ".gz or ", stem,
           " found (expected an MNIST-format directory; Debian's data set: apt-get install dataset-fashion-mnist)");
}

namespace {
std::vector<std::string> digitNames(int64_t largest_label) {
  std::vector<std::string> names;
  for (int64_t i = 0; i <= largest_label; ++i) names.push_back(std::to_string(i));
  return names;
}
}  // namespace

void packMnistFormat(const std::string& directory, DataSplit split, const std::string& out) {
  const std::string image_file = mnistFormatFile(directory, split, "images-idx3-ubyte");
  const IdxArray images = readIdxFile(image_file);
  GAN_CHECK(images.dims.size() == 3, image_file, ": expected 3 dimensions (count, rows, cols), got ",
            images.dims.size());
  // Labels are optional: training does not need them (a classifier for evaluation does).
  const std::string label_file = findMnistFormatFile(directory, split, "labels-idx1-ubyte");
  IdxArray labels;
  if (!label_file.empty()) {
    labels = readIdxFile(label_file);
    GAN_CHECK(labels.dims.size() == 1 && labels.dims[0] == images.dims[0], label_file,
              ": expected one label per image (", images.dims[0], ")");
  }
  PackedFileWriter writer(out, {1, uint32_t(images.dims[1]), uint32_t(images.dims[2])});
  const size_t bytes = size_t(images.itemSize());
  for (int64_t i = 0; i < images.itemCount(); ++i) {
    writer.append(&images.values[size_t(i) * bytes], labels.values.empty() ? -1 : labels.values[size_t(i)]);
  }
  writer.finish(labels.values.empty() ? std::vector<std::string>{}
                                      : digitNames(*std::max_element(labels.values.begin(), labels.values.end())));
}

void packCifar10(const std::string& directory, DataSplit split, const std::string& out) {
  CifarRecords records;
  for (const auto& file : cifarBatchFiles(directory, split)) appendCifarRecords(file, records);
  PackedFileWriter writer(out, {3, uint32_t(kCifarSide), uint32_t(kCifarSide)});
  const size_t bytes = size_t(kCifarRecordBytes - 1);
  for (size_t i = 0; i < records.labels.size(); ++i) writer.append(&records.pixels[i * bytes], int32_t(records.labels[i]));
  writer.finish(digitNames(*std::max_element(records.labels.begin(), records.labels.end())));
}

}  // namespace gan::data
