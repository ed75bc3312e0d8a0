// MPI backend collectives; expected values are computed from (rank, size).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <thread>
#include <utility>
#include <vector>

#include "comm/mpi_communicator.h"
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

TEST(MpiCommunicator, AllreduceSumsTheFloatsOfEveryRank) {
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

TEST(MpiCommunicator, TextAndNumbersFromEveryRootReachEveryRank) {
  auto& world = gan::test_support::world();
  for (int root = 0; root < world.worldSize(); ++root) {
    // What only the root knows: the other ranks pass something else, of another length.
    const bool is_root = world.rank() == root;
    EXPECT_EQ(broadcastInt64(is_root ? -(int64_t{1} << 40) - root : 7, root, world), -(int64_t{1} << 40) - root);
    const std::string message = "{\"run\": " + std::to_string(root) + std::string(1000 * root, 'x') + "}";
    EXPECT_EQ(broadcastText(is_root ? message : std::string(3, 'y'), root, world), message);
    EXPECT_EQ(broadcastText(is_root ? std::string() : std::string("not empty"), root, world), std::string());
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

// The step's control word rides on the next collective (AllreduceOptions::start_with_next):
// waits until a collective is issued behind it, then run first, in issue order everywhere.
TEST(MpiCommunicator, HeldBackAllreduceStartsWithTheNextCollective) {
  auto& world = gan::test_support::world();
  const int n = world.worldSize();
  std::vector<int64_t> word = {world.rank() + 1, 1};
  AllreduceOptions held;
  held.start_with_next = true;
  auto pending = world.allreduceAsync({word.data(), word.size(), ScalarType::Int64, MemorySpace::Host}, held);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const int64_t next_issued_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
  std::vector<float> next(1000, 1.0f);
  world.allreduce({next.data(), next.size()});
  // Completed before the collective behind it (one thread runs the queue in order), so its
  // result is final now; waiting only collects it.
  EXPECT_EQ(word, (std::vector<int64_t>{int64_t(n) * (n + 1) / 2, n}));
  pending->wait();
  if (n > 1) EXPECT_GE(pending->startedAtMicros(), next_issued_us) << "the start-with-next allreduce started at once";
  EXPECT_EQ(next[999], float(n));
}

TEST(MpiCommunicator, HeldBackAllreduceWithNothingBehindItRunsWhenWaitedFor) {
  auto& world = gan::test_support::world();
  const int n = world.worldSize();
  AllreduceOptions held;
  held.start_with_next = true;
  std::vector<int64_t> first = {1}, second = {world.rank()};
  auto a = world.allreduceAsync({first.data(), 1, ScalarType::Int64, MemorySpace::Host}, held);
  auto b = world.allreduceAsync({second.data(), 1, ScalarType::Int64, MemorySpace::Host}, held);
  b->wait();  // releases b; a, queued before it, runs first
  EXPECT_EQ(first[0], n);
  EXPECT_EQ(second[0], int64_t(n) * (n - 1) / 2);
  a->wait();
  world.barrier();
}

TEST(MpiCommunicator, AllreducesALargeBufferAndPassesABarrier) {
  auto& world = gan::test_support::world();
  std::vector<float> big(3 << 20, 1.0f);
  world.allreduce({big.data(), big.size()});
  EXPECT_EQ(big[12345], float(world.worldSize()));
  world.barrier();
}

// ---- all ranks on one node: our shared-memory allreduce (and, on one core, on the calling thread)

const MpiCommunicator& mpiWorld() {
  const auto* mpi = dynamic_cast<const MpiCommunicator*>(&gan::test_support::world());
  EXPECT_NE(mpi, nullptr);
  return *mpi;
}

// Whether every rank holds the same `count` values, bit for bit.
template <typename T>
bool identicalOnEveryRank(const std::vector<T>& values) {
  auto& world = gan::test_support::world();
  std::vector<T> theirs(values.size() * size_t(world.worldSize()));
  const ScalarType type = sizeof(T) == 4 ? ScalarType::Float32 : ScalarType::Float64;
  world.gather({const_cast<T*>(values.data()), values.size(), type, MemorySpace::Host}, theirs.data(), 0);
  int64_t differ = 0;
  if (world.rank() == 0) differ = std::memcmp(theirs.data() + values.size(), theirs.data(),
                                             values.size() * (world.worldSize() - 1) * sizeof(T)) != 0;
  world.broadcast({&differ, 1, ScalarType::Int64, MemorySpace::Host}, 0);
  return differ == 0;
}

// The shared-memory path sums each element over the ranks in rank order, once, and hands that
// one result to every rank: bitwise the same everywhere, and equal to the sequential sum whatever
// the length (chunk edges, lengths below one cache line per rank). Rank 0's large term makes the
// order visible: (1e8 + r1) + r2 differs from 1e8 + (r1 + r2) in float. Averages scale by 1/n.
template <typename T>
void checkRankOrderSums(size_t count, ReduceOp op) {
  auto& world = gan::test_support::world();
  const int n = world.worldSize(), r = world.rank();
  auto value = [](int rank, size_t i) { return rank == 0 ? T(1e8) + T(i % 7) : T(0.37) * T(rank) + T(i % 11) * T(0.11); };
  std::vector<T> values(count);
  for (size_t i = 0; i < count; ++i) values[i] = value(r, i);
  const ScalarType type = sizeof(T) == 4 ? ScalarType::Float32 : ScalarType::Float64;
  world.allreduce({values.data(), count, type, MemorySpace::Host}, {op});
  EXPECT_TRUE(identicalOnEveryRank(values)) << count << " values";
  if (!mpiWorld().reducesThroughSharedMemory()) return;  // MPI's own order: identical is the claim
  for (size_t i = 0; i < count; ++i) {
    T expected = value(0, i);
    for (int k = 1; k < n; ++k) expected += value(k, i);
    if (op == ReduceOp::Average) expected *= T(1) / T(n);
    ASSERT_EQ(values[i], expected) << "element " << i << " of " << count;
  }
}

TEST(MpiCommunicator, OneNodeFloatSumsAreInRankOrderAndBitwiseEqualEverywhere) {
  EXPECT_EQ(mpiWorld().reducesThroughSharedMemory(),
            gan::test_support::world().worldSize() > 1 && std::getenv("GAN_DIST_INTRANODE_ALLREDUCE") == nullptr)
      << "every rank of these tests runs on this machine";
  for (size_t count : {size_t(1), size_t(3), size_t(15), size_t(16), size_t(17), size_t(1000), size_t(262147)}) {
    checkRankOrderSums<float>(count, ReduceOp::Sum);
    checkRankOrderSums<float>(count, ReduceOp::Average);
    checkRankOrderSums<double>(count, ReduceOp::Average);
  }
}

// Integer sums (the step's control word) take the shared-memory path too, exactly: values past
// 2^53 that no float could carry, over chunk edges.
TEST(MpiCommunicator, OneNodeInt64SumsAreExact) {
  auto& world = gan::test_support::world();
  const int n = world.worldSize(), r = world.rank();
  for (size_t count : {size_t(1), size_t(7), size_t(9), size_t(5000)}) {
    std::vector<int64_t> values(count);
    for (size_t i = 0; i < count; ++i) values[i] = (int64_t(1) << 60) / 8 * (r + 1) + int64_t(i) * 3 + r;
    world.allreduce({values.data(), count, ScalarType::Int64, MemorySpace::Host}, {ReduceOp::Sum});
    for (size_t i = 0; i < count; ++i) {
      int64_t expected = 0;
      for (int k = 0; k < n; ++k) expected += (int64_t(1) << 60) / 8 * (k + 1) + int64_t(i) * 3 + k;
      ASSERT_EQ(values[i], expected) << "element " << i << " of " << count;
    }
  }
}

// The breakdown gan_bench ceiling prints: every shared-memory call and every MPI call counted
// since the last take, phase times that add up to no more than the calls took, then zeros.
TEST(MpiCommunicator, CollectiveBreakdownCountsEachPathsCallsSinceTheLastTake) {
  auto& world = gan::test_support::world();
  if (world.worldSize() == 1) GTEST_SKIP() << "one rank makes no collective calls";
  world.barrier();
  world.takeCollectiveBreakdown();
  std::vector<float> gradients(100000, 1.0f);  // the smallest slot: fits even a small /dev/shm
  int64_t largest = world.rank();
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) world.allreduce({gradients.data(), gradients.size()}, {ReduceOp::Average});
  world.allreduce({&largest, 1, ScalarType::Int64, MemorySpace::Host}, {ReduceOp::Max});
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  const auto taken = world.takeCollectiveBreakdown();
  const bool shared = mpiWorld().reducesThroughSharedMemory();
  EXPECT_EQ(taken.shared_memory_calls, shared ? 3 : 0);
  EXPECT_EQ(taken.mpi_calls, shared ? 1 : 4);
  const double phases = taken.copy_in + taken.waiting + taken.summing + taken.copy_out;
  EXPECT_GE(taken.copy_in, 0.0);
  EXPECT_GE(taken.waiting, 0.0);
  EXPECT_EQ(phases > 0, shared);
  EXPECT_LE(phases + taken.through_mpi, elapsed);
  EXPECT_GT(taken.through_mpi, 0.0);
  const auto again = world.takeCollectiveBreakdown();
  EXPECT_EQ(again.shared_memory_calls + again.mpi_calls, 0);
  EXPECT_EQ(again.through_mpi + again.summing, 0.0);
}

// The segment grows collectively when a larger buffer comes (1 MiB, then 12 MiB), buffers past
// its limit go to MPI (20 MiB), and the other operations and types keep their MPI path, all in
// issue order between them.
TEST(MpiCommunicator, OneNodeSumsGrowTheSegmentAndInterleaveWithOtherCollectives) {
  auto& world = gan::test_support::world();
  const int n = world.worldSize(), r = world.rank();
  for (size_t count : {size_t(1000), size_t(3) << 20, size_t(5) << 20, size_t(200)}) {
    std::vector<float> values(count, float(r + 1));
    auto sum = world.allreduceAsync({values.data(), count});
    int64_t largest = r;
    auto max = world.allreduceAsync({&largest, 1, ScalarType::Int64, MemorySpace::Host}, {ReduceOp::Max});
    std::vector<double> mean(77, double(2 * r));
    auto average = world.allreduceAsync({mean.data(), mean.size(), ScalarType::Float64, MemorySpace::Host},
                                        {ReduceOp::Average});
    average->wait(), max->wait(), sum->wait();
    EXPECT_EQ(values.front(), float(n * (n + 1) / 2)) << count;
    EXPECT_EQ(values.back(), float(n * (n + 1) / 2)) << count;
    EXPECT_EQ(largest, n - 1);
    EXPECT_EQ(mean[76], double(n - 1));
  }
}

// Bound to one core, the rank runs its collectives itself: the result is there when the call
// returns, with the start-with-next control word run first, and nothing is left for wait() but to
// report. (mpirun binds each of 2 ranks to a core; oversubscribed runs are not bound.)
TEST(MpiCommunicator, OnOneCoreCollectivesRunOnTheCallingThreadInIssueOrder) {
  auto& world = gan::test_support::world();
  if (!mpiWorld().runsCollectivesOnCaller()) GTEST_SKIP() << "this rank is not bound to one core";
  const int n = world.worldSize();
  std::vector<int64_t> word = {1};
  AllreduceOptions held;
  held.start_with_next = true;
  auto pending = world.allreduceAsync({word.data(), 1, ScalarType::Int64, MemorySpace::Host}, held);
  EXPECT_EQ(word[0], 1) << "a start-with-next allreduce ran before anything was issued behind it";
  std::vector<float> gradient(4096, float(world.rank()));
  auto work = world.allreduceAsync({gradient.data(), gradient.size()}, {ReduceOp::Average});
  EXPECT_EQ(word[0], n);
  EXPECT_EQ(gradient[4095], float(n - 1) / 2.0f);
  EXPECT_GT(work->startedAtMicros(), 0);
  EXPECT_GE(work->startedAtMicros(), pending->startedAtMicros());
  work->wait();
  pending->wait();
}

// ---- 16-bit wire formats (--comm.compress=bf16|fp16): known gradients against closed forms.

// Values every format carries exactly, whose sums it carries exactly too: the result must be
// the float32 path's to the bit.
TEST(MpiCommunicator, SixteenBitAverageOfExactlyRepresentableValuesIsExact) {
  auto& world = gan::test_support::world();
  const int n = world.worldSize(), r = world.rank();
  for (const WireFormat format : {WireFormat::BFloat16, WireFormat::Float16}) {
    // Small integers times a power of two far below fp16's normal range: fp16 still carries
    // them exactly, because the agreed scale lifts them into its range first.
    for (const float unit : {1.0f, 0.125f, std::ldexp(1.0f, -30)}) {
      std::vector<float> values(1000), expected(1000);
      for (size_t i = 0; i < values.size(); ++i) {
        values[i] = float((r + 1) * int(i % 17) - 3) * unit;
        float sum = 0;
        for (int k = 0; k < n; ++k) sum += float((k + 1) * int(i % 17) - 3) * unit;
        expected[i] = sum * (1.0f / float(n));
      }
      world.allreduce({values.data(), values.size()}, {ReduceOp::Average, nullptr, format});
      for (size_t i = 0; i < values.size(); ++i) {
        ASSERT_EQ(values[i], expected[i]) << wireFormatName(format) << ", unit " << unit << ", element " << i;
      }
    }
  }
}

// The rounding is real: 1 + 2^-12 has no bfloat16 (8-bit mantissa) or fp16 (11-bit) form and
// arrives as 1; the float32 path keeps it.
TEST(MpiCommunicator, SixteenBitFormatsRoundToTheirMantissa) {
  auto& world = gan::test_support::world();
  const float value = 1.0f + std::ldexp(1.0f, -12);
  for (const WireFormat format : {WireFormat::BFloat16, WireFormat::Float16, WireFormat::Float32}) {
    std::vector<float> values(64, value);
    world.allreduce({values.data(), values.size()}, {ReduceOp::Average, nullptr, format});
    const float expected = format == WireFormat::Float32 ? value * float(world.worldSize()) * (1.0f / float(world.worldSize()))
                                                         : 1.0f;
    for (float v : values) ASSERT_EQ(v, expected) << wireFormatName(format);
  }
}

// Arbitrary gradients: within the rounding bound of the format against a float64 reference.
// Each value is rounded once on its way in and each partial sum once per reduction step (at
// most n of them), each by half a unit in the last place: 2^-9 (bf16) or 2^-12 (fp16) of
// the magnitudes summed.
TEST(MpiCommunicator, SixteenBitAverageStaysWithinItsRoundingBound) {
  auto& world = gan::test_support::world();
  const int n = world.worldSize(), r = world.rank();
  auto gradient = [](int rank, size_t i) {
    const uint64_t mixed = (uint64_t(rank) * 0x9E3779B97F4A7C15ULL) ^ (uint64_t(i) * 0xBF58476D1CE4E5B9ULL);
    return float(double(mixed >> 11) / double(1ULL << 53) - 0.5) * std::ldexp(1.0f, int(i % 40) - 20);
  };
  for (const auto& [format, half_ulp] : {std::pair{WireFormat::BFloat16, std::ldexp(1.0, -9)},
                                         std::pair{WireFormat::Float16, std::ldexp(1.0, -12)}}) {
    std::vector<float> values(5000);
    for (size_t i = 0; i < values.size(); ++i) values[i] = gradient(r, i);
    world.allreduce({values.data(), values.size()}, {ReduceOp::Average, nullptr, format});
    int64_t rounded = 0;
    for (size_t i = 0; i < values.size(); ++i) {
      double mean = 0, magnitudes = 0;
      for (int k = 0; k < n; ++k) {
        mean += double(gradient(k, i)) / n;
        magnitudes += std::abs(double(gradient(k, i)));
      }
      // fp16's scale leaves its subnormal range to the smallest values of the buffer: their
      // error is bounded by the scale's unit instead, far below the largest values' rounding.
      const double largest = std::ldexp(0.5, 19);
      const double floor = format == WireFormat::Float16 ? largest * n * std::ldexp(1.0, -24 - 14) : 0.0;
      ASSERT_LE(std::abs(double(values[i]) - mean), (n + 1) * half_ulp * magnitudes / n + n * floor)
          << wireFormatName(format) << ", element " << i;
      rounded += double(values[i]) != mean;
    }
    EXPECT_GT(rounded, 0) << wireFormatName(format) << ": nothing was rounded";
  }
}

// fp16 cannot overflow (the scale is agreed from the largest magnitude on any rank) and NaN
// is not hidden: it reaches every rank, so every rank skips the update together.
TEST(MpiCommunicator, HalfPrecisionNeitherOverflowsNorHidesNaN) {
  auto& world = gan::test_support::world();
  const int n = world.worldSize(), r = world.rank();
  std::vector<float> large = {3e9f * float(r + 1), -1e6f, 65504.0f, 1e-30f};
  world.allreduce({large.data(), large.size()}, {ReduceOp::Average, nullptr, WireFormat::Float16});
  EXPECT_NEAR(large[0], 3e9 * (n + 1) / 2.0, 3e9 * (n + 1) / 2.0 * 1e-3);
  EXPECT_NEAR(large[1], -1e6, 1e3);
  EXPECT_NEAR(large[2], 65504.0, 65.0);
  EXPECT_GE(large[3], 0.0f);
  for (const WireFormat format : {WireFormat::BFloat16, WireFormat::Float16}) {
    std::vector<float> values = {1.0f, 2.0f, 3.0f, 4.0f};
    if (r == n - 1) values[2] = std::nanf("");
    world.allreduce({values.data(), values.size()}, {ReduceOp::Average, nullptr, format});
    EXPECT_TRUE(std::isnan(values[2])) << wireFormatName(format);
    EXPECT_EQ(values[0], 1.0f) << wireFormatName(format);
    EXPECT_EQ(values[3], 4.0f) << wireFormatName(format);
  }
}

TEST(MpiCommunicator, GatherAndScatterMoveEachRanksPart) {
  auto& world = gan::test_support::world();
  const int n = world.worldSize(), r = world.rank();
  const int root = n - 1;
  std::vector<float> mine(300);
  for (size_t i = 0; i < mine.size(); ++i) mine[i] = float(r * 1000 + int(i));
  std::vector<float> all(world.rank() == root ? mine.size() * size_t(n) : 0);
  world.gather({mine.data(), mine.size()}, all.data(), root);
  if (r == root) {
    for (int k = 0; k < n; ++k) {
      for (size_t i = 0; i < mine.size(); ++i) ASSERT_EQ(all[size_t(k) * mine.size() + i], float(k * 1000 + int(i)));
    }
    for (auto& value : all) value = -value;
  }
  std::vector<float> back(mine.size());
  world.scatter(all.data(), {back.data(), back.size()}, root);
  for (size_t i = 0; i < back.size(); ++i) ASSERT_EQ(back[i], -mine[i]);
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
