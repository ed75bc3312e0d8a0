// gan_report: writes OUT/report.html from a run's outputs (also done at the end of training),
// or, with --hang, prints what the ranks of a hung job recorded of their last collectives, or,
// with --stragglers, the per-rank step timings of every window and the last window's ranks.
//   gan_report runs/fashion_mnist_mlp
//   gan_report --hang runs/fashion_mnist_mlp
//   gan_report --stragglers runs/fashion_mnist_mlp
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "comm/rank_placement.h"
#include "common/file_contents.h"
#include "stragglers/straggler_rendering.h"
#include "resilience/hang_report.h"
#include "report/run_report.h"

namespace {
const char* kUsage =
    "usage: gan_report OUTPUT_DIR          writes OUTPUT_DIR/report.html: loss and D-output curves, sample\n"
    "                                       grids over time, evaluation results, throughput and the\n"
    "                                       effective configuration\n"
    "       gan_report --hang OUTPUT_DIR   prints the verdict and one row per rank from the records a\n"
    "                                       hung job left in OUTPUT_DIR/hang/\n"
    "       gan_report --stragglers OUTPUT_DIR\n"
    "                                      prints per-rank step timings from OUTPUT_DIR/stragglers.jsonl:\n"
    "                                       one row per window (median, slowest rank, verdict), then the\n"
    "                                       last window's ranks, slowest first\n";

int printHang(const gan::RunDirectory& run) {
  const auto evidence = gan::resilience::readHangEvidence(run);
  if (evidence.records.empty()) {
    std::fprintf(stderr, "gan_report: error: %s: no hang records (the directory holds them only after a job hung)\n",
                 run.hangRecords().string().c_str());
    return 1;
  }
  std::printf("%s\n\n%s", evidence.verdict.c_str(), gan::resilience::hangTable(evidence.records).c_str());
  if (!evidence.late_ranks.empty()) {
    std::printf("\nrank(s) %s wrote a record only after the verdict (stopped, then resumed for a moment while the "
                "job was torn down): left out above\n",
                gan::comm::rankRanges(evidence.late_ranks).c_str());
  }
  return 0;
}
int printStragglers(const gan::RunDirectory& run) {
  const std::string path = run.stragglers().string();
  if (!std::filesystem::exists(path)) {
    std::fprintf(stderr,
                 "gan_report: error: %s: no per-rank timings (the run had --monitor.straggler_every=0, or stopped "
                 "before its first window)\n",
                 path.c_str());
    return 1;
  }
  const auto lines = gan::readJsonLines(path);
  if (lines.empty()) {
    std::fprintf(stderr, "gan_report: error: %s: holds no complete window\n", path.c_str());
    return 1;
  }
  std::fputs(gan::stragglers::stragglerTable(lines).c_str(), stdout);
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  const bool hang = argc == 3 && std::strcmp(argv[1], "--hang") == 0;
  const bool stragglers = argc == 3 && std::strcmp(argv[1], "--stragglers") == 0;
  if ((argc != 2 && !hang && !stragglers) || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc == 2 ? stdout : stderr);
    return argc == 2 ? 0 : 2;
  }
  try {
    if (hang) return printHang(gan::RunDirectory(argv[2]));
    if (stragglers) return printStragglers(gan::RunDirectory(argv[2]));
    std::printf("gan_report: %s\n", gan::report::writeRunReport(gan::RunDirectory(argv[1])).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan_report: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
