#include "comm/mpi_calls.h"

#include <cstdint>

namespace gan::comm {

namespace detail {
void throwMpiError(int code, const char* call, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING] = {0};
  int length = 0;
  MPI_Error_string(code, text, &length);
  int rank = -1, initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  GAN_FAIL("MPI error on rank ", rank, " in ", call, " (", file, ":", line, "): ", text);
}
}  // namespace detail

MPI_Datatype mpiType(ScalarType type) {
  switch (type) {
    case ScalarType::Float32: return MPI_FLOAT;
    case ScalarType::Float64: return MPI_DOUBLE;
    case ScalarType::Int64: return MPI_INT64_T;
    case ScalarType::UInt8: return MPI_UINT8_T;
  }
  GAN_FAIL("unknown scalar type");
}

MPI_Op mpiOp(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Average: return MPI_SUM;
    case ReduceOp::Max: return MPI_MAX;
    case ReduceOp::Min: return MPI_MIN;
  }
  GAN_FAIL("unknown reduce op");
}

// x * (1/n) rather than x / n: a vector division costs several times a multiplication, and
// for power-of-two world sizes the two are bitwise equal.
void scaleToMean(const BufferView& buffer, int world) {
  switch (buffer.type) {
    case ScalarType::Float32: {
      auto* values = static_cast<float*>(buffer.data);
      const float scale = 1.0f / float(world);
      for (size_t i = 0; i < buffer.count; ++i) values[i] *= scale;
      return;
    }
    case ScalarType::Float64: {
      auto* values = static_cast<double*>(buffer.data);
      const double scale = 1.0 / double(world);
      for (size_t i = 0; i < buffer.count; ++i) values[i] *= scale;
      return;
    }
    default: GAN_FAIL("ReduceOp::Average needs a floating-point buffer");
  }
}

int checkedCount(const BufferView& buffer) {
  GAN_CHECK(buffer.space == MemorySpace::Host,
            "the mpi backend reduces host memory only; use --comm.backend=nccl for GPU tensors");
  GAN_CHECK(buffer.count <= static_cast<size_t>(INT32_MAX), "MPI collective of ", buffer.count,
            " elements exceeds the int count limit");
  return static_cast<int>(buffer.count);
}

}  // namespace gan::comm
