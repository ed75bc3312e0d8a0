// The MPI side of the backend's types and checks: our scalar types and reduce operations as MPI's,
// a buffer's element count as MPI's int, the mean taken after a sum. Included by the MPI
// backend's files only (mpi.h stays inside comm/).
#pragma once

#include "comm/communicator.h"
#include "comm/mpi_check.h"

namespace gan::comm {

MPI_Datatype mpiType(ScalarType type);
// Average travels as MPI_SUM; scaleToMean finishes it.
MPI_Op mpiOp(ReduceOp op);
// The buffer's element count as MPI takes it; refuses device memory and counts beyond int.
int checkedCount(const BufferView& buffer);
// Divides a floating-point buffer by the world size, in place.
void scaleToMean(const BufferView& buffer, int world);

}  // namespace gan::comm
