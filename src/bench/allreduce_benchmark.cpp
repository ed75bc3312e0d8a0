#include "bench/allreduce_benchmark.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "comm/raw_mpi.h"
#include "common/log.h"
#include "parallel/flat_parameters.h"
#include "parallel/gradient_buckets.h"

namespace gan::bench {
namespace {

// A module whose parameters total `count` floats, in chunks, standing in for a network.
class FlatBlob : public torch::nn::Module {
 public:
  explicit FlatBlob(int64_t count) {
    constexpr int64_t kChunk = 1 << 20;
    for (int64_t offset = 0, i = 0; offset < count; offset += kChunk, ++i) {
      register_parameter("p" + std::to_string(i), torch::zeros({std::min(kChunk, count - offset)}));
    }
  }
};

// allreduce bus bandwidth: every byte crosses 2(n-1)/n links (nccl-tests' convention).
double busFactor(int world) { return world > 1 ? 2.0 * (world - 1) / world : 0.0; }

}  // namespace

int64_t runAllreduceBenchmark(comm::Communicator& communicator, const AllreduceBenchmarkOptions& options) {
  const int world = communicator.worldSize();
  const int rank = communicator.rank();
  const auto bucket_bytes = static_cast<int64_t>(options.bucket_mb * 1024 * 1024);
  log0f("# gan_bench allreduce: ", world, " rank(s), backend ", communicator.backendName(), ", float32 mean, bucket ",
        options.bucket_mb, " MiB; best of ", options.iterations, " iterations (fewer above 16 MiB)");
  log0("#                          bucketed path (GradientBuckets)        one raw MPI_Allreduce");
  log0("#        size     count  buckets  time(us)  algbw(GB/s) busbw(GB/s)  time(us)  algbw  busbw   bus%  #wrong");
  int64_t total_wrong = 0;
  for (int64_t bytes = options.min_bytes; bytes <= options.max_bytes; bytes *= 2) {
    const int64_t count = bytes / 4;
    const int iterations = bytes > (16 << 20) ? std::max(3, options.iterations / 4) : options.iterations;
    FlatBlob blob(count);
    parallel::FlatParameters flat(blob);
    parallel::GradientBuckets buckets("bench", flat, communicator, bucket_bytes);

    // Correctness first, untimed: rank-dependent gradients must come back as their mean,
    // (i mod 97) + rank averaged over ranks = (i mod 97) + (world - 1) / 2.
    buckets.beginBackward();
    flat.grads().copy_(torch::arange(count, torch::kFloat32).remainder(97).add(float(rank)));
    buckets.finishAndAverage();
    const auto expected = torch::arange(count, torch::kFloat32).remainder(97).add(float(world - 1) / 2.0f);
    const int64_t wrong = (flat.grads() - expected).abs().gt(1e-3).sum().item<int64_t>();

    // Timed: gradients "ready", every bucket launched, reduced and averaged. Arming the hooks
    // (beginBackward zeroes the buffer) stays outside the timing, as for the raw call.
    double best = 1e30;
    for (int i = 0; i < iterations; ++i) {
      buckets.beginBackward();
      communicator.barrier();
      const auto start = std::chrono::steady_clock::now();
      buckets.finishAndAverage();
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    buckets.takeStats();
    double raw = 0;
    if (world > 1) {
      raw = comm::timeRawMpiAllreduce(communicator, flat.grads().data_ptr<float>(), static_cast<size_t>(count),
                                      iterations);
    }
    int64_t wrong_all = wrong;
    communicator.allreduce({&wrong_all, 1, comm::ScalarType::Int64, comm::MemorySpace::Host});
    total_wrong += wrong_all;

    const double algbw = double(bytes) / best / 1e9;
    const double raw_algbw = raw > 0 ? double(bytes) / raw / 1e9 : 0.0;
    char line[256];
    std::snprintf(line, sizeof line, "%13ld %9ld %8zu %9.1f %12.2f %11.2f %9.1f %6.2f %6.2f %6.1f %7ld", long(bytes),
                  long(count), buckets.bucketCount(), best * 1e6, algbw, algbw * busFactor(world), raw * 1e6,
                  raw_algbw, raw_algbw * busFactor(world), raw > 0 ? 100.0 * raw / best : 0.0, long(wrong_all));
    log0(line);
  }
  log0f("# bus% = bucketed busbw as a percentage of raw MPI_Allreduce busbw; wrong values: ", total_wrong);
  return total_wrong;
}

}  // namespace gan::bench
