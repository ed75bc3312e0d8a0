// Rank-aware console logging: rank 0 speaks for the job, other ranks prefix their lines.
#pragma once

#include <string>

#include "common/error.h"

namespace gan {

// Set once the communicator is up; until then every process logs as rank 0 of 1.
void setLogRank(int rank, int world_size);
int logRank();

// Job-level message, printed by rank 0 only.
void log0(const std::string& line);
// Message from this rank, printed by every rank with a "[rank N]" prefix when world > 1.
void logRankLine(const std::string& line);
// Warning from this rank (stderr), always prefixed with the rank when world > 1.
void logWarning(const std::string& line);

template <typename... Parts>
void log0f(const Parts&... parts) { log0(detail::concat(parts...)); }

}  // namespace gan
