// OUT/metrics.jsonl: one JSON object per line, flushed as written so a crash loses nothing.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gan::recording {

class MetricsLog {
 public:
  // Opens `path` for appending, first dropping every line whose "step" is past
  // `keep_through_step`: a resumed run appends and never duplicates a step.
  MetricsLog(const std::string& path, int64_t keep_through_step);
  void append(const nlohmann::json& record);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace gan::recording
