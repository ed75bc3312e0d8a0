#include "comm/local_communicator.h"

#include <cstdlib>

namespace gan::comm {
namespace {
class CompletedWork final : public Work {
 public:
  void wait() override {}
};
}  // namespace

std::shared_ptr<Work> LocalCommunicator::allreduceAsync(BufferView, AllreduceOptions) {
  // The sum (or max, min) over one rank is the buffer itself.
  return std::make_shared<CompletedWork>();
}

void LocalCommunicator::abortJob(int exit_code) noexcept { std::_Exit(exit_code); }

}  // namespace gan::comm
