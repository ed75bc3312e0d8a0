// RunDirectory: every path of a run's output directory, spelled once. Training writes these
// files, gan_report and the tests read them back; none of them names a file by itself.
//
//   OUT/metrics.jsonl                 one JSON object per logged step or evaluation
//   OUT/stragglers.jsonl              every rank's step timing per window (--monitor.straggler_every)
//   OUT/samples/step_00001234.png     progress pictures (fixed noise)
//   OUT/tb/                           TensorBoard event files
//   OUT/report.html                   the report of the run
//   OUT/checkpoints/step_00001234/    one checkpoint (files: see checkpoint/checkpoint.h)
//   OUT/checkpoints/latest            -> the newest complete checkpoint
//   OUT/<timeline>                    per-rank Chrome traces, when --output.timeline is relative
//   OUT/previous_runs/run_<UTC time>/ what a fresh start (--output.resume=never) found and set aside
//   OUT/hang/rank_00003.json          each rank's record of its last collectives, written when the
//                                     job hung (resilience/hang_report.h); a new start clears it
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace gan {

class RunDirectory {
 public:
  explicit RunDirectory(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path metrics() const { return root_ / "metrics.jsonl"; }
  std::filesystem::path stragglers() const { return root_ / "stragglers.jsonl"; }
  std::filesystem::path samples() const { return root_ / "samples"; }
  std::filesystem::path sampleGrid(int64_t step) const { return samples() / (stepName(step) + ".png"); }
  std::filesystem::path tensorboard() const { return root_ / "tb"; }
  std::filesystem::path report() const { return root_ / "report.html"; }
  std::filesystem::path checkpoints() const { return root_ / "checkpoints"; }
  std::filesystem::path checkpoint(int64_t step) const { return checkpoints() / stepName(step); }
  std::filesystem::path latestCheckpointLink() const { return checkpoints() / "latest"; }
  std::filesystem::path previousRuns() const { return root_ / "previous_runs"; }
  std::filesystem::path hangRecords() const { return root_ / "hang"; }
  std::filesystem::path hangRecord(int rank) const;
  // A relative timeline path lives in the run directory, like everything else of the run;
  // an absolute one (or empty: no timeline) is kept as given.
  std::string timeline(const std::string& configured) const;

  // "step_00001234": the name of a step's checkpoint directory and sample grid.
  static std::string stepName(int64_t step);
  // The step of a name stepName() made, or -1 for any other name.
  static int64_t stepOfName(const std::string& name);

 private:
  std::filesystem::path root_;
};

// The files inside one checkpoint directory.
struct CheckpointFiles {
  static constexpr const char* kState = "state.json";
  static constexpr const char* kManifest = "MANIFEST";
  static std::filesystem::path stateOf(const std::filesystem::path& checkpoint_dir) { return checkpoint_dir / kState; }
};

}  // namespace gan
