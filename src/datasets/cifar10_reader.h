// CIFAR-10 (binary version, https://www.cs.toronto.edu/~kriz/cifar.html) as an ImageDataset; the
// format itself is read by data/cifar10_records (no torch).
#pragma once

#include <string>

#include "data/cifar10_records.h"
#include "datasets/image_dataset.h"

namespace gan::datasets {

// split "train": data_batch_1.bin, data_batch_2.bin, ... (every one present, at least the
// first); split "test": test_batch.bin. `directory` may also be the folder holding
// cifar-10-batches-bin/. Throws gan::Error naming the file and what is wrong with it.
ImageDataset loadCifar10(const std::string& directory, DataSplit split = DataSplit::Train);

}  // namespace gan::datasets
