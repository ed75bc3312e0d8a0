// The straggler verdict (stragglers/straggler_verdict.h) on synthetic per-rank figures.
#include <gtest/gtest.h>

#include "monitoring/step_metrics.h"
#include "stragglers/straggler_rendering.h"
#include "report/report_page.h"

namespace {
using namespace gan::stragglers;
using namespace gan::monitoring;
using namespace gan::report;

// `ranks_per_node` ranks on each of node0, node1, ...: every rank computes `compute_ms` and
// waits `wait_ms` per step unless changed afterwards.
StragglerWindow evenWindow(int ranks, int ranks_per_node, double compute_ms = 6.6, double wait_ms = 0.4) {
  StragglerWindow window{401, 500, {}, {}};
  for (int r = 0; r < ranks; ++r) {
    window.ranks.push_back({compute_ms, wait_ms});
    window.hosts.push_back("node" + std::to_string(r / ranks_per_node));
  }
  return window;
}

// A synchronous job: every rank's step takes as long as the slowest rank's compute plus the
// transfer; the others wait the difference.
void settleWaits(StragglerWindow& window, double transfer_ms = 0.4) {
  double slowest = 0;
  for (const auto& rank : window.ranks) slowest = std::max(slowest, rank.compute_ms);
  for (auto& rank : window.ranks) rank.wait_ms = slowest - rank.compute_ms + transfer_ms;
}

TEST(StragglerVerdict, QuietWhenNoRankIsSlow) {
  auto window = evenWindow(8, 2);
  window.ranks[3].compute_ms = 7.5;  // 1.14x: noise, under the threshold
  settleWaits(window);
  const auto verdict = judgeStragglers(window, 1.2);
  EXPECT_TRUE(verdict.stragglers.empty());
  EXPECT_TRUE(verdict.line.empty()) << verdict.line;
  EXPECT_FALSE(verdict.slow_link_host.has_value());
  EXPECT_EQ(verdict.slowest_rank, 3);
  EXPECT_DOUBLE_EQ(verdict.median_compute_ms, 6.6);
  EXPECT_EQ(verdict.job_wait_fraction, 0);
}

TEST(StragglerVerdict, NamesOneSlowRankWithItsNodeAndTheJobsCost) {
  auto window = evenWindow(8, 2);
  window.ranks[5].compute_ms = 11.9;
  settleWaits(window);
  const auto verdict = judgeStragglers(window, 1.2);
  ASSERT_EQ(verdict.stragglers.size(), 1u);
  EXPECT_EQ(verdict.stragglers[0].rank, 5);
  EXPECT_EQ(verdict.stragglers[0].host, "node2");
  EXPECT_NEAR(verdict.stragglers[0].ratio, 11.9 / 6.6, 1e-12);
  // Every step lasts 11.9 + 0.4 ms; the others wait 5.3 ms of it for rank 5.
  EXPECT_NEAR(verdict.job_wait_fraction, 5.3 / 12.3, 1e-9);
  EXPECT_EQ(verdict.line,
            "straggler: rank 5 (node2) computes 1.8x the median (11.9 vs 6.6 ms/step, steps 401-500); the job "
            "waits ~43% of each step for it");
  EXPECT_EQ(verdict.slowNodes(), std::vector<std::string>{"node2"});
}

TEST(StragglerVerdict, NamesTwoSlowRanksSlowestFirst) {
  auto window = evenWindow(8, 4);
  window.ranks[1].compute_ms = 9.0;
  window.ranks[6].compute_ms = 13.2;
  settleWaits(window);
  const auto verdict = judgeStragglers(window, 1.2);
  ASSERT_EQ(verdict.stragglers.size(), 2u);
  EXPECT_EQ(verdict.stragglers[0].rank, 6);
  EXPECT_EQ(verdict.stragglers[1].rank, 1);
  EXPECT_EQ(verdict.slowest_rank, 6);
  EXPECT_EQ(verdict.slowNodes(), (std::vector<std::string>{"node1", "node0"}));
  EXPECT_NE(verdict.line.find("stragglers: rank 6 (node1) 2.0x, rank 1 (node0) 1.4x the median compute"),
            std::string::npos)
      << verdict.line;
  // A higher threshold names only the slowest.
  EXPECT_EQ(judgeStragglers(window, 1.5).stragglers.size(), 1u);
}

TEST(StragglerVerdict, ASlowNodeIsNotMistakenForASlowLink) {
  // Node 1 computes 1.15x (under the threshold): the other node's ranks wait for it, which is
  // its compute, not their link.
  auto window = evenWindow(4, 2);
  window.ranks[2].compute_ms = window.ranks[3].compute_ms = 6.6 * 1.15;
  settleWaits(window);
  const auto verdict = judgeStragglers(window, 1.2);
  EXPECT_TRUE(verdict.line.empty()) << verdict.line;
}

TEST(StragglerVerdict, NamesANodeThatWaitsLongerWithNormalCompute) {
  auto window = evenWindow(6, 2, 6.6, 0.5);
  window.ranks[4].wait_ms = window.ranks[5].wait_ms = 2.5;  // node2: normal compute, long collectives
  const auto verdict = judgeStragglers(window, 1.2);
  EXPECT_TRUE(verdict.stragglers.empty());
  ASSERT_TRUE(verdict.slow_link_host.has_value());
  EXPECT_EQ(*verdict.slow_link_host, "node2");
  EXPECT_EQ(verdict.line,
            "slow link? node2's ranks compute normally but wait 5.0x the other nodes' ranks in collectives (2.5 vs "
            "0.5 ms/step, steps 401-500)");
  // One node only, or nodes unknown: nothing to compare a link with.
  auto one_node = evenWindow(6, 6, 6.6, 0.5);
  one_node.ranks[4].wait_ms = 2.5;
  EXPECT_TRUE(judgeStragglers(one_node, 1.2).line.empty());
}

TEST(StragglerVerdict, RefusesNonsense) {
  EXPECT_THROW(judgeStragglers(StragglerWindow{}, 1.2), std::exception);
  EXPECT_THROW(judgeStragglers(evenWindow(2, 1), 1.0), std::exception);
}

TEST(StragglerVerdict, LinesTableAndReportCarryTheFigures) {
  auto window = evenWindow(4, 2);
  window.ranks[2].compute_ms = 13.2;
  settleWaits(window);
  const auto verdict = judgeStragglers(window, 1.2);
  const auto line = stragglerLine(window, verdict, 1.2);
  EXPECT_EQ(line["step"], 500);
  EXPECT_EQ(line["first_step"], 401);
  EXPECT_EQ(line["compute_ms"].size(), 4u);
  EXPECT_EQ(line["stragglers"], nlohmann::json::array({2}));
  EXPECT_EQ(line["slow_nodes"], nlohmann::json::array({"node1"}));
  const auto metrics = stragglerSummary(window, verdict);
  EXPECT_EQ(metrics[metric_keys::kStragglerSteps], "401-500");
  EXPECT_EQ(metrics[metric_keys::kStragglerSlowestRank], 2);
  EXPECT_EQ(metrics[metric_keys::kStragglerSlowestNode], "node1");
  EXPECT_DOUBLE_EQ(metrics[metric_keys::kStragglerComputeMaxMs].get<double>(), 13.2);

  auto quiet = evenWindow(4, 2);
  quiet.first_step = 501, quiet.last_step = 600;
  const auto table = stragglerTable({line, stragglerLine(quiet, judgeStragglers(quiet, 1.2), 1.2)});
  EXPECT_NE(table.find("401-500"), std::string::npos) << table;
  EXPECT_NE(table.find("straggler rank 2"), std::string::npos) << table;
  EXPECT_NE(table.find("last window (steps 501-600)"), std::string::npos) << table;
  EXPECT_NE(table.find("nothing slow in the last window"), std::string::npos) << table;

  ReportInputs inputs;
  inputs.run_directory = inputs.run_directory_absolute = "run";
  inputs.metrics = {{{"step", 500}, {"loss_d", 1.0}}};
  inputs.stragglers = {line};
  const auto html = renderTrainingReport(inputs);
  EXPECT_NE(html.find("<h2>Stragglers</h2>"), std::string::npos);
  EXPECT_NE(html.find("rank 2: 13.2 ms/step"), std::string::npos);
  EXPECT_NE(html.find("straggler: rank 2 (node1)"), std::string::npos);
  inputs.stragglers.clear();
  EXPECT_NE(renderTrainingReport(inputs).find("--monitor.straggler_every=0"), std::string::npos);
}

}  // namespace

namespace {

// A verdict on 4 ranks of 2 nodes where `slow` (or nobody, -1) computes 2x the others.
StragglerVerdict verdictWithSlowRank(int slow) {
  auto window = evenWindow(4, 2);
  if (slow >= 0) window.ranks[size_t(slow)].compute_ms *= 2;
  settleWaits(window);
  return judgeStragglers(window, 1.2);
}

TEST(StragglerPersistence, LogsARankOnlyOnceItIsNamedInConsecutiveWindows) {
  StragglerPersistence persistence(2);
  EXPECT_FALSE(persistence.confirms(verdictWithSlowRank(1)));  // one window: perhaps noise
  EXPECT_TRUE(persistence.confirms(verdictWithSlowRank(1)));   // two in a row: slow
  EXPECT_TRUE(persistence.confirms(verdictWithSlowRank(1)));
  EXPECT_FALSE(persistence.confirms(verdictWithSlowRank(-1)));  // a quiet window starts over
  EXPECT_FALSE(persistence.confirms(verdictWithSlowRank(1)));
}

// Noise names a different rank each time: never logged.
TEST(StragglerPersistence, RanksNamedInTurnAreNeverLogged) {
  StragglerPersistence persistence(2);
  for (int window = 0; window < 8; ++window) {
    EXPECT_FALSE(persistence.confirms(verdictWithSlowRank(window % 4))) << "window " << window;
  }
}

TEST(StragglerPersistence, OneWindowLogsEveryVerdictAndLinksPersistLikeRanks) {
  StragglerPersistence every(1);
  EXPECT_TRUE(every.confirms(verdictWithSlowRank(2)));
  EXPECT_FALSE(every.confirms(verdictWithSlowRank(-1)));

  auto window = evenWindow(4, 2);
  window.ranks[2].wait_ms = window.ranks[3].wait_ms = 4.0;  // node1 waits 10x: its link
  const auto link = judgeStragglers(window, 1.2);
  ASSERT_TRUE(link.slow_link_host.has_value());
  StragglerPersistence three(3);
  EXPECT_FALSE(three.confirms(link));
  EXPECT_FALSE(three.confirms(link));
  EXPECT_TRUE(three.confirms(link));
}

}  // namespace
