// The training report (OUT/report.html) as one HTML page a person can open: loss and D-output
// curves as SVG, the sample grids over time, evaluation numbers, throughput and the effective
// config. This renders what recording collected (recording/run_report.h); it reads no
// files itself.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gan::report {

struct ReportInputs {
  std::string run_directory;             // as the user named it (the page title)
  std::string run_directory_absolute;    // the same, absolute (the heading)
  std::vector<nlohmann::json> metrics;   // the lines of metrics.jsonl, in order; not empty
  struct SampleGrid {
    std::string name;  // file name, e.g. step_00000500.png
    std::string png;   // its bytes
  };
  std::vector<SampleGrid> sample_grids;  // oldest first
  struct RecordedConfig {
    int64_t step = 0;
    int world_size = 1;
    int64_t global_batch = 0;
    std::vector<std::pair<std::string, std::string>> options;  // (name, value), in recorded order
  };
  std::optional<RecordedConfig> configuration;  // from the newest checkpoint, when there is one
  // The lines of stragglers.jsonl (per-rank step timings per window), in order; empty when the
  // run did not monitor them.
  std::vector<nlohmann::json> stragglers;
};

// At most `count` of `total` items spread evenly over them, first and last included: indices.
std::vector<size_t> spreadEvenly(size_t total, size_t count);

// Axis ticks at round values covering [low, high]: a step of 1, 2, 2.5 or 5 times a power of ten
// giving about `about` ticks, from the largest multiple of it <= low to the smallest >= high.
struct AxisTicks {
  double step = 1;
  std::vector<double> values;
};
AxisTicks roundTicks(double low, double high, int about = 5);
// A tick's label with as many decimals as the step needs ("0.25", "1000", "0.002").
std::string tickLabel(double value, double step);

// The page's HTML.
std::string renderTrainingReport(const ReportInputs& inputs);

// RFC 4648 base64 (for the images embedded in the report as data: URIs).
std::string base64Encode(const std::string& bytes);

}  // namespace gan::report
