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
// How a bucket travels is the GradientReduction's business (--comm.compress): exact in float32 or
// 16 bits, bucket by bucket; or, for a strategy that needs the whole gradient (PowerSGD), no
// launches during backward and the whole gradient handed over in finishAndAverage().
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "parallel/flat_parameters.h"
#include "parallel/gradient_reduction.h"

namespace gan::parallel {

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

  // Tells the reduction strategy which training step (from 0) the next backward passes belong to.
  void beginStep(int64_t step) { reduction_->beginStep(step); }
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
  // Seconds the training thread has spent on its collectives since construction: waiting for
  // them in finishAndAverage(), and, where the backend runs a collective inside the call that
  // issues it (MpiCommunicator on one core), launching them. Elsewhere a launch only hands the
  // collective over, and time lost in it (descheduled on a busy core) stays the rank's own: the
  // straggler timing must see it. Never reset: readers that sample it take differences.
  double waitedSecondsTotal() const { return waited_seconds_total_; }
  // How the gradients travel, with the strategy's own state.
  GradientReduction& reduction() { return *reduction_; }
  const GradientReduction& reduction() const { return *reduction_; }
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
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_slot_;
  std::vector<char> slot_seen_;
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;  // keeps the hooks alive
  std::mutex mutex_;
  bool armed_ = false;
  size_t next_to_launch_ = 0;
  CommunicationStats stats_;
  double waited_seconds_total_ = 0;
  double launch_seconds_ = 0;  // in launch() since beginBackward(), where collectives run there
  bool collectives_run_on_caller_ = false;
  std::function<void(const BucketTiming&)> listener_;
  std::unique_ptr<GradientReduction> reduction_;
};

}  // namespace gan::parallel
