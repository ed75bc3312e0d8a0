#include "datasets/open_dataset.h"

#include <filesystem>

#include "common/error.h"
#include "common/log.h"
#include "data/dataset_packing.h"
#include "data/packed_cache.h"
#include "datasets/cifar10_reader.h"
#include "datasets/dataset_subset.h"
#include "datasets/gaussian_mixture.h"
#include "datasets/image_dataset.h"

namespace gan::datasets {
using namespace data;  // the torch-free readers, packed files and streams this folder builds on

namespace {
bool mapsPackedCopies(const DataConfig& config) { return config.cache_dir != "none"; }

// A cached copy that fails its checks was damaged after it was written (packing is atomic):
// say how to get a good one.
std::unique_ptr<Dataset> openCachedCopy(const std::string& path) {
  try {
    return std::make_unique<ImageDataset>(ImageDataset::openPacked(path));
  } catch (const Error& damaged) {
    GAN_FAIL(damaged.what(), "; it is a cached copy in --data.cache_dir: delete it and the next run packs it again");
  }
}

std::unique_ptr<Dataset> openMnistFormat(const DataConfig& config, DataSplit split) {
  const std::string directory = dataDirectory(config.name, config.path);
  // Labels when the files have them: training needs none, a classifier does.
  const std::string labels = findMnistFormatFile(directory, split, "labels-idx1-ubyte");
  if (!mapsPackedCopies(config)) {
    return std::make_unique<ImageDataset>(ImageDataset::loadMnistFormat(directory, split, !labels.empty()));
  }
  const std::string recipe = std::string("mnist-format ") + optionName(split) + " " +
                             fileIdentity(mnistFormatFile(directory, split, "images-idx3-ubyte")) + " " +
                             (labels.empty() ? "no labels" : fileIdentity(labels));
  return openCachedCopy(cachedPackedFile(config.cache_dir, std::string(optionName(config.name)) + "-" + optionName(split), recipe,
                                         [&](const std::string& out) { packMnistFormat(directory, split, out); }));
}

std::unique_ptr<Dataset> openCifar10(const DataConfig& config, DataSplit split) {
  if (!mapsPackedCopies(config)) return std::make_unique<ImageDataset>(loadCifar10(config.path, split));
  std::string recipe = std::string("cifar10 ") + optionName(split);
  for (const auto& file : cifarBatchFiles(config.path, split)) recipe += " " + fileIdentity(file);
  return openCachedCopy(cachedPackedFile(config.cache_dir, std::string("cifar10-") + optionName(split), recipe,
                                         [&](const std::string& out) { packCifar10(config.path, split, out); }));
}

FolderPackOptions folderOptionsOf(const DataConfig& config) {
  FolderPackOptions options;
  options.conform.resolution = int(config.resolution);
  options.conform.color = config.color;
  options.conform.fit = config.fit;
  parseBackground(config.background, "--data.background", options.conform.background);
  return options;
}

// A folder is always packed (into the cache): decoding thousands of files per run and per rank
// would cost more than the training step.
std::unique_ptr<Dataset> openImageFolder(const DataConfig& config) {
  GAN_CHECK(mapsPackedCopies(config), "--data.name=image_folder is packed into --data.cache_dir, which is none "
                                        "(pack it yourself with gan_data pack and use --data.name=packed)");
  const FolderPackOptions options = folderOptionsOf(config);
  std::string recipe = "image folder " + std::to_string(config.resolution) + " " + optionName(config.color) + " " + optionName(config.fit) +
                       " " + config.background;
  for (const auto& entry : listImageFiles(config.path, options.labels)) {
    recipe += "\n" + fileIdentity(entry.path) + " " + entry.class_name;
  }
  std::filesystem::path folder = std::filesystem::path(config.path).lexically_normal();
  if (folder.filename().empty()) folder = folder.parent_path();  // "icons/" -> "icons"
  const std::string stem = folder.filename().string();
  const std::string packed = cachedPackedFile(config.cache_dir, "images-" + (stem.empty() ? "folder" : stem), recipe,
                                              [&](const std::string& out) {
                                                const auto report = packImageFolder(config.path, out, options);
                                                for (const auto& bad : report.skipped) logWarning("skipped " + bad);
                                                logRankLine("packed " + std::to_string(report.packed) + " images (" +
                                                            std::to_string(report.skipped.size()) + " skipped, " +
                                                            std::to_string(report.class_names.size()) +
                                                            " classes) from " + config.path);
                                              });
  return openCachedCopy(packed);
}

std::unique_ptr<Dataset> openWholeDataset(const DataConfig& config, DataSplit split) {
  switch (config.name) {
    case DataSetName::FashionMnist:
    case DataSetName::Mnist: return openMnistFormat(config, split);
    case DataSetName::Cifar10: return openCifar10(config, split);
    // A packed file or a folder is one set: evaluation measures against the training images,
    // or against the images --data.holdout sets aside (openDataset).
    case DataSetName::Packed:
      return std::make_unique<ImageDataset>(ImageDataset::openPacked(config.path, !mapsPackedCopies(config)));
    case DataSetName::ImageFolder: return openImageFolder(config);
    case DataSetName::Ring8:
    case DataSetName::Grid25: return std::make_unique<GaussianMixtureDataset>(GaussianMixtureDataset::named(config.name));
  }
  GAN_FAIL("--data.name: no data set for '", config.name, "'");
}
}  // namespace

std::unique_ptr<Dataset> openDataset(const DataConfig& config, DataSplit split) {
  auto whole = openWholeDataset(config, split);
  // A packed file or a folder is one set: --data.holdout cuts its test split from it. Otherwise
  // the test split is the data set's own, and --data.limit cuts the training split only:
  // evaluation still measures against all test images.
  if (split == DataSplit::Train) return DatasetSubset::trainingPart(std::move(whole), config);
  if (config.holdout > 0) return DatasetSubset::heldOutPart(std::move(whole), config);
  return whole;
}

}  // namespace gan::datasets
