#include "comm/shared_memory_allreduce.h"

#include <sched.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <new>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "comm/mpi_check.h"
#include "common/error.h"

namespace gan::comm {
namespace {

// Each rank's segment: a page with its arrival counter, then the two slots.
constexpr size_t kCounterPage = 4096;
// Chunks start on cache lines, so two ranks never write one line.
constexpr size_t kLine = 64;

std::atomic<uint64_t>& arrivalCounter(char* segment) { return *reinterpret_cast<std::atomic<uint64_t>*>(segment); }

// memcpy with non-temporal stores for the aligned body (see the header for why).
void streamCopy(char* dst, const char* src, size_t bytes) {
#if defined(__SSE2__)
  const size_t head = std::min(bytes, (16 - reinterpret_cast<uintptr_t>(dst) % 16) % 16);
  std::memcpy(dst, src, head);
  dst += head, src += head, bytes -= head;
  for (; bytes >= 64; dst += 64, src += 64, bytes -= 64) {
    for (int i = 0; i < 4; ++i) {
      _mm_stream_si128(reinterpret_cast<__m128i*>(dst) + i, _mm_loadu_si128(reinterpret_cast<const __m128i*>(src) + i));
    }
  }
#endif
  std::memcpy(dst, src, bytes);
}

// [begin, end) of `rank`'s chunk of `count` elements of `element_bytes`.
std::pair<size_t, size_t> chunkOf(int rank, int world, size_t count, size_t element_bytes) {
  const size_t per_line = kLine / element_bytes;
  const size_t chunk = ((count + world - 1) / world + per_line - 1) / per_line * per_line;
  const size_t begin = std::min(count, size_t(rank) * chunk);
  return {begin, std::min(count, begin + chunk)};
}

}  // namespace

SharedMemoryAllreduce::SharedMemoryAllreduce(int rank, int world_size, bool ranks_have_own_cores)
    : rank_(rank), world_size_(world_size), yield_while_waiting_(!ranks_have_own_cores), bases_(world_size, nullptr) {}

SharedMemoryAllreduce::~SharedMemoryAllreduce() {
  if (window_ != MPI_WIN_NULL) MPI_Win_free(&window_);
}

bool SharedMemoryAllreduce::handles(const BufferView& buffer, ReduceOp op) {
  if (buffer.space != MemorySpace::Host || buffer.bytes() > kMaxBytes) return false;
  const bool floats = buffer.type == ScalarType::Float32 || buffer.type == ScalarType::Float64;
  return (floats && (op == ReduceOp::Sum || op == ReduceOp::Average)) ||
         (buffer.type == ScalarType::Int64 && op == ReduceOp::Sum);
}

bool SharedMemoryAllreduce::reserve(size_t bytes) {
  if (bytes <= slot_bytes_) return true;
  size_t slot_bytes = std::max<size_t>(slot_bytes_, size_t(1) << 20);
  while (slot_bytes < bytes) slot_bytes *= 2;
  if (slot_bytes >= refused_bytes_) return false;
  // Open MPI backs the segment with a file in /dev/shm; a full tmpfs would only show as SIGBUS
  // when a page is first touched, so every rank looks for room first (twice the segments: Open
  // MPI's own files live there too) and all agree.
  const size_t segment_bytes = kCounterPage + 2 * slot_bytes;
  struct statvfs shm {};
  int64_t room = statvfs("/dev/shm", &shm) == 0 &&
                 uint64_t(shm.f_bavail) * shm.f_frsize >= 2 * segment_bytes * size_t(world_size_);
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &room, 1, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD));
  if (room == 0) {
    refused_bytes_ = slot_bytes;
    return false;
  }
  if (window_ != MPI_WIN_NULL) {
    MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));  // no peer still copies out of the old slots
    MPI_CHECK(MPI_Win_free(&window_));
  }
  MPI_Info info;
  MPI_CHECK(MPI_Info_create(&info));
  // Each rank's segment on its own pages (and, on a NUMA node, its own memory).
  MPI_CHECK(MPI_Info_set(info, "alloc_shared_noncontig", "true"));
  char* mine = nullptr;
  const int code = MPI_Win_allocate_shared(static_cast<MPI_Aint>(segment_bytes), 1, info, MPI_COMM_WORLD, &mine,
                                           &window_);
  MPI_Info_free(&info);
  MPI_CHECK(code);
  for (int r = 0; r < world_size_; ++r) {
    MPI_Aint size = 0;
    int unit = 0;
    MPI_CHECK(MPI_Win_shared_query(window_, r, &size, &unit, &bases_[r]));
  }
  slot_bytes_ = slot_bytes;
  new (&arrivalCounter(mine)) std::atomic<uint64_t>(0);
  arrivals_ = 0;
  set_ = 0;
  MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));  // every counter is zero before anyone counts
  return true;
}

void SharedMemoryAllreduce::arriveAndWait() {
#if defined(__SSE2__)
  _mm_sfence();  // the streamed stores are visible before the counter says so
#endif
  arrivalCounter(bases_[rank_]).store(++arrivals_, std::memory_order_release);
  for (int r = 0; r < world_size_; ++r) {
    int spins = 0;
    while (arrivalCounter(bases_[r]).load(std::memory_order_acquire) < arrivals_) {
      if (yield_while_waiting_ && ++spins >= 256) {
        sched_yield();  // a late peer may need this core (more ranks than cores)
      } else {
#if defined(__SSE2__)
        _mm_pause();
#endif
      }
    }
  }
}

bool SharedMemoryAllreduce::allreduce(const BufferView& buffer, ReduceOp op) {
  GAN_CHECK(handles(buffer, op), "shared-memory allreduce of an unsupported buffer or operation");
  if (buffer.count == 0) return true;
  if (!reserve(buffer.bytes())) return false;
  const bool average = op == ReduceOp::Average;
  if (buffer.type == ScalarType::Float32) {
    reduce(static_cast<float*>(buffer.data), buffer.count, average);
  } else if (buffer.type == ScalarType::Int64) {
    reduce(static_cast<int64_t*>(buffer.data), buffer.count, false);
  } else {
    reduce(static_cast<double*>(buffer.data), buffer.count, average);
  }
  return true;
}

template <typename T>
void SharedMemoryAllreduce::reduce(T* data, size_t count, bool average) {
  const int set = set_;
  set_ ^= 1;  // a peer may still read this call's slots while we fill the next call's
  auto slotOf = [&](int r) { return reinterpret_cast<T*>(bases_[r] + kCounterPage + size_t(set) * slot_bytes_); };
  // Plain variables, not a structured binding: C++17 lambdas cannot capture those.
  const auto chunk = chunkOf(rank_, world_size_, count, sizeof(T));
  const size_t begin = chunk.first, end = chunk.second;

  // Phase times for gan_bench's breakdown: five clock reads a call, against ~100 us calls.
  using Clock = std::chrono::steady_clock;
  auto phase = Clock::now();
  auto lap = [&phase](double& into) {
    const auto now = Clock::now();
    into += std::chrono::duration<double>(now - phase).count();
    phase = now;
  };
  breakdown_.shared_memory_calls += 1;

  // 1. The other ranks' chunks of this rank's data into its slot.
  T* mine = slotOf(rank_);
  for (int r = 0; r < world_size_; ++r) {
    if (r == rank_) continue;
    const auto [b, e] = chunkOf(r, world_size_, count, sizeof(T));
    streamCopy(reinterpret_cast<char*>(mine + b), reinterpret_cast<const char*>(data + b), (e - b) * sizeof(T));
  }
  lap(breakdown_.copy_in);
  arriveAndWait();
  lap(breakdown_.waiting);

  // 2. This rank's chunk, summed over the ranks in rank order, scaled, into its buffer and into its
  // slot for the others: one pass over the sources, block by block through a buffer that stays
  // in L1 (four passes over the whole chunk: 15% slower). The slot gets non-temporal stores like
  // the copy above; the peers read it next, from memory rather than line by line from this
  // core's cache (which made their copy back up to 6x slower when tried).
  constexpr size_t kBlock = 4096 / sizeof(T) * 4;
  alignas(64) T block[kBlock];
  auto rowOf = [&](int r) { return (r == rank_ ? data : slotOf(r)) + begin; };
  // x * (1/n), as the MPI path: for power-of-two world sizes bitwise equal to x / n.
  const T scale = average ? T(1) / T(world_size_) : T(1);
  for (size_t at = 0; at < end - begin; at += kBlock) {
    const size_t n = std::min(kBlock, end - begin - at);
    std::memcpy(block, rowOf(0) + at, n * sizeof(T));
    for (int r = 1; r < world_size_; ++r) {
      const T* row = rowOf(r) + at;
      for (size_t i = 0; i < n; ++i) block[i] += row[i];
    }
    if (average) {
      for (size_t i = 0; i < n; ++i) block[i] *= scale;
    }
    std::memcpy(data + begin + at, block, n * sizeof(T));
    streamCopy(reinterpret_cast<char*>(mine + begin + at), reinterpret_cast<const char*>(block), n * sizeof(T));
  }
  lap(breakdown_.summing);
  arriveAndWait();
  lap(breakdown_.waiting);

  // 3. The other ranks' finished chunks.
  for (int r = 0; r < world_size_; ++r) {
    if (r == rank_) continue;
    const auto [b, e] = chunkOf(r, world_size_, count, sizeof(T));
    std::memcpy(data + b, slotOf(r) + b, (e - b) * sizeof(T));
  }
  lap(breakdown_.copy_out);
}

CollectiveBreakdown SharedMemoryAllreduce::takeBreakdown() {
  CollectiveBreakdown taken = breakdown_;
  breakdown_ = CollectiveBreakdown();
  return taken;
}

}  // namespace gan::comm
