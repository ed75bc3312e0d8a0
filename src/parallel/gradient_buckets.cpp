#include "parallel/gradient_buckets.h"

#include <torch/csrc/autograd/function_hook.h>

#include <chrono>

#include "common/elapsed.h"
#include "common/error.h"
#include "parallel/reduction_factory.h"

namespace gan::parallel {

// Runs after autograd accumulated a parameter's gradient into its bucket view.
class GradientBuckets::ReadyHook final : public torch::autograd::FunctionPostHook {
 public:
  ReadyHook(GradientBuckets* owner, size_t slot) : owner_(owner), slot_(slot) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list&) override {
    owner_->markReady(slot_);
    return outputs;
  }

 private:
  GradientBuckets* owner_;
  size_t slot_;
};

GradientBuckets::GradientBuckets(std::string name, FlatParameters& parameters,
                                 comm::Communicator& communicator, int64_t bucket_bytes, CompressionSettings compression)
    : name_(std::move(name)),
      parameters_(parameters),
      reduction_(makeGradientReduction(compression, name_, parameters, communicator)) {
  collectives_run_on_caller_ = communicator.runsCollectivesOnCaller();
  GAN_CHECK(bucket_bytes > 0, "bucket size must be positive, got ", bucket_bytes);
  const int64_t element_bytes = parameters.values().element_size();
  const auto& slots = parameters.slots();
  Bucket current;
  for (size_t i = 0; i < slots.size(); ++i) {
    if (current.slot_count == 0) current.offset = slots[i].offset;
    current.numel += slots[i].numel;
    current.slot_count += 1;
    bucket_of_slot_.push_back(buckets_.size());
    if (current.numel * element_bytes >= bucket_bytes || i + 1 == slots.size()) {
      buckets_.push_back(current);
      current = Bucket();
    }
  }
  slot_seen_.assign(slots.size(), 0);
  for (size_t i = 0; i < slots.size(); ++i) {
    auto accumulator = torch::autograd::impl::grad_accumulator(slots[i].parameter);
    GAN_CHECK(accumulator, "parameter ", slots[i].name, " of ", name_, " has no gradient accumulator");
    accumulator->add_post_hook(std::make_unique<ReadyHook>(this, i));
    accumulators_.push_back(std::move(accumulator));
  }
}

GradientBuckets::~GradientBuckets() {
  // Reductions still in flight write into our buffers: let them land first.
  for (auto& bucket : buckets_) {
    if (bucket.work) {
      try {
        bucket.work->wait();
      } catch (...) {
      }
    }
  }
}

std::vector<std::pair<int64_t, int64_t>> GradientBuckets::bucketRanges() const {
  std::vector<std::pair<int64_t, int64_t>> ranges;
  for (const auto& bucket : buckets_) ranges.emplace_back(bucket.offset, bucket.numel);
  return ranges;
}

void GradientBuckets::beginBackward(GradientStart start) {
  if (start == GradientStart::Zero) parameters_.grads().zero_();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& bucket : buckets_) {
    bucket.pending = bucket.slot_count;
    bucket.work.reset();
  }
  std::fill(slot_seen_.begin(), slot_seen_.end(), 0);
  next_to_launch_ = 0;
  launch_seconds_ = 0;
  armed_ = true;
}

void GradientBuckets::markReady(size_t slot_index) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!armed_) return;  // a backward outside a training step: nothing to reduce
  GAN_CHECK(!slot_seen_[slot_index], name_, ": parameter ", parameters_.slots()[slot_index].name,
            " received its gradient twice in one step (call backward once per step)");
  slot_seen_[slot_index] = 1;
  buckets_[bucket_of_slot_[slot_index]].pending -= 1;
  launchReadyBucketsLocked();
}

void GradientBuckets::launchReadyBucketsLocked() {
  if (!reduction_->reducesBuckets()) return;  // it takes the whole gradient in finishAndAverage()
  while (next_to_launch_ < buckets_.size() && buckets_[next_to_launch_].pending == 0) {
    launch(buckets_[next_to_launch_]);
    ++next_to_launch_;
  }
}

void GradientBuckets::launch(Bucket& bucket) {
  const auto began = std::chrono::steady_clock::now();
  bucket.work = reduction_->reduceBucket(parameters_.grads().narrow(0, bucket.offset, bucket.numel), stats_);
  if (collectives_run_on_caller_) launch_seconds_ += secondsSince(began);
}

void GradientBuckets::finishAndAverage() {
  const auto began = std::chrono::steady_clock::now();
  double launched_during_backward = 0;  // the launches from here on are inside `began`'s span
  {
    std::lock_guard<std::mutex> lock(mutex_);
    GAN_CHECK(armed_, name_, ": finishAndAverage() without beginBackward()");
    armed_ = false;
    launched_during_backward = launch_seconds_;
    if (reduction_->reducesBuckets()) {
      // Buckets whose parameters got no gradient still reduce (zeros): every rank must issue the
      // same collectives whatever its local graph looked like.
      while (next_to_launch_ < buckets_.size()) launch(buckets_[next_to_launch_++]);
    }
  }
  if (!reduction_->reducesBuckets()) {
    reduction_->reduceWhole(parameters_.grads(), stats_);
    const double seconds = secondsSince(began);
    stats_.collective_seconds += seconds;
    stats_.exposed_seconds += seconds;
    waited_seconds_total_ += seconds;
    return;
  }
  for (auto& bucket : buckets_) bucket.work->wait();
  const auto waited = std::chrono::steady_clock::now();
  for (size_t i = 0; i < buckets_.size(); ++i) {
    const auto& work = *buckets_[i].work;
    stats_.collective_seconds += work.collectiveSeconds();
    if (listener_) {
      listener_({name_, i, buckets_[i].numel * parameters_.values().element_size(), work.startedAtMicros(),
                 work.collectiveSeconds()});
    }
  }
  const double waited_seconds = std::chrono::duration<double>(waited - began).count() + launched_during_backward;
  stats_.exposed_seconds += waited_seconds;
  waited_seconds_total_ += waited_seconds;
}

CommunicationStats GradientBuckets::takeStats() {
  CommunicationStats taken = stats_;
  stats_ = CommunicationStats();
  return taken;
}

}  // namespace gan::parallel
