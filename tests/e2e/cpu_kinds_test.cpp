// CPU kinds end to end: the start-up line names the CPU, bf16 on a CPU without AVX512-BF16 is
// refused in one line before anything is written, and the tools open a bf16-trained checkpoint
// on any CPU. GAN_DIST_CPU=avx2 makes this machine an AVX2-only one, so every case runs on every
// CPU kind (common/cpu_features.h).
#include <gtest/gtest.h>

#include <filesystem>

#include "e2e/process_helpers.h"

namespace fs = std::filesystem;

namespace {
using namespace gan::e2e;

// As an AVX2-only CPU sees it, without the tests' emulation switch: what a user there gets.
const std::string kAsAvx2 = "GAN_DIST_CPU=avx2 GAN_DIST_EMULATE_BF16=0 ";

std::string ringRun(const std::string& out, const std::string& extra, int steps = 10) {
  return ganDist() + " --config " + GAN_SOURCE_DIR + "/configs/ring8_mlp.ini --train.max_steps=" + std::to_string(steps) +
         " --output.log_every=5 --output.sample_every=0 --eval.every=0 --output.checkpoint_every=10" +
         " --output.dir=" + out + " " + extra;
}

TEST(CpuKinds, StartUpLineNamesTheCpuAndItsVectorFeatures) {
  const auto native = run(ringRun(outputDir("cpu_line"), "", 1));
  ASSERT_EQ(native.exit_code, 0) << native.output;
  EXPECT_EQ(countLines(native.output, "cpu: "), 1) << native.output;
  EXPECT_NE(native.output.find("AVX-512"), std::string::npos) << native.output;  // present or "no AVX-512"
  const auto as_avx2 = run(kAsAvx2 + ringRun(outputDir("cpu_line_avx2"), "", 1));
  ASSERT_EQ(as_avx2.exit_code, 0) << as_avx2.output;
  EXPECT_NE(as_avx2.output.find("(AVX2; no AVX-512, AVX512-BF16, AMX)"), std::string::npos) << as_avx2.output;
}

TEST(CpuKinds, Bf16WithoutAvx512Bf16IsRefusedInOneLineBeforeAnythingIsWritten) {
  for (const char* precision : {"bf16", "bf16-all"}) {
    for (const std::string& launcher : {std::string(), mpirun(2)}) {
      const auto out = outputDir(std::string("cpu_refused_") + precision);
      fs::remove_all(out);
      const auto result = run(kAsAvx2 + launcher + ringRun(out, std::string("--train.precision=") + precision));
      EXPECT_EQ(result.exit_code, 2) << result.output;
      EXPECT_EQ(countLines(result.output, "error"), 1) << result.output;
      EXPECT_NE(result.output.find(std::string("gan_dist: error: --train.precision=") + precision +
                                   ": this CPU ("),
                std::string::npos)
          << result.output;
      EXPECT_NE(result.output.find("has no AVX512-BF16 instructions, so bf16 products would be emulated and slower "
                                   "than fp32; use --train.precision=fp32"),
                std::string::npos)
          << result.output;
      EXPECT_FALSE(fs::exists(out)) << "written before the refusal: " << out;
    }
  }
  // A value the switch does not know is refused naming the variable, also before anything is written.
  const auto out = outputDir("cpu_bad_switch");
  fs::remove_all(out);
  const auto bad = run("GAN_DIST_CPU=avx512 " + ringRun(out, ""));
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("gan_dist: error: environment variable GAN_DIST_CPU=avx512: expected native or avx2"),
            std::string::npos)
      << bad.output;
  EXPECT_FALSE(fs::exists(out));
}

// A checkpoint holds fp32 weights whatever the precision it was trained in: gan_sample, gan_eval
// and gan_export rebuild its networks in bf16 as recorded and run them on a CPU without
// AVX512-BF16 too (LibTorch's portable kernels), saying so where they log.
TEST(CpuKinds, ToolsOpenABf16CheckpointOnACpuWithoutAvx512Bf16) {
  const auto out = outputDir("cpu_tools");
  const auto trained = run("GAN_DIST_EMULATE_BF16=1 " + ringRun(out, "--train.precision=bf16-all"));
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  const auto checkpoint = out + "/checkpoints/latest";
  const auto sampled = run(kAsAvx2 + GAN_SAMPLE_BINARY + " --checkpoint " + checkpoint + " --n 50 --format npy --out " +
                           out + "/points.npy");
  EXPECT_EQ(sampled.exit_code, 0) << sampled.output;
  EXPECT_TRUE(fs::exists(out + "/points.npy"));
  const auto evaluated = run(kAsAvx2 + GAN_EVAL_BINARY + " checkpoint --checkpoint " + checkpoint + " --samples 500");
  EXPECT_EQ(evaluated.exit_code, 0) << evaluated.output;
  EXPECT_NE(evaluated.output.find("eval_modes="), std::string::npos) << evaluated.output;
  EXPECT_NE(evaluated.output.find("bf16 runs LibTorch's portable kernels"), std::string::npos) << evaluated.output;
  const auto exported = run(kAsAvx2 + fs::path(GAN_DIST_BINARY).parent_path().string() + "/gan_export --checkpoint " +
                            checkpoint + " --out " + out + "/export");
  EXPECT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_TRUE(fs::exists(out + "/export/generator.torchscript.pt")) << exported.output;
}

}  // namespace
