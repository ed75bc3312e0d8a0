// DatasetSubset: some samples of a larger set, picked from one fixed shuffle of it, so a cut is
// spread over the whole set (every class, not the first files) and is the same for every seed
// and world size: runs that differ in anything else train and measure on the same images.
//   --data.limit=N    trains on the first N of the shuffle (the regime where D memorises)
//   --data.holdout=N  sets the last N of the shuffle aside: never trained on, measured against
// The two never overlap: limit cuts what the holdout leaves.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "datasets/dataset.h"

namespace gan::datasets {

// How many images --data.holdout sets aside of a set of `size` (0 when off); throws naming the
// option when that leaves no image to train on.
int64_t holdoutCount(const DataConfig& config, int64_t size);

class DatasetSubset final : public Dataset {
 public:
  // The training images of `config` (--data.holdout removed, then --data.limit applied); throws
  // naming --data.limit when it exceeds what is left.
  static std::unique_ptr<Dataset> trainingPart(std::unique_ptr<Dataset> whole, const DataConfig& config);
  // The images --data.holdout sets aside.
  static std::unique_ptr<Dataset> heldOutPart(std::unique_ptr<Dataset> whole, const DataConfig& config);

  int64_t size() const override { return static_cast<int64_t>(kept_.size()); }
  std::vector<int64_t> sampleShape() const override { return whole_->sampleShape(); }
  torch::Tensor batch(const std::vector<int64_t>& indices, const torch::Device& device) const override;
  std::string description() const override;
  bool hasLabels() const override { return whole_->hasLabels(); }
  torch::Tensor labelsOf(const std::vector<int64_t>& indices) const override;
  std::optional<MixtureModes> mixtureModes() const override { return whole_->mixtureModes(); }

  // The indices into the whole set that this subset keeps, in its order.
  const std::vector<int64_t>& keptIndices() const { return kept_; }

 private:
  DatasetSubset(std::unique_ptr<Dataset> whole, std::vector<int64_t> kept, std::string how);
  std::vector<int64_t> wholeIndices(const std::vector<int64_t>& indices) const;

  std::unique_ptr<Dataset> whole_;
  std::vector<int64_t> kept_;  // indices into whole_
  std::string how_;            // which option cut it, for the description
};

}  // namespace gan::datasets
