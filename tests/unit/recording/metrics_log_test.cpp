// metrics.jsonl on resume: lines past the resumed step and a torn last line are dropped.
#include <gtest/gtest.h>

#include <fstream>

#include "recording/metrics_log.h"
#include "common/file_contents.h"
#include "support/test_files.h"

namespace {
using namespace gan;

TEST(MetricsLog, AResumedRunDropsLinesPastItsStepAndATornLine) {
  const auto path = gan::test_support::freshTempDir("metrics_log") + "/metrics.jsonl";
  {
    std::ofstream out(path);
    for (int step = 1; step <= 5; ++step) out << nlohmann::json{{"step", step}}.dump() << "\n";
    out << "{\"step\": 6, \"loss";  // a crash in the middle of a line
  }
  {
    recording::MetricsLog log(path, 3);
    log.append({{"step", 4}, {"resumed", true}});
  }
  const auto lines = gan::readJsonLines(path);
  ASSERT_EQ(lines.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(lines[size_t(i)]["step"], i + 1);
  EXPECT_TRUE(lines.back().value("resumed", false));
}

}  // namespace
