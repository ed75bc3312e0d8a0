#include "parallel/exact_reduction.h"

#include "comm/tensor_buffer.h"

namespace gan::parallel {

ExactReduction::ExactReduction(comm::Communicator& communicator, comm::WireFormat wire)
    : communicator_(communicator), wire_(wire) {}

std::shared_ptr<comm::Work> ExactReduction::reduceBucket(const torch::Tensor& slice, CommunicationStats& stats) {
  comm::AllreduceOptions options;
  options.op = comm::ReduceOp::Average;
  options.cuda_stream = comm::workStreamOf(slice);
  options.wire = wire_;
  auto work = communicator_.allreduceAsync(comm::bufferViewOf(slice), options);
  stats.bytes += slice.numel() * (wire_ == comm::WireFormat::Float32 ? slice.element_size()
                                                                     : int64_t(comm::wireBytesPerValue(wire_)));
  stats.collectives += wire_ == comm::WireFormat::Float16 ? 2 : 1;  // fp16 agrees on its scale first
  return work;
}

std::string ExactReduction::describe() const {
  if (wire_ == comm::WireFormat::Float32) return "";
  return std::string("travel in ") + comm::wireFormatName(wire_) + " (rounded: not bitwise world-size invariant)";
}

}  // namespace gan::parallel
