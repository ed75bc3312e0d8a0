#include "parallel/flat_parameters.h"

#include "common/error.h"

namespace gan::parallel {

FlatParameters::FlatParameters(torch::nn::Module& module) {
  auto named = module.named_parameters(/*recurse=*/true);
  GAN_CHECK(named.size() > 0, "module '", module.name(), "' has no parameters");
  int64_t total = 0;
  for (auto it = named.end(); it != named.begin();) {
    --it;
    slots_.push_back({it->key(), it->value(), total, it->value().numel()});
    total += it->value().numel();
  }
  const auto options = slots_.front().parameter.options();
  values_ = torch::empty({total}, options.requires_grad(false));
  grads_ = torch::zeros({total}, options.requires_grad(false));

  torch::NoGradGuard no_grad;
  for (auto& slot : slots_) {
    GAN_CHECK(slot.parameter.scalar_type() == values_.scalar_type() &&
                  slot.parameter.device() == values_.device(),
              "parameter ", slot.name, " differs in dtype or device from the others");
    auto value_view = values_.narrow(0, slot.offset, slot.numel).view(slot.parameter.sizes());
    value_view.copy_(slot.parameter);
    slot.parameter.set_data(value_view);
    // Autograd accumulates into an existing .grad in place, i.e. straight into the bucket.
    slot.parameter.mutable_grad() = grads_.narrow(0, slot.offset, slot.numel).view(slot.parameter.sizes());
  }
}

void FlatParameters::setRequiresGrad(bool requires_grad) {
  for (auto& slot : slots_) slot.parameter.requires_grad_(requires_grad);
}

}  // namespace gan::parallel
