#include "report/report_page.h"

#include <algorithm>
#include <boost/archive/iterators/base64_from_binary.hpp>
#include <boost/archive/iterators/transform_width.hpp>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <vector>

#include "monitoring/step_metrics.h"

namespace gan::report {
namespace metric_keys = monitoring::metric_keys;
namespace {

struct Series {
  std::string name;
  std::string color;
  std::vector<std::pair<double, double>> points;
};

std::string escapeHtml(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string base64Encode(const std::string& bytes) {
  using namespace boost::archive::iterators;
  using Encoder = base64_from_binary<transform_width<std::string::const_iterator, 6, 8>>;
  std::string encoded(Encoder(bytes.begin()), Encoder(bytes.end()));
  encoded.append((3 - bytes.size() % 3) % 3, '=');
  return encoded;
}

namespace {

// A table value: 4 significant digits, whole numbers from 10,000 up.
std::string number(double value) {
  char text[32];
  if (std::abs(value) >= 1e4) {
    std::snprintf(text, sizeof text, "%.0f", value);
  } else {
    std::snprintf(text, sizeof text, value != 0 && std::abs(value) < 1e-2 ? "%.3g" : "%.4g", value);
  }
  return text;
}

// A line chart with axes, ticks at round values and a legend; x is the training step.
std::string svgLinePlot(const std::string& title, const std::vector<Series>& series) {
  constexpr double kWidth = 640, kHeight = 300, kLeft = 60, kRight = 20, kTop = 30, kBottom = 40;
  double x_min = 1e300, x_max = -1e300, y_min = 1e300, y_max = -1e300;
  for (const auto& s : series) {
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(y)) continue;
      x_min = std::min(x_min, x), x_max = std::max(x_max, x);
      y_min = std::min(y_min, y), y_max = std::max(y_max, y);
    }
  }
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << kWidth << "' height='" << kHeight
      << "' class='plot'><text x='" << kWidth / 2 << "' y='18' text-anchor='middle' font-weight='bold'>"
      << escapeHtml(title) << "</text>";
  if (x_min > x_max) return svg.str() + "<text x='20' y='60'>no data</text></svg>";
  if (x_max == x_min) x_max = x_min + 1;
  if (y_max == y_min) y_max = y_min + 1;
  // The axes run from tick to tick, so every label is a round number.
  const AxisTicks x_ticks = roundTicks(x_min, x_max), y_ticks = roundTicks(y_min, y_max);
  x_min = x_ticks.values.front(), x_max = x_ticks.values.back();
  y_min = y_ticks.values.front(), y_max = y_ticks.values.back();
  auto px = [&](double x) { return kLeft + (x - x_min) / (x_max - x_min) * (kWidth - kLeft - kRight); };
  auto py = [&](double y) { return kHeight - kBottom - (y - y_min) / (y_max - y_min) * (kHeight - kTop - kBottom); };
  svg << "<line x1='" << kLeft << "' y1='" << kHeight - kBottom << "' x2='" << kWidth - kRight << "' y2='"
      << kHeight - kBottom << "' stroke='#333'/><line x1='" << kLeft << "' y1='" << kTop << "' x2='" << kLeft
      << "' y2='" << kHeight - kBottom << "' stroke='#333'/>";
  for (const double x : x_ticks.values) {
    svg << "<text x='" << px(x) << "' y='" << kHeight - kBottom + 16 << "' text-anchor='middle' font-size='11'>"
        << tickLabel(x, x_ticks.step) << "</text>";
  }
  for (const double y : y_ticks.values) {
    svg << "<text x='" << kLeft - 6 << "' y='" << py(y) + 4 << "' text-anchor='end' font-size='11'>"
        << tickLabel(y, y_ticks.step) << "</text><line x1='" << kLeft << "' y1='" << py(y) << "' x2='"
        << kWidth - kRight << "' y2='" << py(y) << "' stroke='#eee'/>";
  }
  svg << "<text x='" << kWidth / 2 << "' y='" << kHeight - 6 << "' text-anchor='middle' font-size='12'>step</text>";
  for (size_t i = 0; i < series.size(); ++i) {
    svg << "<polyline fill='none' stroke-width='1.5' stroke='" << series[i].color << "' points='";
    for (const auto& [x, y] : series[i].points) {
      if (std::isfinite(y)) svg << px(x) << "," << py(y) << " ";
    }
    svg << "'/><rect x='" << kLeft + 10 + 120 * i << "' y='" << kTop - 4 << "' width='12' height='3' fill='"
        << series[i].color << "'/><text x='" << kLeft + 26 + 120 * i << "' y='" << kTop << "' font-size='12'>"
        << escapeHtml(series[i].name) << "</text>";
  }
  return svg.str() + "</svg>";
}

Series seriesOf(const std::vector<nlohmann::json>& metrics, const std::string& key, const std::string& name,
                const std::string& color) {
  Series series{name, color, {}};
  for (const auto& record : metrics) {
    if (record.contains(key) && record[key].is_number()) {
      series.points.emplace_back(record[metric_keys::kStep].get<double>(), record[key].get<double>());
    }
  }
  return series;
}

// Bars of each rank's compute per step in one window, the stragglers in red, the median dashed.
std::string svgRankBars(const std::string& title, const std::vector<double>& compute_ms, double median,
                        const std::vector<int>& slow) {
  constexpr double kWidth = 640, kHeight = 260, kLeft = 60, kRight = 20, kTop = 30, kBottom = 40;
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << kWidth << "' height='" << kHeight
      << "' class='plot'><text x='" << kWidth / 2 << "' y='18' text-anchor='middle' font-weight='bold'>"
      << escapeHtml(title) << "</text>";
  if (compute_ms.empty()) return svg.str() + "<text x='20' y='60'>no data</text></svg>";
  const AxisTicks ticks = roundTicks(0, *std::max_element(compute_ms.begin(), compute_ms.end()));
  const double y_max = ticks.values.back();
  auto py = [&](double y) { return kHeight - kBottom - y / y_max * (kHeight - kTop - kBottom); };
  const double slot = (kWidth - kLeft - kRight) / double(compute_ms.size());
  for (const double y : ticks.values) {
    svg << "<text x='" << kLeft - 6 << "' y='" << py(y) + 4 << "' text-anchor='end' font-size='11'>"
        << tickLabel(y, ticks.step) << "</text><line x1='" << kLeft << "' y1='" << py(y) << "' x2='"
        << kWidth - kRight << "' y2='" << py(y) << "' stroke='#eee'/>";
  }
  for (size_t r = 0; r < compute_ms.size(); ++r) {
    const bool is_slow = std::find(slow.begin(), slow.end(), int(r)) != slow.end();
    svg << "<rect x='" << kLeft + slot * (double(r) + 0.1) << "' y='" << py(compute_ms[r]) << "' width='"
        << slot * 0.8 << "' height='" << py(0) - py(compute_ms[r]) << "' fill='" << (is_slow ? "#d62728" : "#1f77b4")
        << "'><title>rank " << r << ": " << number(compute_ms[r]) << " ms/step</title></rect>";
    if (compute_ms.size() <= 32) {
      svg << "<text x='" << kLeft + slot * (double(r) + 0.5) << "' y='" << kHeight - kBottom + 14
          << "' text-anchor='middle' font-size='10'>" << r << "</text>";
    }
  }
  svg << "<line x1='" << kLeft << "' y1='" << py(median) << "' x2='" << kWidth - kRight << "' y2='" << py(median)
      << "' stroke='#333' stroke-dasharray='4,3'/><text x='" << kWidth / 2 << "' y='" << kHeight - 6
      << "' text-anchor='middle' font-size='12'>rank (dashed: the median; red: stragglers)</text>";
  return svg.str() + "</svg>";
}

// The stragglers section: the last window's ranks, the slowest rank over time, the verdicts.
std::string stragglerSection(const std::vector<nlohmann::json>& windows) {
  std::ostringstream html;
  html << "<h2>Stragglers</h2>";
  if (windows.empty()) {
    html << "<p>Per-rank timing was off in this run (--monitor.straggler_every=0).</p>";
    return html.str();
  }
  const auto& last = windows.back();
  html << "<div>"
       << svgRankBars("Compute per rank, ms/step (steps " + std::to_string(last.value("first_step", int64_t(0))) + "-" +
                          std::to_string(last.value("step", int64_t(0))) + ")",
                      last.value("compute_ms", std::vector<double>()), last.value("median_compute_ms", 0.0),
                      last.value("stragglers", std::vector<int>()));
  Series ratio{"slowest / median", "#d62728", {}}, slowest{"slowest rank", "#7f7f7f", {}};
  for (const auto& window : windows) {
    const auto compute = window.value("compute_ms", std::vector<double>());
    if (compute.empty()) continue;
    const double median = window.value("median_compute_ms", 0.0);
    const auto top = std::max_element(compute.begin(), compute.end());
    const double step = window.value("step", 0.0);
    if (median > 0) ratio.points.emplace_back(step, *top / median);
    slowest.points.emplace_back(step, double(top - compute.begin()));
  }
  html << svgLinePlot("Slowest rank's compute / the median's", {ratio})
       << svgLinePlot("Which rank was slowest", {slowest}) << "</div>";
  std::vector<const nlohmann::json*> judged;
  for (const auto& window : windows) {
    if (!window.value("verdict", std::string()).empty()) judged.push_back(&window);
  }
  if (judged.empty()) {
    html << "<p>No rank was slower than the threshold in any window.</p>";
    return html.str();
  }
  html << "<table><tr><th>steps</th><th>verdict</th></tr>";
  const size_t shown = std::min<size_t>(judged.size(), 20);
  for (size_t i = judged.size() - shown; i < judged.size(); ++i) {
    const auto& window = *judged[i];
    html << "<tr><td>" << window.value("first_step", int64_t(0)) << "-" << window.value("step", int64_t(0))
         << "</td><td>" << escapeHtml(window.value("verdict", std::string())) << "</td></tr>";
  }
  html << "</table>";
  if (judged.size() > shown) html << "<p>(" << judged.size() - shown << " earlier windows with a verdict)</p>";
  return html.str();
}

}  // namespace

AxisTicks roundTicks(double low, double high, int about) {
  if (!(high > low)) high = low + 1;
  const double raw = (high - low) / std::max(1, about - 1);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * power;
  for (const double mantissa : {1.0, 2.0, 2.5, 5.0}) {
    if (mantissa * power >= raw) {
      step = mantissa * power;
      break;
    }
  }
  AxisTicks ticks{step, {}};
  const double first = std::floor(low / step + 1e-9), last = std::ceil(high / step - 1e-9);
  for (double k = first; k <= last; ++k) ticks.values.push_back(k * step == 0 ? 0.0 : k * step);
  return ticks;
}

std::string tickLabel(double value, double step) {
  // Decimals the step needs: 0.25 -> 2, 0.5 -> 1, 20 -> 0.
  int decimals = 0;
  while (decimals < 12 && std::abs(step * std::pow(10.0, decimals) - std::round(step * std::pow(10.0, decimals))) >
                              1e-6 * step * std::pow(10.0, decimals)) {
    ++decimals;
  }
  char text[48];
  std::snprintf(text, sizeof text, "%.*f", decimals, std::abs(value) < 1e-12 * step ? 0.0 : value);
  return text;
}

std::vector<size_t> spreadEvenly(size_t total, size_t count) {
  const size_t shown = std::min(total, count);
  std::vector<size_t> indices;
  for (size_t i = 0; i < shown; ++i) indices.push_back(shown == 1 ? 0 : i * (total - 1) / (shown - 1));
  return indices;
}

std::string renderTrainingReport(const ReportInputs& inputs) {
  using namespace metric_keys;
  const auto& metrics = inputs.metrics;
  std::ostringstream html;
  html << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>gan_dist report: " << escapeHtml(inputs.run_directory)
       << "</title><style>body{font-family:sans-serif;margin:2em;max-width:1400px}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
          ".plot{margin:8px;border:1px solid #ddd}.grid img{margin:4px;image-rendering:pixelated}"
          ".grid figure{display:inline-block;margin:4px}</style></head><body>";
  html << "<h1>gan_dist training report</h1><p>" << escapeHtml(inputs.run_directory_absolute) << ": "
       << metrics.size() << " metric lines, steps " << metrics.front()[kStep] << " to " << metrics.back()[kStep]
       << "</p>";

  html << "<h2>Curves</h2><div>";
  html << svgLinePlot("Losses", {seriesOf(metrics, kLossD, "loss_d", "#d62728"),
                                 seriesOf(metrics, kLossG, "loss_g", "#1f77b4")});
  html << svgLinePlot("Discriminator outputs", {seriesOf(metrics, kDReal, "D(x)", "#2ca02c"),
                                                seriesOf(metrics, kDFake, "D(G(z))", "#9467bd")});
  html << svgLinePlot("Throughput (samples/s, all ranks)", {seriesOf(metrics, kSamplesPerS, "samples/s", "#ff7f0e")});
  if (std::any_of(metrics.begin(), metrics.end(), [](const nlohmann::json& line) { return line.contains(kAdaP); })) {
    html << svgLinePlot("Adaptive augmentation", {seriesOf(metrics, kAdaP, "p", "#17becf"),
                                                  seriesOf(metrics, kAdaRt, "r_t", "#7f7f7f")});
  }
  if (std::any_of(metrics.begin(), metrics.end(), [](const nlohmann::json& line) { return line.contains(kModeSeekingRatio); })) {
    html << svgLinePlot("Mode seeking: image / noise distance of paired rows",
                        {seriesOf(metrics, kModeSeekingRatio, "ratio", "#8c564b")});
  }
  html << "</div>";

  // Evaluation results, when the run computed any (keys eval_*).
  std::map<std::string, Series> evaluations;
  for (const auto& record : metrics) {
    for (const auto& [key, value] : record.items()) {
      if (key.rfind(kEvaluationPrefix, 0) == 0 && value.is_number()) {
        evaluations[key].name = key;
        evaluations[key].color = "#8c564b";
        evaluations[key].points.emplace_back(record[kStep].get<double>(), value.get<double>());
      }
    }
  }
  html << "<h2>Evaluation</h2>";
  if (evaluations.empty()) {
    html << "<p>No evaluation results in this run.</p>";
  } else {
    html << "<table><tr><th>metric</th><th>step</th><th>value</th></tr>";
    for (auto& [key, series] : evaluations) {
      html << "<tr><td>" << escapeHtml(key) << "</td><td>" << series.points.back().first << "</td><td>"
           << number(series.points.back().second) << "</td></tr>";
    }
    html << "</table><div>";
    // Curves of the measurements that change (references such as eval_fd_real_floor do not).
    for (auto& [key, series] : evaluations) {
      const double first = series.points.front().second;
      const bool varies = std::any_of(series.points.begin(), series.points.end(),
                                      [first](const auto& p) { return p.second != first; });
      if (series.points.size() > 1 && varies) html << svgLinePlot(key, {series});
    }
    html << "</div>";
  }

  // Sample grids over time (recording picked at most a dozen, spread over the run).
  html << "<h2>Samples (fixed noise)</h2><div class='grid'>";
  for (const auto& grid : inputs.sample_grids) {
    const std::string stem = grid.name.substr(0, grid.name.rfind('.'));
    html << "<figure><img width='242' alt='" << escapeHtml(grid.name) << "' src='data:image/png;base64,"
         << base64Encode(grid.png) << "'><figcaption>" << escapeHtml(stem) << "</figcaption></figure>";
  }
  if (inputs.sample_grids.empty()) html << "<p>No sample grids.</p>";
  html << "</div>";

  // Throughput table from the metric lines.
  std::vector<double> rates;
  double checkpoint_s = 0, checkpoint_write_s = 0;
  for (const auto& record : metrics) {
    if (record.contains(kSamplesPerS)) rates.push_back(record[kSamplesPerS].get<double>());
    if (record.contains(kCheckpointS)) checkpoint_s = std::max(checkpoint_s, record[kCheckpointS].get<double>());
    if (record.contains(kCheckpointWriteS)) {
      checkpoint_write_s = std::max(checkpoint_write_s, record[kCheckpointWriteS].get<double>());
    }
  }
  std::sort(rates.begin(), rates.end());
  html << "<h2>Throughput</h2><table>";
  if (!rates.empty()) {
    double mean = 0;
    for (double r : rates) mean += r / double(rates.size());
    html << "<tr><th>samples/s (all ranks), mean</th><td>" << number(mean) << "</td></tr>"
         << "<tr><th>median</th><td>" << number(rates[rates.size() / 2]) << "</td></tr>"
         << "<tr><th>min / max</th><td>" << number(rates.front()) << " / " << number(rates.back()) << "</td></tr>";
  }
  // The last training line (evaluation lines carry only step and eval_* values).
  nlohmann::json last = metrics.back();
  for (const auto& record : metrics) {
    if (record.contains(kWallTimeS)) last = record;
  }
  if (last.contains(kWallTimeS)) html << "<tr><th>wall time</th><td>" << number(last[kWallTimeS].get<double>()) << " s</td></tr>";
  if (last.contains(kSkippedUpdates)) html << "<tr><th>skipped updates</th><td>" << last[kSkippedUpdates] << "</td></tr>";
  html << "<tr><th>longest training pause for a checkpoint (as logged)</th><td>" << number(checkpoint_s) << " s</td></tr>"
       << "<tr><th>slowest checkpoint write, in the background (as logged)</th><td>" << number(checkpoint_write_s)
       << " s</td></tr></table>";

  html << stragglerSection(inputs.stragglers);

  html << "<h2>Configuration</h2>";
  if (const auto& recorded = inputs.configuration) {
    html << "<p>From the newest checkpoint (step " << recorded->step << ", " << recorded->world_size
         << " ranks, global batch " << recorded->global_batch << ").</p><table>";
    for (const auto& [key, value] : recorded->options) {
      html << "<tr><th>" << escapeHtml(key) << "</th><td>" << escapeHtml(value) << "</td></tr>";
    }
    html << "</table>";
  } else {
    html << "<p>No checkpoint with a recorded configuration.</p>";
  }
  html << "</body></html>\n";
  return html.str();
}

}  // namespace gan::report
