// The collective flight recorder, the recording communicator and the rank-placement table.
#include <gtest/gtest.h>

#include "comm/collective_flight_recorder.h"
#include "comm/local_communicator.h"
#include "comm/rank_placement.h"
#include "comm/flight_recording_communicator.h"

namespace {
using namespace gan::comm;

TEST(CollectiveFlightRecorder, NumbersCollectivesInIssueOrderWithTheirContext) {
  CollectiveFlightRecorder record(8);
  record.setContext("D step", 7);
  const uint64_t first = record.issue("allreduce", 1024);
  record.setContext("G step", 7);
  const uint64_t second = record.issue("broadcast", 16);
  EXPECT_EQ(first, 1u);
  EXPECT_EQ(second, 2u);
  const auto entries = record.recent();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_STREQ(entries[0].kind, "allreduce");
  EXPECT_EQ(entries[0].bytes, 1024u);
  EXPECT_STREQ(entries[0].phase, "D step");
  EXPECT_STREQ(entries[1].phase, "G step");
  EXPECT_EQ(entries[1].step, 7);
  EXPECT_GT(entries[0].issued_us, 0);
}

TEST(CollectiveFlightRecorder, KeepsTheNewestEntriesOnly) {
  CollectiveFlightRecorder record(4);
  for (int i = 0; i < 10; ++i) record.finish(record.issue("allreduce", 4));
  const auto entries = record.recent();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries.front().seq, 7u);
  EXPECT_EQ(entries.back().seq, 10u);
  EXPECT_EQ(record.lastIssued(), 10u);
  record.finish(2);  // long gone: ignored, nothing overwritten
  EXPECT_EQ(record.recent().front().seq, 7u);
}

TEST(CollectiveFlightRecorder, LongestWaitIsTheOldestUnfinishedWait) {
  CollectiveFlightRecorder record;
  EXPECT_EQ(record.longestWait().seq, 0u);
  const uint64_t a = record.issue("allreduce", 4);
  const uint64_t b = record.issue("allreduce", 4);
  EXPECT_EQ(record.longestWait().seq, 0u) << "issued but nobody waits yet";
  record.waitBegins(a);
  record.waitBegins(b);
  EXPECT_EQ(record.longestWait().seq, a);
  record.finish(a);
  EXPECT_EQ(record.longestWait().seq, b);
  record.finish(b);
  EXPECT_EQ(record.longestWait().seq, 0u);
}

TEST(FlightRecordingCommunicator, RecordsEveryCollectiveAndItsCompletion) {
  FlightRecordingCommunicator communicator(std::make_unique<LocalCommunicator>());
  float values[3] = {1, 2, 3};
  communicator.allreduce({values, 3, ScalarType::Float32, MemorySpace::Host});
  auto pending = communicator.allreduceAsync({values, 2, ScalarType::Float32, MemorySpace::Host}, {});
  communicator.broadcast({values, 1, ScalarType::Float32, MemorySpace::Host}, 0);
  communicator.barrier();
  auto entries = communicator.record().recent();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_STREQ(entries[0].kind, "allreduce");
  EXPECT_EQ(entries[0].bytes, 12u);
  EXPECT_NE(entries[0].finished_us, 0);
  EXPECT_EQ(entries[1].finished_us, 0) << "not waited for yet";
  EXPECT_STREQ(entries[2].kind, "broadcast");
  EXPECT_STREQ(entries[3].kind, "barrier");
  pending->wait();
  EXPECT_NE(communicator.record().recent()[1].finished_us, 0);
  EXPECT_EQ(communicator.worldSize(), 1);
  EXPECT_EQ(communicator.backendName(), "local");
}

TEST(RankPlacement, DescribesHostsInOrderOfTheirFirstRank) {
  const std::vector<RankPlacement> placements = {{"node1", 0, 2}, {"node1", 1, 2}, {"node2", 0, 3},
                                                 {"node2", 1, 3}, {"node2", 2, 3}};
  EXPECT_EQ(describePlacements(placements), "2 node(s): node1 ranks 0-1, node2 ranks 2-4");
  EXPECT_EQ(placementInconsistency(placements), "");
  EXPECT_EQ(describePlacements({{"solo", 0, 1}}), "1 node(s): solo rank 0");
}

TEST(RankPlacement, NamesALocalRankThatDisagreesWithTheHosts) {
  // Two "nodes" that share a hostname: MPI sees two nodes, the names say one.
  const std::vector<RankPlacement> placements = {{"vm", 0, 1}, {"vm", 0, 1}};
  const std::string problem = placementInconsistency(placements);
  EXPECT_NE(problem.find("rank 0 on host vm has node-local rank 0 of 1, but it is rank 0 of the 2 rank(s) named vm"),
            std::string::npos)
      << problem;
}

TEST(RankPlacement, RankRangesAreSortedAndCompact) {
  EXPECT_EQ(rankRanges({5, 0, 2, 6, 7}), "0,2,5-7");
  EXPECT_EQ(rankRanges({3}), "3");
  EXPECT_EQ(rankRanges({}), "");
}

}  // namespace
