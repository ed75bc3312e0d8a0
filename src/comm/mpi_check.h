// MPI_CHECK: every MPI call goes through it so a failure names the call, file, line and rank.
#pragma once

#include <mpi.h>

#include <string>

#include "common/error.h"

namespace gan::comm::detail {
[[noreturn]] void throwMpiError(int code, const char* call, const char* file, int line);
}

#define MPI_CHECK(call)                                                          \
  do {                                                                           \
    const int mpi_check_rc_ = (call);                                            \
    if (mpi_check_rc_ != MPI_SUCCESS)                                            \
      ::gan::comm::detail::throwMpiError(mpi_check_rc_, #call, __FILE__, __LINE__); \
  } while (0)
