// Hang verdicts from the ranks' records: who is missing, who is behind, the network.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "resilience/hang_report.h"
#include "support/identical_replicas_communicator.h"
#include "support/test_files.h"

namespace {
using namespace gan;

resilience::HangCollective collective(uint64_t seq, const char* phase, int64_t step, int64_t waited_us,
                                       int64_t finished_us) {
  return {seq, "allreduce", 1172544, phase, step, waited_us - 10, waited_us, finished_us};
}

resilience::RankHangRecord hangRecord(int rank, const std::string& host, std::vector<resilience::HangCollective> c) {
  resilience::RankHangRecord record;
  record.rank = rank;
  record.world_size = 4;
  record.host = host;
  record.rank_hosts = {"node1", "node1", "node2", "node2"};
  record.reason = "watchdog: test";
  record.written_us = 600'000'000;
  record.collectives = std::move(c);
  return record;
}

TEST(HangVerdict, NamesRanksWithoutARecordAndTheCollectiveTheOthersWaitIn) {
  const std::vector<resilience::RankHangRecord> records = {
      hangRecord(0, "node1", {collective(811, "G step", 406, 1, 2), collective(812, "G step", 406, 1'000'000, 0)}),
      hangRecord(1, "node1", {collective(812, "G step", 406, 1'000'000, 0)})};
  EXPECT_EQ(resilience::hangVerdict(records),
            "hang at allreduce #812 (1.2 MB, G step of step 406): ranks 2-3 (node2) did not join (no record: stopped or "
            "gone); ranks 0-1 (node1) waited 599 s");
  const std::string table = resilience::hangTable(records);
  EXPECT_NE(table.find("3     node2            (no record: stopped or gone)"), std::string::npos) << table;
}

// With node-local output directories a node's records stay on that node: a node with no record
// here is not said to have stopped, only that its records are not here (review defect).
TEST(HangVerdict, ANodeWithItsOwnOutputDirectoryIsNotCalledStopped) {
  std::vector<resilience::RankHangRecord> records = {
      hangRecord(0, "node1", {collective(812, "G step", 406, 1'000'000, 0)}),
      hangRecord(1, "node1", {collective(812, "G step", 406, 1'000'000, 0)})};
  for (auto& record : records) record.shared_output = false;
  EXPECT_EQ(resilience::hangVerdict(records),
            "hang at allreduce #812 (1.2 MB, G step of step 406): ranks 2-3 (node2) did not join or left no record "
            "here (stopped or gone, or their node keeps its own --output.dir: see OUT/hang there); ranks 0-1 (node1) "
            "waited 599 s");
  const std::string table = resilience::hangTable(records);
  EXPECT_NE(table.find("3     node2            (no record here: see its node's OUT/hang)"), std::string::npos) << table;
}

TEST(HangVerdict, NamesARankThatIsBehindAndWhereItIs) {
  const std::vector<resilience::RankHangRecord> records = {
      hangRecord(0, "node1", {collective(812, "G step", 406, 1'000'000, 0)}),
      hangRecord(1, "node1", {collective(812, "G step", 406, 1'000'000, 0)}),
      hangRecord(2, "node2", {collective(812, "G step", 406, 1'000'000, 0)}),
      hangRecord(3, "node2", {collective(811, "D step", 406, 1, 2)})};
  EXPECT_EQ(resilience::hangVerdict(records),
            "hang at allreduce #812 (1.2 MB, G step of step 406): rank 3 (node2) did not join: its last was allreduce "
            "#811 (1.2 MB, D step of step 406); ranks 0-2 (node1, node2) waited 599 s");
}

TEST(HangVerdict, EveryRankInTheSameCollectiveMeansTheNetwork) {
  std::vector<resilience::RankHangRecord> records;
  for (int r = 0; r < 4; ++r) {
    records.push_back(hangRecord(r, r < 2 ? "node1" : "node2", {collective(90, "D step", 30, 1'000'000, 0)}));
  }
  EXPECT_EQ(resilience::hangVerdict(records),
            "hang at allreduce #90 (1.2 MB, D step of step 30): every rank joined and none finished within 599 s: the "
            "network between node1 (ranks 0-1) and node2 (ranks 2-3) dropped or stalled");
}

// A link that goes down mid-collective can let one side finish it: node2's ranks moved on to #91
// while node1's still wait in #90. Nobody hangs in compute: the verdict is the network (seen in
// CI's multinode.link_down, which had read "ranks 0-1 did not join").
TEST(HangVerdict, RanksStillWaitingInACollectiveTheOthersFinishedMeansTheNetwork) {
  std::vector<resilience::RankHangRecord> records;
  for (int r = 0; r < 2; ++r) records.push_back(hangRecord(r, "node1", {collective(90, "D step", 30, 1'000'000, 0)}));
  for (int r = 2; r < 4; ++r) {
    records.push_back(hangRecord(r, "node2", {collective(90, "D step", 30, 1'000'000, 1'000'500),
                                              collective(91, "G step", 30, 1'001'000, 0)}));
  }
  EXPECT_EQ(resilience::hangVerdict(records),
            "hang at allreduce #91 (1.2 MB, G step of step 30): ranks 0-1 (node1) still wait in allreduce #90 (1.2 MB, "
            "D step of step 30), which ranks 2-3 (node2) finished: the network between node1 (ranks 0-1) and node2 "
            "(ranks 2-3) dropped or stalled");
  // A rank behind that is not inside a collective (hung in its compute) is still named as not joining.
  records[1].collectives = {collective(90, "D step", 30, 1'000'000, 1'000'400)};
  EXPECT_NE(resilience::hangVerdict(records).find("rank 1 (node1) did not join"), std::string::npos)
      << resilience::hangVerdict(records);
}

// Review defect: only rank 0 cleared OUT/hang/ at start, so with a node-local output directory
// another node kept an earlier run's record, and the next hang's verdict counted it. Each node's
// first rank clears its node's records; the others leave them to it.
TEST(HangVerdict, EachNodesFirstRankClearsItsRecordsAtStart) {
  const gan::RunDirectory run(gan::test_support::freshTempDir("hang_clear"));
  comm::CollectiveFlightRecorder collectives;
  auto stale = [&] { resilience::writeHangRecord(run, resilience::makeHangRecord(3, 4, {}, "old run", collectives)); };
  stale();
  resilience::clearHangRecordsAtStart(run, test_support::IdenticalReplicasCommunicator(4, /*rank=*/3, /*local_rank=*/1));
  EXPECT_EQ(resilience::readHangRecords(run).size(), 1u);  // not this rank's to clear
  resilience::clearHangRecordsAtStart(run, test_support::IdenticalReplicasCommunicator(4, /*rank=*/2, /*local_rank=*/0));
  EXPECT_TRUE(resilience::readHangRecords(run).empty());  // the second node's first rank
}

TEST(HangVerdict, RecordsWrittenAfterTheVerdictAreSetApart) {
  const gan::RunDirectory run(gan::test_support::freshTempDir("hang_evidence"));
  comm::CollectiveFlightRecorder collectives;
  collectives.waitBegins(collectives.issue("allreduce", 8));
  auto early = resilience::makeHangRecord(0, 2, {"a", "b"}, "watchdog: early", collectives);
  resilience::writeHangRecord(run, early);
  EXPECT_EQ(resilience::readHangRecords(run).size(), 1u);
  {
    std::ofstream(run.hangRecords() / "verdict.json")
        << nlohmann::json{{"written_us", early.written_us + 1}, {"verdict", "the verdict then"}}.dump();
  }
  auto late = resilience::makeHangRecord(1, 2, {"a", "b"}, "watchdog: late", collectives);
  late.written_us = early.written_us + 5'000'000;
  resilience::writeHangRecord(run, late);
  const auto evidence = resilience::readHangEvidence(run);
  EXPECT_EQ(evidence.verdict, "the verdict then");
  ASSERT_EQ(evidence.records.size(), 1u);
  EXPECT_EQ(evidence.records[0].rank, 0);
  EXPECT_EQ(evidence.late_ranks, std::vector<int>{1});
}

}  // namespace
