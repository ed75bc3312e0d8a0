// The CPU as gan_dist sees it: the description benchmarks and the start-up line print, and the
// test switches that make one CPU kind behave as another.
#include <gtest/gtest.h>

#include "common/cpu_features.h"
#include "support/error_message.h"

namespace {
using gan::CpuFeatures;
using gan::CpuSettings;

CpuFeatures sapphireRapids() {
  CpuFeatures cpu;
  cpu.model = "Intel(R) Xeon(R) Platinum 8480+";
  cpu.avx2 = cpu.avx512 = cpu.avx512_bf16 = cpu.amx = true;
  return cpu;
}

CpuFeatures epycRome() {
  CpuFeatures cpu;
  cpu.model = "AMD EPYC 7B12";
  cpu.avx2 = true;
  return cpu;
}

TEST(CpuFeatures, DescriptionNamesTheModelWhatItHasAndWhatItLacks) {
  EXPECT_EQ(gan::describeCpu(sapphireRapids()), "Intel(R) Xeon(R) Platinum 8480+ (AVX2, AVX-512, AVX512-BF16, AMX)");
  EXPECT_EQ(gan::describeCpu(epycRome()), "AMD EPYC 7B12 (AVX2; no AVX-512, AVX512-BF16, AMX)");
  CpuFeatures bare;
  bare.model = "ARM Neoverse";
  EXPECT_EQ(gan::describeCpu(bare), "ARM Neoverse (no AVX2, AVX-512, AVX512-BF16, AMX)");
}

TEST(CpuFeatures, TakingACpuAsAvx2OnlyRemovesEverythingAboveAndSaysWhy) {
  const auto limited = gan::limitedToAvx2(sapphireRapids());
  EXPECT_TRUE(limited.avx2);
  EXPECT_FALSE(limited.avx512 || limited.avx512_bf16 || limited.amx);
  EXPECT_EQ(gan::describeCpu(limited), "Intel(R) Xeon(R) Platinum 8480+ (AVX2; no AVX-512, AVX512-BF16, AMX), "
                                       "taken as AVX2-only: GAN_DIST_CPU=avx2");
  // An AVX2 CPU taken as one is simply itself: nothing to say.
  EXPECT_EQ(gan::describeCpu(gan::limitedToAvx2(epycRome())), gan::describeCpu(epycRome()));
}

TEST(CpuFeatures, EnvironmentValuesSelectTheCpuKindAndEmulation) {
  const auto native = CpuSettings::fromValues(sapphireRapids(), nullptr, nullptr);
  EXPECT_TRUE(native.features.avx512_bf16);
  EXPECT_FALSE(native.emulate_bf16);
  EXPECT_TRUE(CpuSettings::fromValues(sapphireRapids(), "native", "0").features.avx512_bf16);
  const auto as_avx2 = CpuSettings::fromValues(sapphireRapids(), "avx2", "1");
  EXPECT_FALSE(as_avx2.features.avx512_bf16);
  EXPECT_EQ(as_avx2.features.limited_by, "GAN_DIST_CPU=avx2");
  EXPECT_TRUE(as_avx2.emulate_bf16);
}

TEST(CpuFeatures, UnknownEnvironmentValuesAreRefusedNamingTheVariable) {
  EXPECT_EQ(gan::test_support::errorMessageOf([] { CpuSettings::fromValues(epycRome(), "avx512", nullptr); }),
            "environment variable GAN_DIST_CPU=avx512: expected native or avx2");
  EXPECT_EQ(gan::test_support::errorMessageOf([] { CpuSettings::fromValues(epycRome(), nullptr, "yes"); }),
            "environment variable GAN_DIST_EMULATE_BF16=yes: expected 0 or 1");
}

TEST(CpuFeatures, DetectionNamesAModel) { EXPECT_FALSE(gan::detectCpuFeatures().model.empty()); }

}  // namespace
