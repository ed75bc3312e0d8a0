#include "stragglers/straggler_monitor.h"

#include <algorithm>

#include "common/elapsed.h"
#include "common/error.h"

namespace gan::stragglers {

StragglerMonitor::StragglerMonitor(comm::Communicator& communicator, int64_t every, std::vector<std::string> rank_hosts,
                                   std::string launch_id)
    : communicator_(communicator), every_(every), rank_hosts_(std::move(rank_hosts)), launch_id_(std::move(launch_id)) {}

void StragglerMonitor::addStep(int64_t done, double step_seconds, double waited_seconds) {
  if (!enabled()) return;
  if (window_steps_ == 0) window_first_step_ = done;
  window_steps_ += 1;
  waited_seconds_ += waited_seconds;
  compute_seconds_ += std::max(0.0, step_seconds - waited_seconds);
}

std::optional<StragglerWindow> StragglerMonitor::exchange(int64_t done) {
  GAN_CHECK(enabled(), "straggler timings exchanged with --monitor.straggler_every=0");
  const auto began = std::chrono::steady_clock::now();
  const double steps = double(std::max<int64_t>(1, window_steps_));
  double mine[2] = {1e3 * compute_seconds_ / steps, 1e3 * waited_seconds_ / steps};
  const int world = communicator_.worldSize();
  std::vector<double> all(communicator_.rank() == 0 ? 2 * size_t(world) : 0);
  communicator_.gather({mine, 2, comm::ScalarType::Float64, comm::MemorySpace::Host}, all.data(), 0);
  std::optional<StragglerWindow> window;
  if (communicator_.rank() == 0) {
    window.emplace();
    window->first_step = window_first_step_;
    window->last_step = done;
    for (int r = 0; r < world; ++r) window->ranks.push_back({all[2 * size_t(r)], all[2 * size_t(r) + 1]});
    window->hosts = rank_hosts_;
    window->hosts.resize(size_t(world));
    window->launch_id = launch_id_;
  }
  window_steps_ = 0;
  compute_seconds_ = waited_seconds_ = 0;
  exchange_seconds_ += secondsSince(began);
  exchanges_ += 1;
  return window;
}

}  // namespace gan::stragglers
