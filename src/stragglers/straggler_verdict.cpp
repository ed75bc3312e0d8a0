#include "stragglers/straggler_verdict.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "common/error.h"
#include "monitoring/step_metrics.h"

namespace gan::stragglers {
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

std::string rankWithHost(int rank, const std::string& host) {
  return "rank " + std::to_string(rank) + (host.empty() ? "" : " (" + host + ")");
}

// "401-500".
std::string stepSpan(int64_t first, int64_t last) { return std::to_string(first) + "-" + std::to_string(last); }

std::string stepRange(const StragglerWindow& window) { return "steps " + stepSpan(window.first_step, window.last_step); }

std::string hostOf(const StragglerWindow& window, size_t rank) {
  return rank < window.hosts.size() ? window.hosts[rank] : std::string();
}

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

}  // namespace gan::stragglers
