// OUT/metrics.jsonl: one JSON object per line, flushed as written so a crash loses nothing.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace gan::coordinator {

class MetricsLog {
 public:
  explicit MetricsLog(const std::string& path);
  void append(const nlohmann::json& record);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace gan::coordinator
