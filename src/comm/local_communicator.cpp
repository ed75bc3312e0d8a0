#include "comm/local_communicator.h"

#include <cstdlib>
#include <cstring>

namespace gan::comm {
namespace {
class CompletedWork final : public Work {
 public:
  void wait() override {}
};
}  // namespace

std::shared_ptr<Work> LocalCommunicator::allreduceAsync(BufferView buffer, AllreduceOptions options) {
  // The sum (or max, min) over one rank is the buffer itself, as it arrives after the wire: a
  // compressed format rounds here too, so one rank trains like N ranks do.
  if (options.wire != WireFormat::Float32 && buffer.type == ScalarType::Float32) {
    roundTripThroughWire(options.wire, static_cast<float*>(buffer.data), buffer.count);
  }
  return std::make_shared<CompletedWork>();
}

void LocalCommunicator::gather(BufferView send, void* receive, int) {
  if (receive != send.data) std::memcpy(receive, send.data, send.bytes());
}

void LocalCommunicator::scatter(const void* send, BufferView receive, int) {
  if (receive.data != send) std::memcpy(receive.data, send, receive.bytes());
}

void LocalCommunicator::abortJob(int exit_code) noexcept { std::_Exit(exit_code); }

}  // namespace gan::comm
