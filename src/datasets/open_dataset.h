// Opening the data set a configuration names (--data.*): the one place that knows every kind of
// data set, beside them rather than in the Dataset interface's file.
#pragma once

#include <memory>

#include "common/config.h"
#include "datasets/dataset.h"

namespace gan::datasets {

// The data set `config` names, training or test split. Throws gan::Error naming --data.path or
// the file when it cannot be read.
std::unique_ptr<Dataset> openDataset(const DataConfig& config, DataSplit split = DataSplit::Train);

}  // namespace gan::datasets
