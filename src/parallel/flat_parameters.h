// One network's parameters and gradients, each stored in a single flat buffer.
//
// Every parameter (and its .grad) becomes a view into the flat storage, so the gradient
// buckets reduce contiguous slices with no copy before or after, the optimizer updates the
// whole network in a handful of kernels, and checksums/broadcasts touch one tensor.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace gan::parallel {

class FlatParameters {
 public:
  struct Slot {
    std::string name;
    torch::Tensor parameter;  // the module's parameter, now a view of values()
    int64_t offset = 0;       // element offset in the flat buffers
    int64_t numel = 0;
  };

  // Takes over the parameters of `module`. They are laid out in reverse registration order:
  // backward produces the last layers' gradients first, so the first buckets fill first.
  explicit FlatParameters(torch::nn::Module& module);
  FlatParameters(const FlatParameters&) = delete;
  FlatParameters& operator=(const FlatParameters&) = delete;

  torch::Tensor& values() { return values_; }
  torch::Tensor& grads() { return grads_; }
  const std::vector<Slot>& slots() const { return slots_; }  // in flat (reverse) order
  int64_t numel() const { return values_.numel(); }

  // Parameters stop (or resume) producing gradients, e.g. D while G trains.
  void setRequiresGrad(bool requires_grad);

 private:
  torch::Tensor values_;
  torch::Tensor grads_;
  std::vector<Slot> slots_;
};

}  // namespace gan::parallel
