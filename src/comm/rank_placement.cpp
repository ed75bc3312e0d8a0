#include "comm/rank_placement.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <sstream>

namespace gan::comm {

namespace {
constexpr size_t kHostBytes = 64;
}  // namespace

std::string thisHostName() {
  char name[256] = {0};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown-host";
  return name;
}

std::vector<RankPlacement> gatherPlacements(Communicator& communicator) {
  const auto world = static_cast<size_t>(communicator.worldSize());
  const auto rank = static_cast<size_t>(communicator.rank());
  // Each rank fills its own slots; everything else is zero, so a sum gathers.
  std::vector<uint8_t> hosts(world * kHostBytes, 0);
  const std::string host = thisHostName().substr(0, kHostBytes - 1);
  std::copy(host.begin(), host.end(), hosts.begin() + static_cast<std::ptrdiff_t>(rank * kHostBytes));
  std::vector<int64_t> locals(world * 2, 0);
  locals[rank * 2] = communicator.localRank();
  locals[rank * 2 + 1] = communicator.localSize();
  communicator.allreduce({hosts.data(), hosts.size(), ScalarType::UInt8, MemorySpace::Host}, {ReduceOp::Max});
  communicator.allreduce({locals.data(), locals.size(), ScalarType::Int64, MemorySpace::Host}, {ReduceOp::Sum});

  std::vector<RankPlacement> placements(world);
  for (size_t r = 0; r < world; ++r) {
    const char* slot = reinterpret_cast<const char*>(hosts.data() + r * kHostBytes);
    placements[r].host.assign(slot, strnlen(slot, kHostBytes));
    placements[r].local_rank = static_cast<int>(locals[r * 2]);
    placements[r].local_size = static_cast<int>(locals[r * 2 + 1]);
  }
  return placements;
}

std::string rankRanges(std::vector<int> ranks) {
  std::sort(ranks.begin(), ranks.end());
  std::ostringstream out;
  for (size_t i = 0; i < ranks.size();) {
    size_t j = i;
    while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1) ++j;
    out << (i == 0 ? "" : ",") << ranks[i];
    if (j > i) out << "-" << ranks[j];
    i = j + 1;
  }
  return out.str();
}

namespace {
// Hosts in order of their first rank, each with its ranks.
std::vector<std::pair<std::string, std::vector<int>>> ranksByHost(const std::vector<RankPlacement>& placements) {
  std::vector<std::pair<std::string, std::vector<int>>> hosts;
  std::map<std::string, size_t> index;
  for (size_t r = 0; r < placements.size(); ++r) {
    auto [it, inserted] = index.emplace(placements[r].host, hosts.size());
    if (inserted) hosts.push_back({placements[r].host, {}});
    hosts[it->second].second.push_back(static_cast<int>(r));
  }
  return hosts;
}
}  // namespace

std::string describePlacements(const std::vector<RankPlacement>& placements) {
  const auto hosts = ranksByHost(placements);
  std::ostringstream out;
  out << hosts.size() << " node(s): ";
  for (size_t i = 0; i < hosts.size(); ++i) {
    const auto& ranks = hosts[i].second;
    out << (i == 0 ? "" : ", ") << hosts[i].first << " rank" << (ranks.size() > 1 ? "s " : " ") << rankRanges(ranks);
  }
  return out.str();
}

std::string placementInconsistency(const std::vector<RankPlacement>& placements) {
  for (const auto& [host, ranks] : ranksByHost(placements)) {
    for (size_t position = 0; position < ranks.size(); ++position) {
      const auto& p = placements[static_cast<size_t>(ranks[position])];
      if (p.local_rank != static_cast<int>(position) || p.local_size != static_cast<int>(ranks.size())) {
        std::ostringstream out;
        out << "rank " << ranks[position] << " on host " << host << " has node-local rank " << p.local_rank << " of "
            << p.local_size << ", but it is rank " << position << " of the " << ranks.size() << " rank(s) named "
            << host << " (do two nodes share a hostname?)";
        return out.str();
      }
    }
  }
  return "";
}

}  // namespace gan::comm
