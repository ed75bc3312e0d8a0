#include "coordinator/metrics_log.h"

#include "common/error.h"

namespace gan::coordinator {

MetricsLog::MetricsLog(const std::string& path) : path_(path), out_(path, std::ios::app) {
  GAN_CHECK(out_, path, ": cannot open metrics log for appending");
}

void MetricsLog::append(const nlohmann::json& record) {
  out_ << record.dump() << "\n";
  out_.flush();
  GAN_CHECK(out_, path_, ": write failed");
}

}  // namespace gan::coordinator
