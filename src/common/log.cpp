#include "common/log.h"

#include <cstdio>
#include <mutex>

namespace gan {
namespace {
int g_rank = 0;
int g_world = 1;
std::mutex g_mutex;

std::string prefix() {
  return g_world > 1 ? "[rank " + std::to_string(g_rank) + "] " : std::string();
}
}  // namespace

void setLogRank(int rank, int world_size) {
  g_rank = rank;
  g_world = world_size;
}

int logRank() { return g_rank; }

void log0(const std::string& line) {
  if (g_rank != 0) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(stdout, "%s\n", line.c_str());
  std::fflush(stdout);
}

void logRankLine(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(stdout, "%s%s\n", prefix().c_str(), line.c_str());
  std::fflush(stdout);
}

void logWarning(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(stderr, "%swarning: %s\n", prefix().c_str(), line.c_str());
  std::fflush(stderr);
}

}  // namespace gan
