// Writes OUT/report.html: gathers what the run left in its directory (metric lines, sample
// grids, the newest checkpoint's recorded configuration) and has monitoring render it.
#pragma once

#include <string>

#include "common/run_directory.h"

namespace gan::report {

// Writes the report atomically and returns its path. Throws gan::Error when the run has no
// metric lines to report.
std::string writeRunReport(const RunDirectory& run);

}  // namespace gan::report
