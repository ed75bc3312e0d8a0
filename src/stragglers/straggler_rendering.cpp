#include "stragglers/straggler_rendering.h"

#include <algorithm>
#include <cstdio>

#include "common/error.h"
#include "monitoring/step_metrics.h"

namespace gan::stragglers {

nlohmann::json stragglerLine(const StragglerWindow& window, const StragglerVerdict& verdict, double threshold) {
  std::vector<double> compute, wait;
  for (const auto& timing : window.ranks) {
    compute.push_back(timing.compute_ms);
    wait.push_back(timing.wait_ms);
  }
  nlohmann::json line = {{"step", window.last_step},
          {"first_step", window.first_step},
          {"compute_ms", compute},
          {"wait_ms", wait},
          {"median_compute_ms", verdict.median_compute_ms},
          {"nodes", window.hosts},
          {"threshold", threshold},
          {"stragglers", verdict.slowRanks()},
          {"slow_nodes", verdict.slowNodes()},
          {"slow_link_node", verdict.slow_link_host.value_or("")},
          {"verdict", verdict.line}};
  if (!window.launch_id.empty()) line["launch"] = window.launch_id;
  return line;
}

nlohmann::json stragglerSummary(const StragglerWindow& window, const StragglerVerdict& verdict) {
  using namespace monitoring::metric_keys;
  return {{kStragglerSteps, stepSpan(window.first_step, window.last_step)},
          {kStragglerComputeMedianMs, verdict.median_compute_ms},
          {kStragglerComputeMaxMs, verdict.max_compute_ms},
          {kStragglerSlowestRank, verdict.slowest_rank},
          {kStragglerSlowestNode, hostOf(window, static_cast<size_t>(verdict.slowest_rank))},
          {kStragglerRanks, verdict.slowRanks()},
          {kStragglerJobWaitFraction, verdict.job_wait_fraction}};
}

std::vector<std::pair<std::string, double>> stragglerScalars(const StragglerVerdict& verdict) {
  return {{"stragglers/compute_median_ms", verdict.median_compute_ms},
          {"stragglers/compute_max_ms", verdict.max_compute_ms},
          {"stragglers/slowest_rank", double(verdict.slowest_rank)},
          {"stragglers/job_wait_fraction", verdict.job_wait_fraction}};
}

std::string stragglerTable(const std::vector<nlohmann::json>& lines, size_t rank_rows) {
  std::string out = "steps            median ms  max ms  ratio  slowest rank (node)      verdict\n";
  char row[512];
  for (const auto& line : lines) {
    const auto compute = line.at("compute_ms").get<std::vector<double>>();
    const auto nodes = line.value("nodes", std::vector<std::string>());
    if (compute.empty()) continue;
    const double median_ms = line.at("median_compute_ms").get<double>();
    const auto slowest = size_t(std::max_element(compute.begin(), compute.end()) - compute.begin());
    const std::string steps = stepSpan(line.value("first_step", int64_t(0)), line.at("step").get<int64_t>());
    const std::string who = rankWithHost(int(slowest), slowest < nodes.size() ? nodes[slowest] : std::string());
    std::string verdict = "-";
    const auto slow = line.value("stragglers", std::vector<int>());
    if (!slow.empty()) {
      verdict = "straggler rank";
      verdict += slow.size() > 1 ? "s " : " ";
      for (size_t i = 0; i < slow.size(); ++i) verdict += (i ? "," : "") + std::to_string(slow[i]);
    } else if (const auto link = line.value("slow_link_node", std::string()); !link.empty()) {
      verdict = "slow link? " + link;
    }
    std::snprintf(row, sizeof row, "%-16s %9.2f %7.2f %6.2f  %-24s %s\n", steps.c_str(), median_ms, compute[slowest],
                  median_ms > 0 ? compute[slowest] / median_ms : 0.0, who.c_str(), verdict.c_str());
    out += row;
  }
  if (lines.empty()) return out;
  const auto& last = lines.back();
  const auto compute = last.at("compute_ms").get<std::vector<double>>();
  const auto wait = last.at("wait_ms").get<std::vector<double>>();
  const auto nodes = last.value("nodes", std::vector<std::string>());
  const double median_ms = last.at("median_compute_ms").get<double>();
  std::vector<size_t> order(compute.size());
  for (size_t r = 0; r < order.size(); ++r) order[r] = r;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return compute[a] > compute[b]; });
  out += "\nlast window (steps " + stepSpan(last.value("first_step", int64_t(0)), last.at("step").get<int64_t>()) +
         "), slowest first:\n";
  out += "rank  node                 compute ms  x median  wait ms\n";
  for (size_t i = 0; i < std::min(rank_rows, order.size()); ++i) {
    const size_t r = order[i];
    std::snprintf(row, sizeof row, "%4zu  %-20s %10.2f %9.2f %8.2f\n", r, r < nodes.size() ? nodes[r].c_str() : "",
                  compute[r], median_ms > 0 ? compute[r] / median_ms : 0.0, r < wait.size() ? wait[r] : 0.0);
    out += row;
  }
  if (order.size() > rank_rows) out += "(" + std::to_string(order.size() - rank_rows) + " more ranks)\n";
  const std::string verdict = last.value("verdict", std::string());
  out += verdict.empty() ? "nothing slow in the last window\n" : verdict + "\n";
  return out;
}

}  // namespace gan::stragglers
