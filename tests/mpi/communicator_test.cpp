// MPI backend collectives; expected values are computed from (rank, size).
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "comm/rank_placement.h"
#include "comm/readiness_agreement.h"
#include "common/error.h"
#include "mpi/test_world.h"

namespace {
using namespace gan::comm;

TEST(MpiCommunicator, RankAndSizesAreConsistent) {
  auto& world = gan::test_support::world();
  EXPECT_EQ(world.backendName(), "mpi");
  EXPECT_GE(world.rank(), 0);
  EXPECT_LT(world.rank(), world.worldSize());
  EXPECT_LT(world.localRank(), world.localSize());
  EXPECT_LE(world.localSize(), world.worldSize());
}

TEST(MpiCommunicator, AllreduceSumFloat) {
  auto& world = gan::test_support::world();
  const int n = world.worldSize(), r = world.rank();
  std::vector<float> values(1000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = float((r + 1) * (i % 13));
  world.allreduce({values.data(), values.size(), ScalarType::Float32, MemorySpace::Host});
  for (size_t i = 0; i < values.size(); ++i) ASSERT_EQ(values[i], float(n * (n + 1) / 2 * (i % 13))) << i;
}

TEST(MpiCommunicator, AllreduceAverageIsSumThenOneDivision) {
  auto& world = gan::test_support::world();
  const int n = world.worldSize(), r = world.rank();
  std::vector<float> values = {float(r + 1), float(3 * r), 1.0f};
  world.allreduce({values.data(), values.size(), ScalarType::Float32, MemorySpace::Host}, {ReduceOp::Average});
  EXPECT_FLOAT_EQ(values[0], float(n * (n + 1) / 2) / float(n));
  EXPECT_FLOAT_EQ(values[1], float(3 * n * (n - 1) / 2) / float(n));
  EXPECT_EQ(values[2], 1.0f);
  int64_t integer = 1;
  EXPECT_THROW(world.allreduce({&integer, 1, ScalarType::Int64, MemorySpace::Host}, {ReduceOp::Average}),
               std::exception);
}

TEST(MpiCommunicator, AllreduceMaxMinInt64AndDouble) {
  auto& world = gan::test_support::world();
  const int n = world.worldSize(), r = world.rank();
  std::vector<int64_t> high = {r, -r, int64_t(r) << 40};
  world.allreduce({high.data(), 3, ScalarType::Int64, MemorySpace::Host}, {ReduceOp::Max});
  EXPECT_EQ(high, (std::vector<int64_t>{n - 1, 0, int64_t(n - 1) << 40}));
  std::vector<double> low = {r + 0.5, -double(r)};
  world.allreduce({low.data(), 2, ScalarType::Float64, MemorySpace::Host}, {ReduceOp::Min});
  EXPECT_EQ(low, (std::vector<double>{0.5, -double(n - 1)}));
}

TEST(MpiCommunicator, BroadcastFromEveryRoot) {
  auto& world = gan::test_support::world();
  for (int root = 0; root < world.worldSize(); ++root) {
    std::vector<uint8_t> bytes(777, static_cast<uint8_t>(world.rank()));
    if (world.rank() == root) std::iota(bytes.begin(), bytes.end(), uint8_t(root));
    world.broadcast({bytes.data(), bytes.size(), ScalarType::UInt8, MemorySpace::Host}, root);
    for (size_t i = 0; i < bytes.size(); ++i) ASSERT_EQ(bytes[i], uint8_t(root + i)) << "root " << root;
  }
}

TEST(MpiCommunicator, AsyncCollectivesCompleteInIssueOrderWhateverTheWaitOrder) {
  auto& world = gan::test_support::world();
  const int n = world.worldSize();
  std::vector<std::vector<float>> buffers(5, std::vector<float>(1 << 16, float(world.rank() + 1)));
  std::vector<std::shared_ptr<Work>> works;
  for (auto& buffer : buffers) works.push_back(world.allreduceAsync({buffer.data(), buffer.size()}));
  for (auto it = works.rbegin(); it != works.rend(); ++it) (*it)->wait();
  for (const auto& buffer : buffers) {
    EXPECT_EQ(buffer.front(), float(n * (n + 1) / 2));
    EXPECT_EQ(buffer.back(), float(n * (n + 1) / 2));
  }
  EXPECT_GE(works.front()->collectiveSeconds(), 0.0);
}

TEST(MpiCommunicator, LargeBufferAndBarrier) {
  auto& world = gan::test_support::world();
  std::vector<float> big(3 << 20, 1.0f);
  world.allreduce({big.data(), big.size()});
  EXPECT_EQ(big[12345], float(world.worldSize()));
  world.barrier();
}

TEST(MpiCommunicator, DeviceBuffersAreRefusedByTheMpiBackend) {
  auto& world = gan::test_support::world();
  float value = 0;
  EXPECT_THROW(world.allreduce({&value, 1, ScalarType::Float32, MemorySpace::Cuda}), std::exception);
}

}  // namespace

namespace {
using namespace gan::comm;

TEST(ReadinessAgreement, ReturnsEverywhereWhenAllRanksAreReady) {
  auto& world = gan::test_support::world();
  EXPECT_NO_THROW(requireEveryRankReady(world, "", "--comm.backend=nccl"));
}

// One rank's problem reaches every rank, so none of them goes on into a collective that the
// failing rank will never join.
TEST(ReadinessAgreement, EveryRankLearnsWhichRanksFailedAndWhy) {
  auto& world = gan::test_support::world();
  const int n = world.worldSize(), r = world.rank();
  // The last rank fails, and with 3+ ranks the one before it too.
  const bool fails = r == n - 1 || (n >= 3 && r == n - 2);
  const std::string problem = fails ? "no CUDA device on host node" + std::to_string(r) : "";
  std::string message;
  try {
    requireEveryRankReady(world, problem, "--comm.backend=nccl");
  } catch (const gan::Error& e) {
    message = e.what();
  }
  const int reported = n >= 3 ? n - 2 : n - 1;
  std::string expected = "--comm.backend=nccl: rank " + std::to_string(reported) + ": no CUDA device on host node" +
                         std::to_string(reported);
  if (n >= 3) expected += " (also failing: rank " + std::to_string(n - 1) + ")";
  EXPECT_EQ(message, expected);
  // The communicator is still usable afterwards: every rank made the same calls.
  int64_t one = 1;
  world.allreduce({&one, 1, ScalarType::Int64, MemorySpace::Host});
  EXPECT_EQ(one, n);
}

TEST(ReadinessAgreement, LongProblemTextIsCutNotOverrun) {
  auto& world = gan::test_support::world();
  const std::string problem = world.rank() == 0 ? std::string(5000, 'x') : "";
  try {
    requireEveryRankReady(world, problem, "check");
    FAIL() << "rank 0 reported a problem";
  } catch (const gan::Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("check: rank 0: xxx", 0), 0u) << message;
    EXPECT_LT(message.size(), 600u);
  }
}
}  // namespace

namespace {
TEST(RankPlacement, EveryRankLearnsEveryRanksHostAndLocalRank) {
  auto& world = gan::test_support::world();
  const auto placements = gan::comm::gatherPlacements(world);
  ASSERT_EQ(placements.size(), static_cast<size_t>(world.worldSize()));
  const auto& mine = placements[static_cast<size_t>(world.rank())];
  EXPECT_EQ(mine.host, gan::comm::thisHostName());
  EXPECT_EQ(mine.local_rank, world.localRank());
  EXPECT_EQ(mine.local_size, world.localSize());
  // All ranks of a test run on this one machine: one host, local ranks 0..n-1.
  EXPECT_EQ(gan::comm::placementInconsistency(placements), "");
  EXPECT_EQ(gan::comm::describePlacements(placements).rfind("1 node(s): " + gan::comm::thisHostName(), 0), 0u);
}
}  // namespace
