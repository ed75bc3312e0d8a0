#include "models/batch_norm.h"

#include "comm/tensor_buffer.h"
#include "common/error.h"

namespace gan::models {

namespace {

std::vector<int64_t> dimsExceptChannel(const torch::Tensor& x) {
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  return dims;
}

// (C) -> (1, C, 1, ...) so it broadcasts against x.
torch::Tensor perChannel(const torch::Tensor& values, const torch::Tensor& x) {
  std::vector<int64_t> shape(size_t(x.dim()), 1);
  shape[1] = values.size(0);
  return values.view(shape);
}

// Batch norm over the global batch. Forward: the mean, then the centred second moment, each
// summed across ranks (two passes: exact where E[x^2] - E[x]^2 would cancel). Backward: the two
// per-channel sums the input gradient needs are summed across ranks as well; the weight and bias
// gradients stay local, because the gradient buckets average them like every other parameter.
struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, const torch::Tensor& bias, int64_t communicator_address) {
    auto& communicator = *reinterpret_cast<comm::Communicator*>(communicator_address);
    const auto dims = dimsExceptChannel(x);
    const int64_t channels = x.size(1);
    auto sums = torch::cat({x.sum(dims), torch::full({1}, double(x.numel() / channels), x.options())});
    comm::sumAcrossRanks(sums, communicator);
    const double count = sums[channels].item<double>();
    auto mean = sums.narrow(0, 0, channels) / count;
    auto centred = x - perChannel(mean, x);
    auto squares = centred.pow(2).sum(dims).contiguous();
    comm::sumAcrossRanks(squares, communicator);
    auto inverse_std = (squares / count + kBatchNormEpsilon).rsqrt();
    auto normalised = centred * perChannel(inverse_std, x);
    ctx->save_for_backward({normalised, weight, inverse_std});
    ctx->saved_data["communicator"] = communicator_address;
    ctx->saved_data["count"] = count;
    return normalised * perChannel(weight, x) + perChannel(bias, x);
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    const auto& normalised = saved[0];
    const auto& weight = saved[1];
    const auto& inverse_std = saved[2];
    auto& communicator = *reinterpret_cast<comm::Communicator*>(ctx->saved_data["communicator"].toInt());
    const double count = ctx->saved_data["count"].toDouble();
    const auto& grad = grad_outputs[0];
    const auto dims = dimsExceptChannel(grad);
    const int64_t channels = grad.size(1);
    auto grad_bias = grad.sum(dims);
    auto grad_weight = (grad * normalised).sum(dims);
    auto sums = torch::cat({grad_bias, grad_weight});
    comm::sumAcrossRanks(sums, communicator);
    auto mean_grad = sums.narrow(0, 0, channels) / count;
    auto mean_grad_normalised = sums.narrow(0, channels, channels) / count;
    auto grad_x = perChannel(weight * inverse_std, grad) *
                  (grad - perChannel(mean_grad, grad) - normalised * perChannel(mean_grad_normalised, grad));
    return {grad_x, grad_weight, grad_bias, torch::Tensor()};
  }
};

}  // namespace

BatchNormImpl::BatchNormImpl(int64_t channels, BatchNormPolicy policy, comm::Communicator* communicator)
    : policy_(policy), communicator_(communicator) {
  GAN_CHECK(policy != BatchNormPolicy::None, "BatchNorm built with policy none");
  GAN_CHECK(policy != BatchNormPolicy::Sync || communicator != nullptr, "synchronised batch norm needs a communicator");
  weight_ = register_parameter("weight", torch::ones({channels}));
  bias_ = register_parameter("bias", torch::zeros({channels}));
}

torch::Tensor BatchNormImpl::forward(const torch::Tensor& x) {
  // Outside training (sampling, evaluation) every policy normalises with the batch's own
  // statistics, so a rank can generate alone without its peers joining a collective.
  if (policy_ == BatchNormPolicy::Sync && is_training()) {
    return SyncBatchNormFunction::apply(x, weight_, bias_, reinterpret_cast<int64_t>(communicator_));
  }
  return torch::batch_norm(x, weight_, bias_, /*running_mean=*/{}, /*running_var=*/{}, /*training=*/true,
                           /*momentum=*/0.0, kBatchNormEpsilon, /*cudnn_enabled=*/true);
}

}  // namespace gan::models
