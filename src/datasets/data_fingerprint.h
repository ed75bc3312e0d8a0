// What a run trained on, in a few numbers: how many samples, their shape, how many classes, and
// a hash of the labels and of 1,024 evenly spaced samples. Cheap to take at every start (it
// reads those rows, not the whole set), and enough to tell that the data opened now is not what
// a checkpoint was trained on, or not what another rank opened: an added or dropped image
// changes the count (and with it the sample order and the held-out split), a changed file
// changes the hash unless every sampled row and label stays the same.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/dataset.h"

namespace gan::datasets {

struct DataFingerprint {
  int64_t count = 0;
  std::vector<int64_t> sample_shape;
  int64_t classes = 0;  // 0: no labels
  uint64_t hash = 0;

  bool operator==(const DataFingerprint& other) const {
    return count == other.count && sample_shape == other.sample_shape && classes == other.classes &&
           hash == other.hash;
  }
  bool operator!=(const DataFingerprint& other) const { return !(*this == other); }
  // "60000 samples of [1, 28, 28], 10 classes, hash 0123456789abcdef".
  std::string describe() const;
  nlohmann::json toJson() const;
  // Throws gan::Error naming `source` for a malformed one.
  static DataFingerprint fromJson(const nlohmann::json& json, const std::string& source);
};

DataFingerprint fingerprintOf(const Dataset& dataset);

}  // namespace gan::datasets
