// Packing data sets into the packed image file (packed_file.h): a folder of PNG/JPEG images
// (gan_data pack, --data.name=image_folder), and the MNIST-format and CIFAR-10 files, which are
// packed once into the data-set cache so that training maps them instead of copying them into
// every rank's memory.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/image_conform.h"

namespace gan::data {

using gan::FolderLabels;  // gan_data pack --labels

struct FolderPackOptions {
  ConformOptions conform;
  // folders: the first sub-folder under the root names each image's class (an image directly in
  // the root is an error); none: no labels; auto: folders when every image lies in a sub-folder
  // and there are at least two, none otherwise.
  FolderLabels labels = FolderLabels::Auto;
  bool skip_bad_images = true;  // false: the first bad file ends packing with its name
};

struct ImageFileEntry {
  std::string path;
  std::string class_name;  // empty without labels
};

// The PNG/JPEG files under `root` (by extension, case-insensitive, following symbolic links),
// sorted by path relative to `root`, each file once even when links reach it twice. Throws
// gan::Error naming `root` when it is not a folder or holds no image.
std::vector<ImageFileEntry> listImageFiles(const std::string& root, FolderLabels labels, size_t* ignored_files = nullptr);

struct FolderPackReport {
  uint64_t packed = 0;
  std::vector<std::string> skipped;  // "path: reason", one per bad file
  size_t ignored_files = 0;          // files that are not .png/.jpg/.jpeg
  std::vector<std::string> class_names;
};

// Decodes, conforms and packs every image under `root` into `out` (atomically). `progress` is
// called after each file with (files done, files in all).
FolderPackReport packImageFolder(const std::string& root, const std::string& out, const FolderPackOptions& options,
                                 const std::function<void(size_t, size_t)>& progress = {});

// `<directory>/<prefix>-<kind>[.gz]` (kind "images-idx3-ubyte" or "labels-idx1-ubyte"), split
// "train" or "test" (MNIST's "t10k"); find... returns "" when absent, the other throws naming
// --data.path.
std::string findMnistFormatFile(const std::string& directory, DataSplit split, const std::string& kind);
std::string mnistFormatFile(const std::string& directory, DataSplit split, const std::string& kind);
// Packs an MNIST-format split (gray; labels "0".."9" as found, when the labels file is there).
void packMnistFormat(const std::string& directory, DataSplit split, const std::string& out);
// Packs a CIFAR-10 split (RGB 32x32, labels) into `out`.
void packCifar10(const std::string& directory, DataSplit split, const std::string& out);

}  // namespace gan::data
