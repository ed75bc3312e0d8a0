#include "parallel/fused_adam_kernel.h"

#include <cmath>

namespace gan::parallel {

// The update is bound by sqrt and division throughput, so it is compiled for AVX-512 and AVX2
// as well as the baseline, and the loader picks the widest the CPU has. -fno-math-errno (set
// for this file) lets the compiler vectorise sqrt.
__attribute__((target_clones("avx512f", "avx2,fma", "default")))
void fusedAdamUpdate(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v,
                     int64_t n, FusedAdamConstants c) {
  for (int64_t i = 0; i < n; ++i) {
    m[i] = m[i] * c.beta1 + g[i] * c.one_minus_beta1;
    v[i] = v[i] * c.beta2 + g[i] * g[i] * c.one_minus_beta2;
    p[i] -= c.step_size * m[i] / (std::sqrt(v[i]) * c.inv_sqrt_bias_correction2 + c.eps);
  }
}

}  // namespace gan::parallel
