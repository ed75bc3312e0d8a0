// A straggler window and its verdict in the forms the run keeps: OUT/stragglers.jsonl's line, the
// summary on the next metrics.jsonl line and its TensorBoard scalars, and gan_report's table.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "stragglers/straggler_verdict.h"

namespace gan::stragglers {

// OUT/stragglers.jsonl: one line per window, every rank's figures, the verdict and the median it
// was judged against (which the report, the table and the elastic launcher read rather than
// recompute). "step" is the window's last step (so a resumed run drops lines past its
// checkpoint, as metrics.jsonl).
nlohmann::json stragglerLine(const StragglerWindow& window, const StragglerVerdict& verdict, double threshold);
// The window's summary for the next metrics.jsonl line (median, max, slowest rank and node, the
// ranks named, the window's steps), and its TensorBoard scalars.
nlohmann::json stragglerSummary(const StragglerWindow& window, const StragglerVerdict& verdict);
std::vector<std::pair<std::string, double>> stragglerScalars(const StragglerVerdict& verdict);

// `gan_report --stragglers`: one row per window from stragglers.jsonl lines, then the last
// window's ranks, slowest first (at most `rank_rows` of them).
std::string stragglerTable(const std::vector<nlohmann::json>& lines, size_t rank_rows = 16);

}  // namespace gan::stragglers
