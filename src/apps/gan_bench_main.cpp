// gan_bench: performance figures (not tests).
//   gan_bench allreduce [--min-bytes N] [--max-bytes N] [--iters N] [--comm.bucket_mb MB]
//   gan_bench train [--steps N] [--warmup N] [--against FILE.ini] [gan_dist options, e.g. --config FILE.ini]
//   gan_bench ceiling [--steps N] [--warmup N] [--rounds N] [gan_dist options]
//   gan_bench checkpoint [--checkpoints N] [--mtbf-h H] [gan_dist options]
//   gan_bench precision [--iters N] [gan_dist options]
// Run under mpirun for several ranks; the rank count comes from the launcher, never a flag.
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "apps/process_setup.h"
#include "bench/allreduce_benchmark.h"
#include "bench/ceiling_benchmark.h"
#include "bench/checkpoint_benchmark.h"
#include "bench/precision_benchmark.h"
#include "bench/train_benchmark.h"
#include "common/error.h"
#include "common/log.h"

namespace {

const char* const kUsage =
    "usage: gan_bench allreduce [--min-bytes N] [--max-bytes N] [--iters N] [gan_dist options]\n"
    "       gan_bench train [--steps N] [--warmup N] [--against FILE.ini] [gan_dist options, e.g. --config FILE.ini]\n"
    "       gan_bench ceiling [--steps N] [--warmup N] [--rounds N] [gan_dist options]   (one rank alone,\n"
    "             N independent side by side, the data-parallel job: the machine's ceiling and the job's share)\n"
    "       gan_bench checkpoint [--checkpoints N] [--mtbf-h H] [gan_dist options]   (one process)\n"
    "       gan_bench precision [--iters N] [gan_dist options]   (one process: each layer in fp32 and bf16)\n"
    "  --min-bytes  smallest allreduce message in bytes (default 4096; sizes double)\n"
    "  --max-bytes  largest allreduce message in bytes (default 268435456)\n"
    "  --iters      allreduce: timed iterations per size, best reported (default 20; a quarter above\n"
    "               16 MiB); precision: forward+backward passes per figure (default 200)\n"
    "  --steps      timed training steps (default 300)\n"
    "  --warmup     untimed steps first (default 30)\n"
    "  --rounds     ceiling: rounds of the three timings, alternated; the best of each counts (default 3)\n"
    "  --against    train: time another config's steps too (its networks, batch and data), and say how\n"
    "               many of its steps the wall clock of this config's --train.max_steps buys\n"
    "  --checkpoints  checkpoints written synchronously and in the background, each (default 5)\n"
    "  --mtbf-h     the job's expected hours between failures, for Daly's interval (default 24)\n"
    "  the bucket size is --comm.bucket_mb; the rank count comes from mpirun.\n";

struct BenchFlags {
  int64_t min_bytes = 4 << 10;
  int64_t max_bytes = 256 << 20;
  int64_t iters = 0;  // 0: not given, the mode's default
  int64_t steps = 300;
  int64_t warmup = 30;
  int64_t rounds = 3;
  int64_t checkpoints = 5;
  double mtbf_h = 24;
  std::string against;  // a config file, for train
};

// Takes gan_bench's own flags out of argv (after the mode); what is left are gan_dist options,
// which the shared command-line parser reads.
BenchFlags takeBenchFlags(int argc, char** argv, std::vector<std::string>& rest) {
  namespace po = boost::program_options;
  BenchFlags flags;
  po::options_description own("gan_bench");
  own.add_options()("min-bytes", po::value(&flags.min_bytes))("max-bytes", po::value(&flags.max_bytes))(
      "iters", po::value(&flags.iters))("steps", po::value(&flags.steps))("warmup", po::value(&flags.warmup))(
      "rounds", po::value(&flags.rounds))(
      "checkpoints", po::value(&flags.checkpoints))("mtbf-h", po::value(&flags.mtbf_h))(
      "against", po::value(&flags.against));
  try {
    const std::vector<std::string> arguments(argv + 2, argv + argc);
    const auto parsed = po::command_line_parser(arguments).options(own).allow_unregistered().run();
    po::variables_map values;
    po::store(parsed, values);
    po::notify(values);
    GAN_CHECK(values.count("iters") == 0 || flags.iters > 0, "--iters must be a positive integer, got ", flags.iters);
    rest = po::collect_unrecognized(parsed.options, po::include_positional);
  } catch (const po::error& e) {
    GAN_FAIL("command line: ", e.what());
  }
  for (const auto& [name, value] : {std::pair<const char*, int64_t>{"min-bytes", flags.min_bytes},
                                    {"max-bytes", flags.max_bytes},
                                    {"steps", flags.steps},
                                    {"warmup", flags.warmup},
                                    {"rounds", flags.rounds},
                                    {"checkpoints", flags.checkpoints}}) {
    GAN_CHECK(value > 0, "--", name, " must be a positive integer, got ", value);
  }
  GAN_CHECK(flags.mtbf_h > 0 && std::isfinite(flags.mtbf_h), "--mtbf-h must be a positive number, got ", flags.mtbf_h);
  GAN_CHECK(flags.against.empty() || std::string(argv[1]) == "train", "--against is read by gan_bench train only, not ",
            argv[1]);
  return flags;
}

}  // namespace

int main(int argc, char** argv) {
  gan::process::keepFreedMemoryInProcess();
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "allreduce" && mode != "train" && mode != "ceiling" && mode != "checkpoint" && mode != "precision") {
    std::fputs(kUsage, mode == "--help" || mode == "-h" ? stdout : stderr);
    return mode == "--help" || mode == "-h" ? 0 : 2;
  }
  std::vector<std::string> rest;
  BenchFlags flags;
  try {
    flags = takeBenchFlags(argc, argv, rest);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan_bench: error: %s\n", e.what());
    return 2;
  }
  gan::bench::AllreduceBenchmarkOptions allreduce;
  allreduce.min_bytes = flags.min_bytes;
  allreduce.max_bytes = flags.max_bytes;
  if (flags.iters > 0) allreduce.iterations = static_cast<int>(flags.iters);
  gan::bench::PrecisionBenchmarkOptions precision;
  if (flags.iters > 0) precision.iterations = flags.iters;
  gan::bench::TrainBenchmarkOptions train;
  train.steps = flags.steps;
  train.warmup = flags.warmup;
  if (!flags.against.empty()) {
    const char* against_args[] = {"gan_bench", "--config", flags.against.c_str()};
    gan::ParsedCommandLine against;
    if (!gan::apps::parseOrExit(3, const_cast<char**>(against_args), "gan_bench --against", against)) return 2;
    train.against = against.config;
    train.against_name = flags.against;
  }
  gan::bench::CeilingBenchmarkOptions ceiling;
  ceiling.steps = flags.steps;
  ceiling.warmup = flags.warmup;
  ceiling.rounds = static_cast<int>(flags.rounds);
  gan::bench::CheckpointBenchmarkOptions checkpoints;
  checkpoints.checkpoints = flags.checkpoints;
  checkpoints.mtbf_h = flags.mtbf_h;

  std::vector<const char*> forwarded = {argv[0]};
  for (const auto& arg : rest) forwarded.push_back(arg.c_str());
  gan::ParsedCommandLine parsed;
  if (!gan::apps::parseOrExit(int(forwarded.size()), const_cast<char**>(forwarded.data()), "gan_bench", parsed)) {
    return 2;
  }
  allreduce.bucket_mb = parsed.config.comm.bucket_mb;
  // Training figures are for what gan_dist would train here; the precision mode measures bf16
  // wherever it runs, emulated or not, and says which.
  gan::CpuSettings cpu;
  if (!gan::apps::setUpCpuOrExit("gan_bench", cpu, mode == "precision" ? nullptr : &parsed.config)) return 2;
  std::unique_ptr<gan::comm::Communicator> communicator;
  int exit_code = 0;
  try {
    auto setup = gan::apps::setUpProcess(parsed.config, cpu, "gan_bench");
    communicator = std::move(setup.communicator);
    if (mode == "allreduce") {
      exit_code = gan::bench::runAllreduceBenchmark(*communicator, allreduce) == 0 ? 0 : 1;
    } else if (mode == "ceiling") {
      ceiling.cpu = gan::describeCpu(cpu.features);
      gan::bench::runCeilingBenchmark(parsed.config, *communicator, setup.device, ceiling);
    } else if (mode == "checkpoint") {
      GAN_CHECK(communicator->worldSize() == 1, "gan_bench checkpoint runs as one process (each node writes its "
                                                "own copy, so the cost does not depend on the world size)");
      gan::bench::runCheckpointBenchmark(parsed.config, setup.device, checkpoints);
    } else if (mode == "precision") {
      GAN_CHECK(communicator->worldSize() == 1, "gan_bench precision runs as one process (its figures are per rank)");
      gan::bench::runPrecisionBenchmark(parsed.config, cpu, setup.device, precision);
    } else {
      gan::bench::runTrainBenchmark(parsed.config, *communicator, setup.device, train);
    }
  } catch (const std::exception& e) {
    gan::apps::failJob("gan_bench", e, communicator.get());
  }
  communicator.reset();
  return exit_code;
}
