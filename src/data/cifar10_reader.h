// Reader for the binary version of CIFAR-10 (https://www.cs.toronto.edu/~kriz/cifar.html):
// files of 3073-byte records, one label byte (0-9) then 3072 pixel bytes (1024 red, 1024 green,
// 1024 blue, each 32x32 row-major), i.e. already channel-major.
#pragma once

#include <string>

#include "data/image_dataset.h"

namespace gan::data {

constexpr int64_t kCifarSide = 32;
constexpr int64_t kCifarRecordBytes = 1 + 3 * kCifarSide * kCifarSide;

// split "train": data_batch_1.bin, data_batch_2.bin, ... (every one present, at least the
// first); split "test": test_batch.bin. `directory` may also be the folder holding
// cifar-10-batches-bin/. Throws gan::Error naming the file and what is wrong with it.
ImageDataset loadCifar10(const std::string& directory, const std::string& split = "train");

}  // namespace gan::data
