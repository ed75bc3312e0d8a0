// gan_report: writes OUT/report.html from a run's outputs (also done at the end of training).
//   gan_report runs/fashion_mnist_mlp
#include <cstdio>
#include <cstring>

#include "coordinator/run_report.h"

int main(int argc, char** argv) {
  if (argc != 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fprintf(argc == 2 ? stdout : stderr,
                 "usage: gan_report OUTPUT_DIR\n"
                 "writes OUTPUT_DIR/report.html: loss and D-output curves, sample grids over time,\n"
                 "evaluation results, throughput and the effective configuration\n");
    return argc == 2 ? 0 : 2;
  }
  try {
    std::printf("gan_report: %s\n", gan::coordinator::writeRunReport(gan::RunDirectory(argv[1])).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan_report: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
