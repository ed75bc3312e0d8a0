// DatasetSubset: a small training set cut from a large one (--data.limit=N), for training on
// few images (the regime where a discriminator memorises its data). It keeps the first N samples
// of one fixed shuffle of the whole set, so the subset is spread over the whole set (every class,
// not the first files) and is the same for every seed and world size: runs that differ in
// anything else train on the same images.
#pragma once

#include <memory>
#include <vector>

#include "datasets/dataset.h"

namespace gan::data {

class DatasetSubset final : public Dataset {
 public:
  // Throws naming --data.limit when `limit` exceeds the set's size.
  DatasetSubset(std::unique_ptr<Dataset> whole, int64_t limit);

  int64_t size() const override { return static_cast<int64_t>(kept_.size()); }
  std::vector<int64_t> sampleShape() const override { return whole_->sampleShape(); }
  torch::Tensor batch(const std::vector<int64_t>& indices, const torch::Device& device) const override;
  std::string description() const override;
  bool hasLabels() const override { return whole_->hasLabels(); }
  torch::Tensor labelsOf(const std::vector<int64_t>& indices) const override;
  std::optional<MixtureModes> mixtureModes() const override { return whole_->mixtureModes(); }

 private:
  std::unique_ptr<Dataset> whole_;
  std::vector<int64_t> wholeIndices(const std::vector<int64_t>& indices) const;

  std::vector<int64_t> kept_;  // indices into whole_
};

}  // namespace gan::data
