// A float32 sum or average that travels in 16 bits (bf16, or fp16 with a scale every rank agrees
// on) through MPI_Allreduce with our own reduction operations. Runs where the backend runs its
// collectives (a blocking call).
#pragma once

#include <cstdint>
#include <vector>

#include "comm/communicator.h"

namespace gan::comm {

// Creates the two MPI reduction operations (once per process, after MPI_Init; MPI frees them
// at finalize). The backend calls it at start-up, before any collective.
void createSixteenBitSums();

// `buffer` (float32) replaced by its sum or average across the `world` ranks of MPI_COMM_WORLD,
// sent as options.wire; `wire` is the caller's scratch for the 16-bit copy.
void allreduceIn16Bits(BufferView buffer, AllreduceOptions options, int world, std::vector<uint16_t>& wire);

}  // namespace gan::comm
