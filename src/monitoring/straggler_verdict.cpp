#include "monitoring/straggler_verdict.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "common/error.h"
#include "monitoring/step_metrics.h"

namespace gan::monitoring {
namespace {

// The median; for an even count the lower of the two middle values, so that with 2 ranks the
// slow one is compared with the other rather than with the mean of both.
double median(std::vector<double> values) {
  if (values.empty()) return 0;
  const size_t middle = (values.size() - 1) / 2;
  std::nth_element(values.begin(), values.begin() + middle, values.end());
  return values[middle];
}

std::string fixed(double value, int decimals) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string rankWithHost(int rank, const std::string& host) {
  return "rank " + std::to_string(rank) + (host.empty() ? "" : " (" + host + ")");
}

// "401-500".
std::string stepSpan(int64_t first, int64_t last) { return std::to_string(first) + "-" + std::to_string(last); }

std::string stepRange(const StragglerWindow& window) { return "steps " + stepSpan(window.first_step, window.last_step); }

std::string hostOf(const StragglerWindow& window, size_t rank) {
  return rank < window.hosts.size() ? window.hosts[rank] : std::string();
}

// The slow-link judgement: with no slow rank, a node whose ranks wait `threshold` x longer than
// the other nodes' ranks, where their own faster compute does not explain the difference (a
// node that computes faster than the rest waits longer for them, which is no link's fault).
void judgeLinks(const StragglerWindow& window, double threshold, StragglerVerdict& verdict) {
  std::map<std::string, std::vector<size_t>> ranks_of_host;
  for (size_t r = 0; r < window.ranks.size(); ++r) {
    const std::string host = hostOf(window, r);
    if (host.empty()) return;  // nodes unknown: nothing to compare
    ranks_of_host[host].push_back(r);
  }
  if (ranks_of_host.size() < 2) return;
  double worst_excess = 0;
  for (const auto& [host, ranks] : ranks_of_host) {
    std::vector<double> own_wait, own_compute, other_wait, other_compute;
    for (size_t r = 0; r < window.ranks.size(); ++r) {
      const bool own = std::find(ranks.begin(), ranks.end(), r) != ranks.end();
      (own ? own_wait : other_wait).push_back(window.ranks[r].wait_ms);
      (own ? own_compute : other_compute).push_back(window.ranks[r].compute_ms);
    }
    const double wait = median(own_wait), others = median(other_wait);
    const double faster_by = std::max(0.0, median(other_compute) - median(own_compute));
    const double excess = wait - others;
    // Longer by the threshold, by at least 5% of a step, and by twice what faster compute explains.
    if (wait < threshold * others || excess < 0.05 * verdict.median_step_ms || excess < 2 * faster_by) continue;
    if (excess <= worst_excess) continue;
    worst_excess = excess;
    verdict.slow_link_host = host;
    verdict.slow_link_wait_ms = wait;
    verdict.other_wait_ms = others;
  }
}

}  // namespace

std::vector<int> StragglerVerdict::slowRanks() const {
  std::vector<int> ranks;
  for (const auto& slow : stragglers) ranks.push_back(slow.rank);
  return ranks;
}

std::vector<std::string> StragglerVerdict::slowNodes() const {
  std::vector<std::string> nodes;
  for (const auto& slow : stragglers) {
    if (!slow.host.empty() && std::find(nodes.begin(), nodes.end(), slow.host) == nodes.end()) {
      nodes.push_back(slow.host);
    }
  }
  return nodes;
}

StragglerVerdict judgeStragglers(const StragglerWindow& window, double threshold) {
  GAN_CHECK(!window.ranks.empty(), "a straggler window needs at least one rank's figures");
  GAN_CHECK(threshold > 1.0, "the straggler threshold must exceed 1, got ", threshold);
  StragglerVerdict verdict;
  std::vector<double> compute, step;
  for (size_t r = 0; r < window.ranks.size(); ++r) {
    const auto& timing = window.ranks[r];
    compute.push_back(timing.compute_ms);
    step.push_back(timing.compute_ms + timing.wait_ms);
    if (timing.compute_ms > verdict.max_compute_ms) {
      verdict.max_compute_ms = timing.compute_ms;
      verdict.slowest_rank = static_cast<int>(r);
    }
  }
  verdict.median_compute_ms = median(compute);
  verdict.median_step_ms = median(step);
  const double median_compute = verdict.median_compute_ms;
  if (median_compute > 0) {
    for (size_t r = 0; r < window.ranks.size(); ++r) {
      const double ratio = window.ranks[r].compute_ms / median_compute;
      if (ratio >= threshold) {
        verdict.stragglers.push_back({static_cast<int>(r), hostOf(window, r), window.ranks[r].compute_ms, ratio});
      }
    }
  }
  std::sort(verdict.stragglers.begin(), verdict.stragglers.end(),
            [](const SlowRank& a, const SlowRank& b) { return a.ratio > b.ratio || (a.ratio == b.ratio && a.rank < b.rank); });

  if (!verdict.stragglers.empty()) {
    const double step_ms = std::max(verdict.median_step_ms, verdict.max_compute_ms);
    verdict.job_wait_fraction = step_ms > 0 ? (verdict.max_compute_ms - median_compute) / step_ms : 0;
    const auto& slowest = verdict.stragglers.front();
    std::string line;
    if (verdict.stragglers.size() == 1) {
      line = "straggler: " + rankWithHost(slowest.rank, slowest.host) + " computes " + fixed(slowest.ratio, 1) +
             "x the median (" + fixed(slowest.compute_ms, 1) + " vs " + fixed(median_compute, 1) + " ms/step, " +
             stepRange(window) + ")";
    } else {
      line = "stragglers: ";
      const size_t named = std::min<size_t>(verdict.stragglers.size(), 8);
      for (size_t i = 0; i < named; ++i) {
        const auto& slow = verdict.stragglers[i];
        line += (i ? ", " : "") + rankWithHost(slow.rank, slow.host) + " " + fixed(slow.ratio, 1) + "x";
      }
      if (verdict.stragglers.size() > named) {
        line += " and " + std::to_string(verdict.stragglers.size() - named) + " more";
      }
      line += " the median compute (" + fixed(median_compute, 1) + " ms/step, " + stepRange(window) + ")";
    }
    line += "; the job waits ~" + fixed(100 * verdict.job_wait_fraction, 0) + "% of each step for " +
            (verdict.stragglers.size() == 1 ? "it" : "the slowest");
    verdict.line = line;
    return verdict;
  }
  judgeLinks(window, threshold, verdict);
  if (verdict.slow_link_host) {
    verdict.line = "slow link? " + *verdict.slow_link_host + "'s ranks compute normally but wait " +
                   fixed(verdict.slow_link_wait_ms / std::max(verdict.other_wait_ms, 1e-9), 1) +
                   "x the other nodes' ranks in collectives (" + fixed(verdict.slow_link_wait_ms, 1) + " vs " +
                   fixed(verdict.other_wait_ms, 1) + " ms/step, " + stepRange(window) + ")";
  }
  return verdict;
}

bool StragglerPersistence::confirms(const StragglerVerdict& verdict) {
  std::map<int, int64_t> ranks;
  for (const auto& slow : verdict.stragglers) {
    const auto before = rank_streaks_.find(slow.rank);
    ranks[slow.rank] = before == rank_streaks_.end() ? 1 : before->second + 1;
  }
  std::map<std::string, int64_t> links;
  if (verdict.slow_link_host) {
    const auto before = link_streaks_.find(*verdict.slow_link_host);
    links[*verdict.slow_link_host] = before == link_streaks_.end() ? 1 : before->second + 1;
  }
  rank_streaks_ = std::move(ranks);  // a rank not named this window starts over
  link_streaks_ = std::move(links);
  for (const auto& [rank, streak] : rank_streaks_) {
    if (streak >= windows_) return true;
  }
  for (const auto& [host, streak] : link_streaks_) {
    if (streak >= windows_) return true;
  }
  return false;
}

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
  using namespace metric_keys;
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

}  // namespace gan::monitoring
