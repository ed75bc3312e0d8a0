#include "comm/readiness_agreement.h"

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <vector>

#include "common/error.h"

namespace gan::comm {

namespace {
// The first failing rank's text travels in a fixed buffer: every rank must pass the same count.
constexpr size_t kProblemTextBytes = 512;
}  // namespace

void requireEveryRankReady(Communicator& communicator, const std::string& local_problem, const std::string& what) {
  const int world = communicator.worldSize();
  std::vector<int64_t> failing(static_cast<size_t>(world), 0);
  failing[static_cast<size_t>(communicator.rank())] = local_problem.empty() ? 0 : 1;
  communicator.allreduce({failing.data(), failing.size(), ScalarType::Int64, MemorySpace::Host}, {ReduceOp::Sum});

  std::vector<int> failing_ranks;
  for (int r = 0; r < world; ++r) {
    if (failing[static_cast<size_t>(r)] != 0) failing_ranks.push_back(r);
  }
  if (failing_ranks.empty()) return;

  const int first = failing_ranks.front();
  std::vector<char> text(kProblemTextBytes, '\0');
  if (communicator.rank() == first) {
    std::copy_n(local_problem.begin(), std::min(local_problem.size(), kProblemTextBytes - 1), text.begin());
  }
  communicator.broadcast({text.data(), text.size(), ScalarType::UInt8, MemorySpace::Host}, first);
  text.back() = '\0';

  std::ostringstream message;
  message << what << ": rank " << first << ": " << text.data();
  if (failing_ranks.size() > 1) {
    message << " (also failing: rank";
    if (failing_ranks.size() > 2) message << "s";
    for (size_t i = 1; i < failing_ranks.size(); ++i) message << (i == 1 ? " " : ", ") << failing_ranks[i];
    message << ")";
  }
  throw Error(message.str());
}

}  // namespace gan::comm
