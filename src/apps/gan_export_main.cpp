// gan_export: a checkpoint's generator and discriminator for PyTorch users (docs/pytorch.md).
//   gan_export --checkpoint OUT/checkpoints/latest --out export/
//   gan_export --checkpoint DIR --out export/ --raw-generator     (G as trained, not its EMA)
#include <boost/program_options.hpp>
#include <cstdio>

#include "apps/process_setup.h"
#include "common/error.h"
#include "process/memory_tuning.h"
#include "interop/pytorch_export.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  gan::process::keepFreedMemoryInProcess();
  gan::interop::ExportOptions request;
  po::options_description options("gan_export options");
  options.add_options()("help,h", "print this help")(
      "checkpoint", po::value(&request.checkpoint), "checkpoint directory (e.g. OUT/checkpoints/latest)")(
      "out", po::value(&request.out_dir), "directory for the exported files (created when missing)")(
      "raw-generator", po::bool_switch(&request.raw_generator),
      "export G as trained instead of its EMA (when the checkpoint holds one)");
  try {
    po::variables_map vm;
    if (!gan::apps::parseToolOptions(argc, argv, options, vm)) return 0;  // --help
    gan::apps::setUpCpu();  // a checkpoint trained in bf16 is rebuilt in bf16, on any CPU
    const auto summary = gan::interop::exportForPyTorch(request);
    const auto& meta = summary.metadata;
    const long latent_dim = long(meta["latent_dim"].get<int64_t>()), classes = long(meta["classes"].get<int64_t>());
    const std::string labels = classes > 0 ? ", labels [N] in 0.." + std::to_string(classes - 1) : "";
    std::printf("gan_export: step %ld of %s, %s%s, z [N, %ld]%s -> %s\n", long(meta["step"].get<int64_t>()),
                request.checkpoint.c_str(), meta["architecture"].get<std::string>().c_str(),
                meta["generator"]["ema"].get<bool>() ? " (EMA of G)" : "", latent_dim, labels.c_str(),
                meta["generator"]["output"]["shape"].dump().c_str());
    for (const auto& file : summary.files) std::printf("  %s\n", file.c_str());
    std::string call = "torch.randn(64, " + std::to_string(latent_dim) + ")";
    if (classes > 0) call += ", torch.arange(64) % " + std::to_string(classes);
    std::printf("in Python: G = torch.jit.load('%s/generator.torchscript.pt'); images = G(%s)\n", request.out_dir.c_str(),
                call.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan_export: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
