// Improved precision and recall (Kynkäänniemi et al. 2019): each set of feature vectors is taken
// as a manifold, the union of balls around its points with the distance to each point's k-th
// nearest neighbour as radius. Precision is the share of generated points inside the real
// manifold (fidelity), recall the share of real points inside the generated one (diversity):
// the two things one Fréchet distance mixes.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace gan::eval {

constexpr int64_t kManifoldNeighbours = 3;  // k, as in the paper

// Radii of rows [first, first + count) of `points` (n, d): the distance to each row's k-th nearest
// other row of `points`. Float64.
torch::Tensor neighbourRadii(const torch::Tensor& points, int64_t first, int64_t count,
                             int64_t k = kManifoldNeighbours);

// How many rows of `queries` lie inside at least one ball (centres (n, d), radii (n)).
int64_t countInsideManifold(const torch::Tensor& queries, const torch::Tensor& centres, const torch::Tensor& radii);

}  // namespace gan::eval
