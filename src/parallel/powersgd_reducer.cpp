#include "parallel/powersgd_reducer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <sstream>

#include "comm/tensor_buffer.h"
#include "common/error.h"
#include "common/splitmix.h"

namespace gan::parallel {

namespace {

std::string withThousands(int64_t value) {
  std::string digits = std::to_string(value);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<size_t>(i), ",");
  return digits;
}

}  // namespace

void orthonormalizeColumns(torch::Tensor p) {
  torch::NoGradGuard no_grad;
  // Rows of the transpose are P's columns: contiguous, so each operation is one plain kernel.
  auto columns = p.t().contiguous();
  for (int64_t i = 0; i < columns.size(0); ++i) {
    auto column = columns[i];
    for (int pass = 0; pass < 2; ++pass) {
      for (int64_t j = 0; j < i; ++j) column.sub_(columns[j] * columns[j].dot(column));
    }
    const double norm = column.norm().item<double>();
    // Below this the column is rounding noise of the earlier ones: a direction made of it would
    // be arbitrary, so it is dropped (the rank used for this matrix is then lower).
    if (norm > 1e-20) {
      column.div_(norm);
    } else {
      column.zero_();
    }
  }
  p.copy_(columns.t());
}

PowerSgdReducer::PowerSgdReducer(const std::string& network, FlatParameters& parameters, int64_t rank, uint64_t seed)
    : network_(network), parameters_(parameters), rank_(rank) {
  GAN_CHECK(rank >= 1, "--comm.powersgd_rank must be at least 1, got ", rank);
  std::vector<int64_t> exact_positions;
  int64_t p_total = 0, q_total = 0, error_total = 0;
  for (const auto& slot : parameters.slots()) {
    const auto sizes = slot.parameter.sizes();
    const int64_t rows = sizes.size() >= 2 ? sizes[0] : 0;
    const int64_t cols = rows > 0 ? slot.numel / rows : 0;
    // Compressed only when the factors are smaller than the matrix.
    if (rows > 0 && rank * (rows + cols) < rows * cols) {
      matrices_.push_back({slot.offset, rows, cols, p_total, q_total, error_total});
      p_total += rows * rank;
      q_total += cols * rank;
      error_total += rows * cols;
    } else {
      for (int64_t i = 0; i < slot.numel; ++i) exact_positions.push_back(slot.offset + i);
    }
  }
  const auto options = parameters.grads().options();
  p_ = torch::zeros({p_total}, options);
  error_ = torch::zeros({error_total}, options);
  // The same Q on every rank without a broadcast: drawn from the job's seed and the network.
  auto generator = at::detail::createCPUGenerator(splitmix64(seed ^ splitmix64(std::hash<std::string>{}(network))));
  q_ = torch::randn({q_total}, generator, options.device(torch::kCPU)).to(options.device());
  exact_index_ = torch::tensor(exact_positions, torch::TensorOptions().dtype(torch::kInt64)).to(options.device());
  exact_ = torch::zeros({static_cast<int64_t>(exact_positions.size())}, options);
  q_before_ = torch::empty_like(q_);
  error_before_ = torch::empty_like(error_);
}

torch::Tensor PowerSgdReducer::gradientOf(const Matrix& matrix) {
  return parameters_.grads().narrow(0, matrix.offset, matrix.rows * matrix.cols).view({matrix.rows, matrix.cols});
}

void PowerSgdReducer::averageGradients(comm::Communicator& communicator) {
  torch::NoGradGuard no_grad;
  auto& grads = parameters_.grads();
  const comm::AllreduceOptions average{comm::ReduceOp::Average, comm::workStreamOf(grads)};
  // The exact part travels while the factors are computed.
  std::shared_ptr<comm::Work> exact_work;
  if (exact_.numel() > 0) {
    torch::index_select_out(exact_, grads, 0, exact_index_);
    exact_work = communicator.allreduceAsync(comm::bufferViewOf(exact_), average);
  }
  if (!matrices_.empty()) {
    q_before_.copy_(q_);
    error_before_.copy_(error_);
    // M = this step's gradient + what earlier approximations left out; P = M Q.
    for (const auto& matrix : matrices_) {
      auto gradient = gradientOf(matrix);
      gradient.add_(errorOf(matrix));
      auto p = pOf(matrix);
      torch::mm_out(p, gradient, qOf(matrix));
    }
    communicator.allreduce(comm::bufferViewOf(p_), average);
    // Every rank holds the same averaged P, so the same orthonormal basis and then the same Q.
    for (const auto& matrix : matrices_) {
      auto p = pOf(matrix);
      orthonormalizeColumns(p);
      auto q = qOf(matrix);
      torch::mm_out(q, gradientOf(matrix).t(), p);
    }
    communicator.allreduce(comm::bufferViewOf(q_), average);
    // The step uses P Q^T = P P^T mean(M); this rank keeps M - P Q^T for the next step.
    for (const auto& matrix : matrices_) {
      auto gradient = gradientOf(matrix);
      auto error = errorOf(matrix);
      error.copy_(gradient);
      torch::mm_out(gradient, pOf(matrix), qOf(matrix).t());
      error.sub_(gradient);
    }
    // NaN and Inf survive a sum: one reduction tells whether the approximation is usable.
    if (!std::isfinite(p_.sum().item<double>() + q_.sum().item<double>())) {
      q_.copy_(q_before_);
      error_.copy_(error_before_);
    }
  }
  if (exact_work) {
    exact_work->wait();
    grads.index_copy_(0, exact_index_, exact_);
  }
}

std::string PowerSgdReducer::describe() const {
  std::ostringstream text;
  text << network_ << ": " << matrices_.size() << " matrices (" << withThousands(error_.numel()) << " values) as rank-"
       << rank_ << " factors (" << withThousands(p_.numel() + q_.numel()) << "), " << withThousands(exact_index_.numel())
       << " values exact";
  return text.str();
}

}  // namespace gan::parallel
