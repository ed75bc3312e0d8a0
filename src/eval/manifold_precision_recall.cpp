#include "eval/manifold_precision_recall.h"

#include <algorithm>

#include "common/error.h"

namespace gan::eval {
namespace {

// Query rows per distance block: 250 x 10,000 float32 is 10 MB, under glibc's mmap threshold as
// gan_dist sets it, so blocks are reused instead of mapped and faulted in each time.
constexpr int64_t kQueryChunk = 250;

// For query rows q (b, d) and centres c (n, d), all float32: |c|^2 + offset - 2 q.c, which is the
// squared distance minus |q|^2. Dropping |q|^2 keeps each row's order and saves a pass; one
// addmm does the rest. Products in float32: a 128-term dot product is good to ~1e-6 relative.
torch::Tensor distancesLessQueryNorm(const torch::Tensor& q, const torch::Tensor& c, const torch::Tensor& row_offset) {
  return torch::addmm(row_offset.unsqueeze(0), q, c.t(), /*beta=*/1, /*alpha=*/-2);
}

torch::Tensor squaredNorms(const torch::Tensor& x) { return x.pow(2).sum(1); }

}  // namespace

torch::Tensor neighbourRadii(const torch::Tensor& points, int64_t first, int64_t count, int64_t k) {
  torch::NoGradGuard no_grad;
  GAN_CHECK(points.size(0) > k, "precision/recall with k = ", k, " needs more than ", k, " points, got ",
            points.size(0));
  const auto all = points.to(torch::kCPU, torch::kFloat32).contiguous();
  const auto norms = squaredNorms(all);
  auto radii = torch::empty({count}, torch::kFloat64);
  for (int64_t start = 0; start < count; start += kQueryChunk) {
    const int64_t rows = std::min(kQueryChunk, count - start);
    const auto query = all.narrow(0, first + start, rows);
    const auto partial = distancesLessQueryNorm(query, all, norms);
    // The smallest distance is each row's own (0): the k-th neighbour is the (k+1)-th smallest.
    const auto kth = std::get<0>(partial.topk(k + 1, 1, /*largest=*/false, /*sorted=*/true)).select(1, k);
    radii.narrow(0, start, rows).copy_((kth + norms.narrow(0, first + start, rows)).clamp_min(0).sqrt());
  }
  return radii;
}

int64_t countInsideManifold(const torch::Tensor& queries, const torch::Tensor& centres, const torch::Tensor& radii) {
  torch::NoGradGuard no_grad;
  const auto q = queries.to(torch::kCPU, torch::kFloat32).contiguous();
  const auto c = centres.to(torch::kCPU, torch::kFloat32).contiguous();
  // Inside ball j when |q|^2 + |c_j|^2 - 2 q.c_j <= r_j^2, i.e. min_j (|c_j|^2 - r_j^2 - 2 q.c_j) <= -|q|^2.
  const auto offset = squaredNorms(c) - radii.to(torch::kCPU, torch::kFloat32).pow(2);
  const auto query_norms = squaredNorms(q);
  int64_t inside = 0;
  for (int64_t start = 0; start < q.size(0); start += kQueryChunk) {
    const int64_t rows = std::min(kQueryChunk, q.size(0) - start);
    const auto nearest = std::get<0>(distancesLessQueryNorm(q.narrow(0, start, rows), c, offset).min(1));
    inside += (nearest <= -query_norms.narrow(0, start, rows)).sum().item<int64_t>();
  }
  return inside;
}

}  // namespace gan::eval
