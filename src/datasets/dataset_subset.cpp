#include "datasets/dataset_subset.h"

#include <cmath>

#include "common/error.h"
#include "data/sample_order.h"

namespace gan::datasets {
using namespace data;  // the torch-free readers, packed files and streams this folder builds on
namespace {
// The shuffle that picks every cut: fixed, independent of --train.seed.
constexpr uint64_t kSubsetShuffleSeed = 0x11a17ULL;

std::vector<int64_t> fixedShuffle(int64_t size) { return epochPermutation(size, kSubsetShuffleSeed, 0); }
}  // namespace

int64_t holdoutCount(const DataConfig& config, int64_t size) {
  if (config.holdout <= 0) return 0;
  // Compared as a double before any conversion: a count past int64's range (1e30) would be
  // undefined as an integer, and the message printed a wrapped number.
  const double count = config.holdout < 1 ? std::round(config.holdout * double(size)) : config.holdout;
  GAN_CHECK(count >= 1 && count < double(size), "--data.holdout=", config.holdout, " sets aside ", count, " of the ",
            size, " images of ", config.path, ": expected at least 1 and fewer than all of them");
  return static_cast<int64_t>(count);
}

DatasetSubset::DatasetSubset(std::unique_ptr<Dataset> whole, std::vector<int64_t> kept, std::string how)
    : whole_(std::move(whole)), kept_(std::move(kept)), how_(std::move(how)) {}

std::unique_ptr<Dataset> DatasetSubset::trainingPart(std::unique_ptr<Dataset> whole, const DataConfig& config) {
  const int64_t held_out = holdoutCount(config, whole->size());
  if (held_out == 0 && config.limit == 0) return whole;
  auto kept = fixedShuffle(whole->size());
  kept.resize(kept.size() - static_cast<size_t>(held_out));
  std::string how = held_out > 0 ? "--data.holdout keeps " + std::to_string(held_out) + " aside" : "";
  if (config.limit > 0) {
    GAN_CHECK(config.limit <= int64_t(kept.size()), "--data.limit=", config.limit, ": expected 1 to ", kept.size(),
              " (the training set's size", held_out > 0 ? " after --data.holdout" : "", "), or 0 for all of it");
    kept.resize(static_cast<size_t>(config.limit));
    how = (how.empty() ? "" : how + "; ") + "--data.limit, a fixed spread-out subset";
  }
  return std::unique_ptr<Dataset>(new DatasetSubset(std::move(whole), std::move(kept), how));
}

std::unique_ptr<Dataset> DatasetSubset::heldOutPart(std::unique_ptr<Dataset> whole, const DataConfig& config) {
  const int64_t held_out = holdoutCount(config, whole->size());
  GAN_CHECK(held_out > 0, "no --data.holdout: nothing is held out of ", whole->description());
  auto shuffle = fixedShuffle(whole->size());
  std::vector<int64_t> kept(shuffle.end() - held_out, shuffle.end());
  return std::unique_ptr<Dataset>(
      new DatasetSubset(std::move(whole), std::move(kept), "--data.holdout, never trained on"));
}

std::vector<int64_t> DatasetSubset::wholeIndices(const std::vector<int64_t>& indices) const {
  std::vector<int64_t> mapped(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) {
    GAN_CHECK(indices[i] >= 0 && indices[i] < size(), "sample ", indices[i], " outside the ", size(), " samples of ",
              how_);
    mapped[i] = kept_[static_cast<size_t>(indices[i])];
  }
  return mapped;
}

torch::Tensor DatasetSubset::batch(const std::vector<int64_t>& indices, const torch::Device& device) const {
  return whole_->batch(wholeIndices(indices), device);
}

torch::Tensor DatasetSubset::labelsOf(const std::vector<int64_t>& indices) const {
  return whole_->labelsOf(wholeIndices(indices));
}

std::string DatasetSubset::description() const {
  return std::to_string(size()) + " of the " + std::to_string(whole_->size()) + " samples of " +
         whole_->description() + " (" + how_ + ")";
}

}  // namespace gan::datasets
