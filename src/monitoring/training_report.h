// gan_report: one HTML file a person can open (OUT/report.html): loss and D-output curves as
// SVG, the sample grids over time, evaluation numbers, the effective config and throughput.
#pragma once

#include <string>

namespace gan::monitoring {

// Reads OUT/metrics.jsonl, OUT/samples/*.png and the newest checkpoint's state.json; writes
// OUT/report.html (atomically) and returns its path. Throws gan::Error when there are no metrics.
std::string writeTrainingReport(const std::string& output_dir);

// RFC 4648 base64 (for the images embedded in the report as data: URIs).
std::string base64Encode(const std::string& bytes);

}  // namespace gan::monitoring
