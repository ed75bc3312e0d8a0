// The CPU kernel of FlatAdam: one pass over parameters, gradients and both moments.
// Kept free of torch headers so it can be compiled with its own flags (-fno-math-errno).
#pragma once

#include <cstdint>

namespace gan::parallel {

struct FusedAdamConstants {
  float beta1, beta2, one_minus_beta1, one_minus_beta2, inv_sqrt_bias_correction2, eps, step_size;
};

void fusedAdamUpdate(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v,
                     int64_t n, FusedAdamConstants c);

}  // namespace gan::parallel
