#include "report/run_report.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/file_contents.h"
#include "common/file_contents.h"
#include "report/report_page.h"

namespace fs = std::filesystem;

namespace gan::report {
namespace {

// Enough grids to see the run's progress without making the page heavy.
constexpr size_t kGridsShown = 12;

std::vector<ReportInputs::SampleGrid> sampleGrids(const RunDirectory& run) {
  std::vector<fs::path> paths;
  if (fs::is_directory(run.samples())) {
    for (const auto& entry : fs::directory_iterator(run.samples())) {
      if (entry.path().extension() == ".png") paths.push_back(entry.path());
    }
  }
  std::sort(paths.begin(), paths.end());
  std::vector<ReportInputs::SampleGrid> grids;
  for (size_t index : spreadEvenly(paths.size(), kGridsShown)) {
    grids.push_back({paths[index].filename().string(), readFileContents(paths[index].string())});
  }
  return grids;
}

// The configuration the newest checkpoint recorded; none when it is missing or unreadable.
std::optional<ReportInputs::RecordedConfig> recordedConfig(const RunDirectory& run) {
  const fs::path state_path = CheckpointFiles::stateOf(run.latestCheckpointLink());
  if (!fs::exists(state_path)) return std::nullopt;
  try {
    const auto state = nlohmann::json::parse(readFileContents(state_path.string()));
    if (!state.is_object() || !state.contains("config")) return std::nullopt;
    ReportInputs::RecordedConfig recorded;
    recorded.step = state.value("step", int64_t(0));
    recorded.world_size = state.value("world_size", 1);
    recorded.global_batch = state.value("global_batch", int64_t(0));
    for (const auto& [key, value] : state["config"].items()) recorded.options.emplace_back(key, value.get<std::string>());
    return recorded;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::string writeRunReport(const RunDirectory& run) {
  ReportInputs inputs;
  inputs.run_directory = run.root().string();
  inputs.run_directory_absolute = fs::absolute(run.root()).string();
  const std::string metrics_path = run.metrics().string();
  GAN_CHECK(fs::exists(metrics_path), metrics_path, ": no metrics to report (run gan_dist with --output.log_every > 0)");
  inputs.metrics = readJsonLines(metrics_path);
  GAN_CHECK(!inputs.metrics.empty(), metrics_path, ": empty, nothing to report");
  inputs.sample_grids = sampleGrids(run);
  inputs.configuration = recordedConfig(run);
  if (fs::exists(run.stragglers())) inputs.stragglers = readJsonLines(run.stragglers().string());

  const fs::path path = run.report();
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream file(temporary, std::ios::trunc);
    GAN_CHECK(file, temporary.string(), ": cannot write");
    file << renderTrainingReport(inputs);
    file.close();
    GAN_CHECK(file, temporary.string(), ": write failed");
  }
  fs::rename(temporary, path);
  return path.string();
}

}  // namespace gan::report
