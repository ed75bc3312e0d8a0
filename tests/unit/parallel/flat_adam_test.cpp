// FlatAdam must reproduce torch::optim::Adam step for step.
#include <gtest/gtest.h>

#include "parallel/flat_adam.h"
#include "parallel/flat_parameters.h"

namespace {

TEST(FlatAdam, MatchesTorchAdam) {
  torch::manual_seed(1);
  torch::nn::Sequential reference(torch::nn::Linear(7, 5), torch::nn::ReLU(), torch::nn::Linear(5, 3));
  torch::nn::Sequential flat_model(torch::nn::Linear(7, 5), torch::nn::ReLU(), torch::nn::Linear(5, 3));
  {
    torch::NoGradGuard no_grad;
    auto src = reference->parameters(), dst = flat_model->parameters();
    for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
  }
  torch::optim::Adam torch_adam(reference->parameters(), torch::optim::AdamOptions(1e-2).betas({0.5, 0.999}));
  gan::parallel::FlatParameters flat(*flat_model);
  gan::parallel::FlatAdam adam(flat.values(), flat.grads(), {1e-2, 0.5, 0.999, 1e-8});

  for (int step = 0; step < 6; ++step) {
    auto x = torch::randn({4, 7});
    torch_adam.zero_grad();
    reference->forward(x).pow(2).sum().backward();
    torch_adam.step();
    flat.grads().zero_();
    flat_model->forward(x).pow(2).sum().backward();
    adam.step();
  }
  auto expected = reference->parameters(), actual = flat_model->parameters();
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(torch::allclose(actual[i], expected[i], 1e-6, 1e-7)) << "parameter " << i;
  }
  EXPECT_EQ(adam.stepCount(), 6);
}

}  // namespace
