#include "common/run_directory.h"

#include <cstdio>
#include <cstdlib>

namespace gan {

std::string RunDirectory::timeline(const std::string& configured) const {
  if (configured.empty() || std::filesystem::path(configured).is_absolute()) return configured;
  return (root_ / configured).string();
}

std::filesystem::path RunDirectory::hangRecord(int rank) const {
  char name[32];
  std::snprintf(name, sizeof name, "rank_%05d.json", rank);
  return hangRecords() / name;
}

std::string RunDirectory::stepName(int64_t step) {
  char name[32];
  std::snprintf(name, sizeof name, "step_%08lld", static_cast<long long>(step));
  return name;
}

int64_t RunDirectory::stepOfName(const std::string& name) {
  if (name.rfind("step_", 0) != 0 || name.size() == 5) return -1;
  for (size_t i = 5; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return -1;
  }
  return std::strtoll(name.c_str() + 5, nullptr, 10);
}

}  // namespace gan
