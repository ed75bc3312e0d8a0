// gan_bench: performance figures (not tests).
//   gan_bench allreduce [--min-bytes N] [--max-bytes N] [--iters N] [--comm.bucket_mb MB]
//   gan_bench train [--steps N] [--warmup N] [gan_dist options, e.g. --config FILE.ini]
// Run under mpirun for several ranks; the rank count comes from the launcher, never a flag.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "apps/process_setup.h"
#include "bench/allreduce_benchmark.h"
#include "bench/train_benchmark.h"
#include "common/error.h"
#include "common/log.h"

namespace {

const char* const kUsage =
    "usage: gan_bench allreduce [--min-bytes N] [--max-bytes N] [--iters N] [gan_dist options]\n"
    "       gan_bench train [--steps N] [--warmup N] [gan_dist options, e.g. --config FILE.ini]\n"
    "  --min-bytes  smallest allreduce message in bytes (default 4096; sizes double)\n"
    "  --max-bytes  largest allreduce message in bytes (default 268435456)\n"
    "  --iters      timed iterations per size, best reported (default 20; a quarter above 16 MiB)\n"
    "  --steps      timed training steps (default 300)\n"
    "  --warmup     untimed steps first (default 30)\n"
    "  the bucket size is --comm.bucket_mb; the rank count comes from mpirun.\n";

// Takes gan_bench's own flags (--name N or --name=N) out of argv; the rest are gan_dist options.
std::map<std::string, int64_t> takeBenchFlags(int argc, char** argv, std::vector<std::string>& rest) {
  std::map<std::string, int64_t> flags = {
      {"min-bytes", 4 << 10}, {"max-bytes", 256 << 20}, {"iters", 20}, {"steps", 300}, {"warmup", 30}};
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    std::string name = arg.rfind("--", 0) == 0 ? arg.substr(2) : "";
    std::string value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (!flags.count(name)) {
      rest.push_back(arg);
      continue;
    }
    if (value.empty()) {
      GAN_CHECK(i + 1 < argc, "--", name, " needs a value");
      value = argv[++i];
    }
    try {
      size_t used = 0;
      flags[name] = std::stoll(value, &used);
      GAN_CHECK(used == value.size() && flags[name] > 0, "");
    } catch (const std::exception&) {
      GAN_FAIL("--", name, " must be a positive integer, got '", value, "'");
    }
  }
  return flags;
}

}  // namespace

int main(int argc, char** argv) {
  gan::keepFreedMemoryInProcess();
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "allreduce" && mode != "train") {
    std::fputs(kUsage, mode == "--help" || mode == "-h" ? stdout : stderr);
    return mode == "--help" || mode == "-h" ? 0 : 2;
  }
  std::vector<std::string> rest;
  std::map<std::string, int64_t> flags;
  try {
    flags = takeBenchFlags(argc, argv, rest);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan_bench: error: %s\n", e.what());
    return 2;
  }
  gan::bench::AllreduceBenchmarkOptions allreduce;
  allreduce.min_bytes = flags["min-bytes"];
  allreduce.max_bytes = flags["max-bytes"];
  allreduce.iterations = static_cast<int>(flags["iters"]);
  gan::bench::TrainBenchmarkOptions train;
  train.steps = flags["steps"];
  train.warmup = flags["warmup"];

  std::vector<const char*> forwarded = {argv[0]};
  for (const auto& arg : rest) forwarded.push_back(arg.c_str());
  gan::ParsedCommandLine parsed;
  if (!gan::apps::parseOrExit(int(forwarded.size()), const_cast<char**>(forwarded.data()), "gan_bench", parsed)) {
    return 2;
  }
  allreduce.bucket_mb = parsed.config.comm.bucket_mb;
  std::unique_ptr<gan::comm::Communicator> communicator;
  int exit_code = 0;
  try {
    auto setup = gan::apps::setUpProcess(parsed.config, "gan_bench");
    communicator = std::move(setup.communicator);
    if (mode == "allreduce") {
      exit_code = gan::bench::runAllreduceBenchmark(*communicator, allreduce) == 0 ? 0 : 1;
    } else {
      gan::bench::runTrainBenchmark(parsed.config, *communicator, setup.device, train);
    }
  } catch (const std::exception& e) {
    gan::apps::failJob("gan_bench", e.what(), communicator.get());
  }
  communicator.reset();
  return exit_code;
}
