// Which rank holds the job up: the verdict on one window of per-rank step timings.
//
// In synchronous data parallelism every step waits for the slowest rank, so a slow node costs
// every step without ever hanging. Each rank times its own work per step (compute: the step's
// wall time minus what it waited for collectives) and its waits; every `--monitor.
// straggler_every` steps the figures reach rank 0, which judges them here. A rank is a straggler
// when its compute exceeds `threshold` x the median rank's (the lower middle one for an even
// count): the others then wait for it at
// every gradient reduction. A slow link looks different: normal compute, longer waits, and
// only where the slow ranks share a node can it be told apart from noise.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace gan::stragglers {

// One rank's figures over a window, per step.
struct RankTiming {
  double compute_ms = 0;  // its own work: forward, backward, optimizer, batch assembly
  double wait_ms = 0;     // waiting for the step's collectives (gradient reductions)
};

struct StragglerWindow {
  int64_t first_step = 0;  // steps first_step..last_step (counted from 1, as the logs do)
  int64_t last_step = 0;
  std::vector<RankTiming> ranks;   // by rank
  std::vector<std::string> hosts;  // each rank's node ("" when unknown)
  // Which launch of the job measured it (the elastic launcher's GAN_DIST_LAUNCH_ID; "" when
  // unset): after a relaunch, the windows an earlier launch left past the resumed step are not
  // this launch's verdicts.
  std::string launch_id;
};

struct SlowRank {
  int rank = 0;
  std::string host;
  double compute_ms = 0;
  double ratio = 0;  // compute / the median rank's
};

struct StragglerVerdict {
  double median_compute_ms = 0;
  double max_compute_ms = 0;
  int slowest_rank = 0;
  double median_step_ms = 0;  // compute + wait of the median rank: about every rank's step
  // Ranks whose compute is at least threshold x the median, slowest first.
  std::vector<SlowRank> stragglers;
  // Share of each step the job spends waiting for the slowest rank: (its compute - median) /
  // step. Zero when nobody is slow.
  double job_wait_fraction = 0;
  // A node whose ranks compute normally but wait threshold x longer than the other nodes' ranks
  // in collectives, more than their faster compute explains (only judged when no rank is slow).
  std::optional<std::string> slow_link_host;
  double slow_link_wait_ms = 0, other_wait_ms = 0;
  // The line for the log, or empty when nothing is slow.
  std::string line;
  // The stragglers' ranks, and their distinct nodes, slowest first (the nodes are what the
  // elastic launcher acts on).
  std::vector<int> slowRanks() const;
  std::vector<std::string> slowNodes() const;
};

// The verdict on `window` (at least one rank). `threshold` > 1.
StragglerVerdict judgeStragglers(const StragglerWindow& window, double threshold);

// Which verdicts the log announces: those naming a rank (or a slow link's node) that the
// windows-1 windows before named too. One window's means on a shared VM can make a rank look slow
// for a moment, even on an idle machine; a slow node stays slow (figures: docs/performance.md#figures-behind-the-codes-choices). stragglers.jsonl, metrics.jsonl and the report keep every window's own verdict.
class StragglerPersistence {
 public:
  explicit StragglerPersistence(int64_t windows) : windows_(windows) {}
  // Feeds the next window's verdict (windows in order, each once); true when it should be logged.
  bool confirms(const StragglerVerdict& verdict);

 private:
  int64_t windows_;
  std::map<int, int64_t> rank_streaks_;          // consecutive windows that named each rank
  std::map<std::string, int64_t> link_streaks_;  // ... and each slow link's node
};

// The names the verdict's line and the renderings use: "rank 3 (node2)", "401-500", a rank's host.
std::string rankWithHost(int rank, const std::string& host);
std::string stepSpan(int64_t first, int64_t last);
std::string hostOf(const StragglerWindow& window, size_t rank);

}  // namespace gan::stragglers
