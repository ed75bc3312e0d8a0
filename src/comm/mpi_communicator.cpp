#include "comm/mpi_communicator.h"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>

#include "comm/mpi_check.h"
#include "comm/shared_memory_allreduce.h"
#include "common/log.h"

namespace gan::comm {

namespace detail {
void throwMpiError(int code, const char* call, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING] = {0};
  int length = 0;
  MPI_Error_string(code, text, &length);
  int rank = -1, initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  GAN_FAIL("MPI error on rank ", rank, " in ", call, " (", file, ":", line, "): ", text);
}
}  // namespace detail

namespace {

MPI_Datatype mpiType(ScalarType type) {
  switch (type) {
    case ScalarType::Float32: return MPI_FLOAT;
    case ScalarType::Float64: return MPI_DOUBLE;
    case ScalarType::Int64: return MPI_INT64_T;
    case ScalarType::UInt8: return MPI_UINT8_T;
  }
  GAN_FAIL("unknown scalar type");
}

MPI_Op mpiOp(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Average: return MPI_SUM;
    case ReduceOp::Max: return MPI_MAX;
    case ReduceOp::Min: return MPI_MIN;
  }
  GAN_FAIL("unknown reduce op");
}

// x * (1/n) rather than x / n: a vector division costs several times a multiplication, and
// for power-of-two world sizes the two are bitwise equal.
void scaleToMean(const BufferView& buffer, int world) {
  switch (buffer.type) {
    case ScalarType::Float32: {
      auto* values = static_cast<float*>(buffer.data);
      const float scale = 1.0f / float(world);
      for (size_t i = 0; i < buffer.count; ++i) values[i] *= scale;
      return;
    }
    case ScalarType::Float64: {
      auto* values = static_cast<double*>(buffer.data);
      const double scale = 1.0 / double(world);
      for (size_t i = 0; i < buffer.count; ++i) values[i] *= scale;
      return;
    }
    default: GAN_FAIL("ReduceOp::Average needs a floating-point buffer");
  }
}

// The reduction steps of a 16-bit allreduce: MPI applies them to each chunk it combines.
void sumBfloat16(void* in, void* inout, int* count, MPI_Datatype*) {
  addBfloat16(static_cast<const uint16_t*>(in), static_cast<uint16_t*>(inout), static_cast<size_t>(*count));
}
void sumHalf(void* in, void* inout, int* count, MPI_Datatype*) {
  addHalf(static_cast<const uint16_t*>(in), static_cast<uint16_t*>(inout), static_cast<size_t>(*count));
}

// Created once per process (after MPI_Init), used by every communicator; MPI frees them at finalize.
struct SixteenBitSums {
  MPI_Op bfloat16 = MPI_OP_NULL;
  MPI_Op half = MPI_OP_NULL;
};
const SixteenBitSums& sixteenBitSums() {
  static const SixteenBitSums sums = [] {
    SixteenBitSums created;
    MPI_CHECK(MPI_Op_create(&sumBfloat16, /*commute=*/1, &created.bfloat16));
    MPI_CHECK(MPI_Op_create(&sumHalf, /*commute=*/1, &created.half));
    return created;
  }();
  return sums;
}

// The escape hatch for the shared-memory path, read once per process.
bool intranodeAllreduceIsMpi() {
  const char* choice = std::getenv("GAN_DIST_INTRANODE_ALLREDUCE");
  if (choice == nullptr || std::string(choice).empty() || std::string(choice) == "shared_memory") return false;
  GAN_CHECK(std::string(choice) == "mpi", "GAN_DIST_INTRANODE_ALLREDUCE must be shared_memory or mpi, got '",
            choice, "'");
  return true;
}

// The one CPU this process is bound to, or -1 when it may run on several.
int onlyBoundCpu() {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (sched_getaffinity(0, sizeof cpus, &cpus) != 0 || CPU_COUNT(&cpus) != 1) return -1;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &cpus)) return cpu;
  }
  return -1;
}

// Whether every rank of this node is bound to a CPU of its own: a collective over the node. One
// rank's one-CPU mask alone does not say it: two ranks bound to the same CPU (a rankfile, a
// hand-made taskset) would both spin while the other needs that CPU.
bool nodeRanksHaveOwnCpus(MPI_Comm node_comm, int local_size) {
  const int mine = onlyBoundCpu();
  std::vector<int> all(static_cast<size_t>(local_size), -1);
  MPI_CHECK(MPI_Allgather(&mine, 1, MPI_INT, all.data(), 1, MPI_INT, node_comm));
  std::sort(all.begin(), all.end());
  return all.front() >= 0 && std::adjacent_find(all.begin(), all.end()) == all.end();
}

int checkedCount(const BufferView& buffer) {
  GAN_CHECK(buffer.space == MemorySpace::Host,
            "the mpi backend reduces host memory only; use --comm.backend=nccl for GPU tensors");
  GAN_CHECK(buffer.count <= static_cast<size_t>(INT32_MAX), "MPI collective of ", buffer.count,
            " elements exceeds the int count limit");
  return static_cast<int>(buffer.count);
}

}  // namespace

// One queued collective: run to completion (a blocking MPI call) on the communication thread,
// while the training thread goes on until it waits for the result (or run by the training
// thread itself, when the rank has one core).
class MpiCommunicator::Task final : public Work {
 public:
  // `holder`: the communicator that queued it held back (AllreduceOptions::start_with_next).
  Task(std::function<void()> start, MpiCommunicator* holder)
      : held_back(holder != nullptr), start_(std::move(start)), holder_(holder) {}

  // Still waiting in the queue for a task behind it or a release; guarded by the
  // communicator's mutex, not by this task's.
  bool held_back;

  // Runs on the communication thread, or on the caller's.
  void run() {
    const auto began = std::chrono::steady_clock::now();
    const int64_t began_wall_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
    std::string error;
    try {
      start_();
    } catch (const std::exception& e) {
      error = e.what();
    }
    const auto ended = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mutex_);
    seconds_ = std::chrono::duration<double>(ended - began).count();
    started_us_ = began_wall_us;
    error_ = error;
    done_ = true;
    finished_.notify_all();
  }

  void wait() override {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!done_ && holder_) {
      // Not run yet, so the communicator still has it queued (and is alive): start it now. Without
      // this task's lock: on the calling thread the release runs it here.
      lock.unlock();
      holder_->release(*this);
      lock.lock();
    }
    finished_.wait(lock, [this] { return done_; });
    if (!error_.empty()) throw Error(error_);
  }

  double collectiveSeconds() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return seconds_;
  }

  int64_t startedAtMicros() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return started_us_;
  }

 private:
  std::function<void()> start_;
  MpiCommunicator* const holder_;
  mutable std::mutex mutex_;
  std::condition_variable finished_;
  bool done_ = false;
  double seconds_ = 0.0;
  int64_t started_us_ = 0;
  std::string error_;
};

MpiCommunicator::MpiCommunicator() {
  int initialized = 0;
  MPI_CHECK(MPI_Initialized(&initialized));
  if (!initialized) {
    int provided = 0;
    MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided));
    owns_mpi_init_ = true;
    GAN_CHECK(provided >= MPI_THREAD_SERIALIZED,
              "MPI library provides thread level ", provided,
              ", gan_dist needs MPI_THREAD_SERIALIZED (a dedicated communication thread)");
  } else {
    int provided = 0;
    MPI_CHECK(MPI_Query_thread(&provided));
    GAN_CHECK(provided >= MPI_THREAD_SERIALIZED,
              "MPI was initialised with thread level ", provided,
              "; gan_dist needs MPI_THREAD_SERIALIZED or higher");
  }
  // Errors come back as codes so MPI_CHECK can name the call, file and rank.
  MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
  MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &world_size_));
  MPI_Comm node_comm;
  MPI_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node_comm));
  MPI_CHECK(MPI_Comm_rank(node_comm, &local_rank_));
  MPI_CHECK(MPI_Comm_size(node_comm, &local_size_));
  const bool own_cpus = nodeRanksHaveOwnCpus(node_comm, local_size_);
  MPI_CHECK(MPI_Comm_free(&node_comm));
  sixteenBitSums();
  if (world_size_ > 1 && local_size_ == world_size_ && !intranodeAllreduceIsMpi()) {
    runs_on_caller_ = own_cpus;
    shared_memory_ = std::make_unique<SharedMemoryAllreduce>(rank_, world_size_, runs_on_caller_);
  }
  worker_ = std::thread([this] { communicationLoop(); });
}

MpiCommunicator::~MpiCommunicator() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  queue_changed_.notify_all();
  if (worker_.joinable()) worker_.join();
  shared_memory_.reset();  // collective, like the finalize below: every rank gets here at shutdown
  if (owns_mpi_init_) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
}

std::string MpiCommunicator::describeAllreduce() const {
  if (world_size_ == 1) return "";
  std::string text = shared_memory_ ? "allreduce: float sums through shared memory (all ranks on one node)"
                                    : "allreduce: MPI_Allreduce";
  text += runs_on_caller_ ? ", run by the training thread (one core per rank)" : ", on a communication thread";
  return text;
}

void MpiCommunicator::communicationLoop() {
  for (;;) {
    std::shared_ptr<Task> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // A task held back waits for one behind it (or a release); at shutdown everything runs.
      queue_changed_.wait(lock, [this] { return stopping_ || startable_ > 0; });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
      if (task->held_back) {
        task->held_back = false;  // started by a task behind it, or by the shutdown
      } else {
        startable_ -= 1;
      }
    }
    task->run();
  }
}

std::shared_ptr<Work> MpiCommunicator::enqueue(std::function<void()> collective, bool held_back) {
  auto task = std::make_shared<Task>(std::move(collective), held_back ? this : nullptr);
  if (runs_on_caller_ && !held_back) {
    runQueuedThen(nullptr, task);
    return task;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    GAN_CHECK(!stopping_, "collective issued on a communicator that is shutting down");
    queue_.push_back(task);
    if (held_back) return task;
    startable_ += 1;
  }
  queue_changed_.notify_one();
  return task;
}

void MpiCommunicator::runQueuedThen(const Task* last_queued, const std::shared_ptr<Task>& task) {
  std::deque<std::shared_ptr<Task>> due;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    GAN_CHECK(!stopping_, "collective issued on a communicator that is shutting down");
    // Only held-back tasks wait in the queue when collectives run on the caller.
    while (!queue_.empty()) {
      due.push_back(std::move(queue_.front()));
      queue_.pop_front();
      due.back()->held_back = false;
      if (due.back().get() == last_queued) break;
    }
  }
  for (auto& earlier : due) earlier->run();
  if (task) task->run();
}

void MpiCommunicator::release(Task& task) {
  if (runs_on_caller_) {
    bool queued = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queued = task.held_back;
    }
    if (queued) runQueuedThen(&task, nullptr);  // it and any held back before it, in order
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!task.held_back) return;  // already released or taken by the communication thread
    task.held_back = false;
    startable_ += 1;
  }
  queue_changed_.notify_one();
}

std::shared_ptr<Work> MpiCommunicator::allreduceAsync(BufferView buffer, AllreduceOptions options) {
  const int count = checkedCount(buffer);
  GAN_CHECK(options.op != ReduceOp::Average || buffer.type == ScalarType::Float32 ||
                buffer.type == ScalarType::Float64,
            "ReduceOp::Average needs a floating-point buffer");
  if (options.wire != WireFormat::Float32) {
    GAN_CHECK(buffer.type == ScalarType::Float32 && (options.op == ReduceOp::Sum || options.op == ReduceOp::Average),
              "a ", wireFormatName(options.wire), " allreduce needs a float32 buffer and a sum or average");
    return enqueue([this, buffer, options] { allreduceIn16Bits(buffer, options); });
  }
  if (world_size_ == 1) return enqueue([] {});
  const int world = world_size_;
  auto through_mpi = [buffer, count, options, world] {
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, buffer.data, count, mpiType(buffer.type), mpiOp(options.op), MPI_COMM_WORLD));
    if (options.op == ReduceOp::Average) scaleToMean(buffer, world);
  };
  if (shared_memory_ && SharedMemoryAllreduce::handles(buffer, options.op)) {
    return enqueue(
        [this, buffer, options, through_mpi] {
          if (!shared_memory_->allreduce(buffer, options.op)) through_mpi();
        },
        options.start_with_next);
  }
  return enqueue(through_mpi, options.start_with_next);
}

void MpiCommunicator::allreduceIn16Bits(BufferView buffer, AllreduceOptions options) {
  auto* values = static_cast<float*>(buffer.data);
  const size_t count = buffer.count;
  wire_.resize(count);
  if (options.wire == WireFormat::BFloat16) {
    encodeBfloat16(values, wire_.data(), count);
    if (world_size_ > 1) {
      MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, wire_.data(), static_cast<int>(count), MPI_UINT16_T,
                              sixteenBitSums().bfloat16, MPI_COMM_WORLD));
    }
    decodeBfloat16(wire_.data(), values, count);
  } else {
    // Every rank must scale by the same power of two: agree on the largest magnitude first
    // (one float, latency only), then no partial sum can leave fp16's range.
    float largest = largestMagnitude(values, count);
    if (world_size_ > 1) MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &largest, 1, MPI_FLOAT, MPI_MAX, MPI_COMM_WORLD));
    const float scale = halfScaleFor(largest, world_size_);
    encodeHalf(values, scale, wire_.data(), count);
    if (world_size_ > 1) {
      MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, wire_.data(), static_cast<int>(count), MPI_UINT16_T, sixteenBitSums().half,
                              MPI_COMM_WORLD));
    }
    decodeHalf(wire_.data(), 1.0f / scale, values, count);
  }
  if (options.op == ReduceOp::Average) scaleToMean(buffer, world_size_);
}

void MpiCommunicator::gather(BufferView send, void* receive, int root) {
  const int count = checkedCount(send);
  enqueue([send, receive, root, count] {
    MPI_CHECK(MPI_Gather(send.data, count, mpiType(send.type), receive, count, mpiType(send.type), root,
                         MPI_COMM_WORLD));
  })->wait();
}

void MpiCommunicator::scatter(const void* send, BufferView receive, int root) {
  const int count = checkedCount(receive);
  enqueue([send, receive, root, count] {
    MPI_CHECK(MPI_Scatter(send, count, mpiType(receive.type), receive.data, count, mpiType(receive.type), root,
                          MPI_COMM_WORLD));
  })->wait();
}

void MpiCommunicator::broadcast(BufferView buffer, int root, BroadcastOptions) {
  const int count = checkedCount(buffer);
  enqueue([buffer, count, root] {
    MPI_CHECK(MPI_Bcast(buffer.data, count, mpiType(buffer.type), root, MPI_COMM_WORLD));
  })->wait();
}

void MpiCommunicator::barrier() {
  enqueue([] { MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD)); })->wait();
}

void MpiCommunicator::abortJob(int exit_code) noexcept {
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);  // MPI_Abort does not return; this is for a broken MPI.
}

}  // namespace gan::comm
