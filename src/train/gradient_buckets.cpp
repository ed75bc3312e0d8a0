#include "train/gradient_buckets.h"

#include <torch/csrc/autograd/function_hook.h>

#include <chrono>

#include "common/error.h"
#include "comm/tensor_buffer.h"

namespace gan::train {

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

GradientCompression parseGradientCompression(const std::string& name) {
  if (name == "none") return GradientCompression::None;
  if (name == "bf16") return GradientCompression::BFloat16;
  if (name == "fp16") return GradientCompression::Float16;
  if (name == "powersgd") return GradientCompression::PowerSgd;
  GAN_FAIL("--comm.compress: expected none, bf16, fp16 or powersgd, got '", name, "'");
}

GradientBuckets::GradientBuckets(std::string name, FlatParameters& parameters,
                                 comm::Communicator& communicator, int64_t bucket_bytes, CompressionSettings compression)
    : name_(std::move(name)), parameters_(parameters), communicator_(communicator) {
  GAN_CHECK(bucket_bytes > 0, "bucket size must be positive, got ", bucket_bytes);
  switch (compression.mode) {
    case GradientCompression::None: break;
    case GradientCompression::BFloat16: wire_ = comm::WireFormat::BFloat16; break;
    case GradientCompression::Float16: wire_ = comm::WireFormat::Float16; break;
    case GradientCompression::PowerSgd:
      powersgd_ = std::make_unique<PowerSgdReducer>(name_, parameters, compression.powersgd_rank, compression.seed);
      break;
  }
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
  if (compressing()) return;  // PowerSGD needs the whole gradient: it starts in finishAndAverage()
  while (next_to_launch_ < buckets_.size() && buckets_[next_to_launch_].pending == 0) {
    launch(buckets_[next_to_launch_]);
    ++next_to_launch_;
  }
}

void GradientBuckets::launch(Bucket& bucket) {
  auto slice = parameters_.grads().narrow(0, bucket.offset, bucket.numel);
  comm::AllreduceOptions options;
  options.op = comm::ReduceOp::Average;
  options.cuda_stream = comm::workStreamOf(slice);
  options.wire = wire_;
  bucket.work = communicator_.allreduceAsync(comm::bufferViewOf(slice), options);
  stats_.bytes += bucket.numel * (wire_ == comm::WireFormat::Float32 ? slice.element_size()
                                                                     : int64_t(comm::wireBytesPerValue(wire_)));
  stats_.collectives += wire_ == comm::WireFormat::Float16 ? 2 : 1;  // fp16 agrees on its scale first
}

void GradientBuckets::finishAndAverage() {
  const auto began = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    GAN_CHECK(armed_, name_, ": finishAndAverage() without beginBackward()");
    armed_ = false;
    if (!compressing()) {
      // Buckets whose parameters got no gradient still reduce (zeros): every rank must issue the
      // same collectives whatever its local graph looked like.
      while (next_to_launch_ < buckets_.size()) launch(buckets_[next_to_launch_++]);
    }
  }
  if (compressing()) {
    powersgd_->averageGradients(communicator_);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    stats_.collective_seconds += seconds;
    stats_.exposed_seconds += seconds;
    stats_.bytes += powersgd_->wireValues() * parameters_.grads().element_size();
    stats_.collectives += (powersgd_->compressedMatrices() > 0 ? 2 : 0) + (powersgd_->exactValues() > 0 ? 1 : 0);
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
  stats_.exposed_seconds += std::chrono::duration<double>(waited - began).count();
}

CommunicationStats GradientBuckets::takeStats() {
  CommunicationStats taken = stats_;
  stats_ = CommunicationStats();
  return taken;
}

}  // namespace gan::train
