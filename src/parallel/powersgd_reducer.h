// PowerSgdReducer: averages one network's gradients across ranks in a few thin matrices, after
// PowerSGD (Vogels, Karimireddy and Jaggi, NeurIPS 2019).
//
// Each weight matrix M (n x m; a convolution kernel flattened to out x in*k*k) travels as two
// factors of rank r: P = M Q (n x r) is averaged across ranks and orthonormalised, Q = M^T P
// (m x r) is averaged, and the step uses P Q^T, the projection of the mean gradient onto P's
// columns: r(n + m) values on the wire instead of n m. What the approximation left out stays
// on this rank as error feedback and is added to the next step's gradient, so over time nothing
// is lost. Q is kept from step to step (a warm start: one power iteration per step tracks the
// dominant subspace). Vectors, and matrices too small to gain, travel exactly in one allreduce.
//
// Not exact and not world-size invariant: the approximation depends on how the gradient is split
// across ranks. Error feedback is per-rank state; Q is replicated (equal on every rank).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "parallel/flat_parameters.h"

namespace gan::parallel {

class PowerSgdReducer {
 public:
  // `rank` is r; Q starts as normal noise drawn from `seed` (the same on every rank).
  PowerSgdReducer(const std::string& network, FlatParameters& parameters, int64_t rank, uint64_t seed);

  // After backward: replaces parameters.grads() by the compressed estimate of its mean across
  // ranks (and moves what it left out into error()). Blocking; all ranks call it together.
  // When the result is not finite (a NaN or Inf on any rank reaches every rank through the
  // averages) the trainer skips the update, and Q and the error feedback are left as they were
  // before the call: one bad step must not poison every later one.
  void averageGradients(comm::Communicator& communicator);

  // Q of every compressed matrix, one block after the other: replicated state (checkpointed).
  torch::Tensor& warmStart() { return q_; }
  // This rank's error feedback, one block per compressed matrix: per-rank state (checkpointed).
  torch::Tensor& error() { return error_; }

  int64_t compressedMatrices() const { return static_cast<int64_t>(matrices_.size()); }
  int64_t compressedValues() const { return error_.numel(); }  // gradient values the factors stand for
  int64_t exactValues() const { return exact_index_.numel(); }
  // Values one step sends per rank: both factors and the exact part.
  int64_t wireValues() const { return p_.numel() + q_.numel() + exact_index_.numel(); }
  // "G: 3 matrices (289,536 values) as rank-4 factors (6,784), 1,040 values exact".
  std::string describe() const;

 private:
  struct Matrix {
    int64_t offset = 0;  // in the flat gradient
    int64_t rows = 0, cols = 0;
    int64_t p_offset = 0, q_offset = 0, error_offset = 0;
  };
  torch::Tensor gradientOf(const Matrix& matrix);
  torch::Tensor pOf(const Matrix& matrix) { return p_.narrow(0, matrix.p_offset, matrix.rows * rank_).view({matrix.rows, rank_}); }
  torch::Tensor qOf(const Matrix& matrix) { return q_.narrow(0, matrix.q_offset, matrix.cols * rank_).view({matrix.cols, rank_}); }
  torch::Tensor errorOf(const Matrix& matrix) {
    return error_.narrow(0, matrix.error_offset, matrix.rows * matrix.cols).view({matrix.rows, matrix.cols});
  }

  std::string network_;
  FlatParameters& parameters_;
  int64_t rank_;
  std::vector<Matrix> matrices_;
  torch::Tensor p_, q_, error_;
  torch::Tensor q_before_, error_before_;  // restored after a non-finite step
  torch::Tensor exact_index_;  // flat positions of the values that travel exactly
  torch::Tensor exact_;        // their staging buffer
};

// Makes the columns of `p` (n x r) orthonormal in place, in order (Gram-Schmidt, each column
// projected off the earlier ones twice for float32 accuracy). A column with nothing left becomes zero.
void orthonormalizeColumns(torch::Tensor p);

}  // namespace gan::parallel
