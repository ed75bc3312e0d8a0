#include "monitoring/chrome_trace.h"

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace gan::monitoring {

int64_t wallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ChromeTrace::ChromeTrace(const std::string& path, int rank) : path_(path), rank_(rank) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  out_.open(path, std::ios::trunc);
  GAN_CHECK(out_, "--output.timeline: cannot create '", path, "'");
  out_ << "[\n";
  nlohmann::json name = {{"name", "process_name"}, {"ph", "M"}, {"pid", rank},
                         {"args", {{"name", "rank " + std::to_string(rank)}}}};
  out_ << name.dump();
}

ChromeTrace::~ChromeTrace() {
  std::lock_guard<std::mutex> lock(mutex_);
  out_ << "\n]\n";
}

int ChromeTrace::lane(const std::string& thread) {
  for (int i = 0; i < 4; ++i) {
    if (lanes_[i] == thread) return i;
    if (lanes_[i].empty()) {
      lanes_[i] = thread;
      nlohmann::json name = {{"name", "thread_name"}, {"ph", "M"}, {"pid", rank_}, {"tid", i},
                             {"args", {{"name", thread}}}};
      out_ << ",\n" << name.dump();
      return i;
    }
  }
  return 3;
}

void ChromeTrace::complete(const std::string& name, const char* category, int64_t start_us, int64_t duration_us,
                           const std::string& thread) {
  std::lock_guard<std::mutex> lock(mutex_);
  nlohmann::json event = {{"name", name}, {"cat", category}, {"ph", "X"}, {"ts", start_us},
                          {"dur", std::max<int64_t>(duration_us, 0)}, {"pid", rank_}, {"tid", lane(thread)}};
  out_ << ",\n" << event.dump();
  // Flush now and then so a running job's timeline can be looked at.
  if (++events_ % 256 == 0) out_.flush();
}

std::string timelinePathForRank(const std::string& path, int rank, int world_size) {
  if (world_size == 1) return path;
  const std::filesystem::path p(path);
  return (p.parent_path() / (p.stem().string() + ".rank" + std::to_string(rank) + p.extension().string())).string();
}

}  // namespace gan::monitoring
