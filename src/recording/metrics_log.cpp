#include "recording/metrics_log.h"

#include <filesystem>

#include "common/error.h"

namespace gan::recording {

namespace {
// Rewrites `path` keeping lines up to the step, via a temporary file and a rename.
void truncateAfterStep(const std::string& path, int64_t keep_through_step) {
  std::ifstream in(path);
  if (!in) return;
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    GAN_CHECK(out, temporary, ": cannot write");
    for (std::string line; std::getline(in, line);) {
      try {
        const auto record = nlohmann::json::parse(line);
        if (record.value("step", int64_t(0)) <= keep_through_step) out << line << "\n";
      } catch (const nlohmann::json::exception&) {
        // A torn last line from a crash: drop it.
      }
    }
  }
  std::filesystem::rename(temporary, path);
}
}  // namespace

MetricsLog::MetricsLog(const std::string& path, int64_t keep_through_step) : path_(path) {
  truncateAfterStep(path, keep_through_step);
  out_.open(path, std::ios::app);
  GAN_CHECK(out_, path, ": cannot open metrics log for appending");
}

void MetricsLog::append(const nlohmann::json& record) {
  out_ << record.dump() << "\n";
  out_.flush();
  GAN_CHECK(out_, path_, ": write failed");
}

}  // namespace gan::recording
