#include "comm/sixteen_bit_allreduce.h"

#include "comm/mpi_calls.h"
#include "comm/wire_format.h"

namespace gan::comm {
namespace {

// The reduction steps of a 16-bit allreduce: MPI applies them to each chunk it combines.
void sumBfloat16(void* in, void* inout, int* count, MPI_Datatype*) {
  addBfloat16(static_cast<const uint16_t*>(in), static_cast<uint16_t*>(inout), static_cast<size_t>(*count));
}
void sumHalf(void* in, void* inout, int* count, MPI_Datatype*) {
  addHalf(static_cast<const uint16_t*>(in), static_cast<uint16_t*>(inout), static_cast<size_t>(*count));
}

// Created once per process (after MPI_Init), used by every communicator; MPI frees them at finalize.
struct SixteenBitSums {
  MPI_Op bfloat16 = MPI_OP_NULL;
  MPI_Op half = MPI_OP_NULL;
};
const SixteenBitSums& sixteenBitSums() {
  static const SixteenBitSums sums = [] {
    SixteenBitSums created;
    MPI_CHECK(MPI_Op_create(&sumBfloat16, /*commute=*/1, &created.bfloat16));
    MPI_CHECK(MPI_Op_create(&sumHalf, /*commute=*/1, &created.half));
    return created;
  }();
  return sums;
}

}  // namespace

void createSixteenBitSums() { sixteenBitSums(); }

void allreduceIn16Bits(BufferView buffer, AllreduceOptions options, int world, std::vector<uint16_t>& wire) {
  auto* values = static_cast<float*>(buffer.data);
  const size_t count = buffer.count;
  wire.resize(count);
  if (options.wire == WireFormat::BFloat16) {
    encodeBfloat16(values, wire.data(), count);
    if (world > 1) {
      MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, wire.data(), static_cast<int>(count), MPI_UINT16_T,
                              sixteenBitSums().bfloat16, MPI_COMM_WORLD));
    }
    decodeBfloat16(wire.data(), values, count);
  } else {
    // Every rank must scale by the same power of two: agree on the largest magnitude first
    // (one float, latency only), then no partial sum can leave fp16's range.
    float largest = largestMagnitude(values, count);
    if (world > 1) MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &largest, 1, MPI_FLOAT, MPI_MAX, MPI_COMM_WORLD));
    const float scale = halfScaleFor(largest, world);
    encodeHalf(values, scale, wire.data(), count);
    if (world > 1) {
      MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, wire.data(), static_cast<int>(count), MPI_UINT16_T, sixteenBitSums().half,
                              MPI_COMM_WORLD));
    }
    decodeHalf(wire.data(), 1.0f / scale, values, count);
  }
  if (options.op == ReduceOp::Average) scaleToMean(buffer, world);
}

}  // namespace gan::comm
