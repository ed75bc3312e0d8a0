// The watchdog: a phase or a collective past the timeout is reported with rank, step and phase.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "resilience/watchdog.h"

namespace {
using namespace gan;

TEST(Watchdog, ReportsRankStepAndPhaseOfAPhaseThatOverruns) {
  std::atomic<bool> fired{false};
  std::string report;
  {
    resilience::Watchdog watchdog(0.2, 3, [&](const std::string& line) {
      report = line;
      fired = true;
    });
    watchdog.enter("G step", 42);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!fired && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(fired);
  EXPECT_NE(report.find("rank 3, step 42: G step did not finish within 0 s"), std::string::npos) << report;
}

TEST(Watchdog, StaysQuietWhilePhasesFinishInTimeAndWhenIdle) {
  std::atomic<bool> fired{false};
  {
    resilience::Watchdog watchdog(0.3, 0, [&](const std::string&) { fired = true; });
    for (int step = 1; step <= 10; ++step) {
      watchdog.enter("D step", step);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      watchdog.idle();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(600));  // idle for twice the timeout
  }
  EXPECT_FALSE(fired);
}

// A collective waited for past the timeout is reported wherever it happens: inside a forward
// pass (synchronised batch norm), in evaluation, or outside any phase, as here.
TEST(Watchdog, ReportsACollectiveWaitedForPastTheTimeoutOutsideAnyPhase) {
  std::atomic<bool> fired{false};
  std::string report;
  comm::CollectiveFlightRecorder collectives;
  {
    resilience::Watchdog watchdog(
        0.2, 1,
        [&](const std::string& line) {
          report = line;
          fired = true;
        },
        &collectives);
    watchdog.enter("evaluation", 9);
    watchdog.idle();
    const uint64_t seq = collectives.issue("allreduce", 96);
    collectives.waitBegins(seq);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!fired && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(fired);
  EXPECT_NE(report.find("rank 1: allreduce #1 (96 bytes, evaluation of step 9) not finished after"), std::string::npos)
      << report;
}

}  // namespace
