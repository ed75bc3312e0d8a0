// GradientBuckets: averages one network's gradients across ranks, overlapped with backward.
//
// The flat gradient buffer is cut into contiguous buckets of about `bucket_bytes`. A post-hook
// on each parameter's gradient accumulator counts it in; when a bucket is complete its
// allreduce starts at once, while backward goes on with earlier layers. Buckets are launched
// strictly in index order so every rank issues the same collectives in the same order.
// finishAndAverage() launches what is left and waits. Each bucket is averaged by the backend (sum, then
// one division by the world size) right after its reduction, while it is still in cache.
// Knows nothing about GANs.
//
// Compression (opt-in, --comm.compress): bf16/fp16 buckets travel in 16 bits (the backend converts
// and sums in float32); with PowerSGD the buckets do not launch during backward, and
// finishAndAverage() hands the whole gradient to a PowerSgdReducer (two dependent reductions
// of thin factors, plus one of the vectors).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "train/flat_parameters.h"
#include "train/powersgd_reducer.h"

namespace gan::train {

// How gradients travel. None is exact and world-size invariant; the others trade that for bytes.
enum class GradientCompression { None, BFloat16, Float16, PowerSgd };
// "none" | "bf16" | "fp16" | "powersgd"; throws gan::Error naming --comm.compress otherwise.
GradientCompression parseGradientCompression(const std::string& name);

struct CompressionSettings {
  GradientCompression mode = GradientCompression::None;
  int64_t powersgd_rank = 4;
  uint64_t seed = 0;  // PowerSGD's first Q
  int64_t powersgd_warmup_steps = 0;  // PowerSGD: steps [0, N) reduce exactly
};

// Communication time of the reductions since the last takeStats().
struct CommunicationStats {
  double collective_seconds = 0;  // the collectives' own durations, summed
  double exposed_seconds = 0;     // time the training thread waited for them after backward
  int64_t bytes = 0;
  int64_t collectives = 0;
};

// One bucket's reduction, as reported to a timing listener once it has completed.
struct BucketTiming {
  const std::string& network;
  size_t bucket;
  int64_t bytes;
  int64_t started_at_us;  // wall clock; 0 when the backend does not measure it
  double seconds;
};

class GradientBuckets {
 public:
  GradientBuckets(std::string name, FlatParameters& parameters, comm::Communicator& communicator,
                  int64_t bucket_bytes, CompressionSettings compression = {});
  ~GradientBuckets();
  GradientBuckets(const GradientBuckets&) = delete;
  GradientBuckets& operator=(const GradientBuckets&) = delete;

  // Arms the hooks; call before this network's backward. Zero starts the gradients at zero;
  // Accumulate keeps what an earlier backward left in the buffer (run while the hooks were not
  // armed), so this backward adds to it and the reductions carry the sum.
  enum class GradientStart { Zero, Accumulate };
  void beginBackward(GradientStart start = GradientStart::Zero);
  // Launches the buckets no hook completed (parameters without gradient reduce zeros), waits
  // for all, and leaves the mean gradient across ranks in the flat buffer.
  void finishAndAverage();

  size_t bucketCount() const { return buckets_.size(); }
  // Element ranges [offset, offset + numel) of the buckets, in launch order.
  std::vector<std::pair<int64_t, int64_t>> bucketRanges() const;
  CommunicationStats takeStats();
  // PowerSGD's warm-up: while set, the gradients travel exactly through the buckets (as with
  // --comm.compress=none) and PowerSGD's state is left as it is. No effect in other modes.
  // Set before beginBackward().
  void setExactReduction(bool exact) { exact_ = exact; }
  // The PowerSGD state (warm start, error feedback), or null when another mode is in use.
  PowerSgdReducer* powerSgd() const { return powersgd_.get(); }
  // Called from finishAndAverage() for every bucket once all have completed (timelines).
  void setTimingListener(std::function<void(const BucketTiming&)> listener) { listener_ = std::move(listener); }

 private:
  struct Bucket {
    int64_t offset = 0;
    int64_t numel = 0;
    int slot_count = 0;
    int pending = 0;
    std::shared_ptr<comm::Work> work;
  };
  class ReadyHook;

  void markReady(size_t slot_index);
  void launchReadyBucketsLocked();
  void launch(Bucket& bucket);

  std::string name_;
  FlatParameters& parameters_;
  comm::Communicator& communicator_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_slot_;
  std::vector<char> slot_seen_;
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;  // keeps the hooks alive
  std::mutex mutex_;
  bool armed_ = false;
  size_t next_to_launch_ = 0;
  CommunicationStats stats_;
  std::function<void(const BucketTiming&)> listener_;
  comm::WireFormat wire_ = comm::WireFormat::Float32;
  std::unique_ptr<PowerSgdReducer> powersgd_;
  bool exact_ = false;
  bool compressing() const { return powersgd_ && !exact_; }
};

}  // namespace gan::train
