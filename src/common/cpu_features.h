// The CPU a process runs on, as gan_dist uses it: the model and the vector features that decide
// which kernels run (AVX2, AVX-512, AVX512-BF16, AMX). Benchmarks and the start-up line print it,
// since every speed figure belongs to one CPU kind, and --train.precision=bf16 asks it.
//
// Two test switches make one machine behave like another (read by each program's main through
// CpuSettings::fromEnvironment, never deeper):
//   GAN_DIST_CPU=avx2          the CPU is taken as AVX2-only: no AVX-512, no AVX512-BF16, no AMX,
//                              and LibTorch is held to the kernels it runs on such a CPU
//                              (process/compute_threads.h), so a developer on an AVX512-BF16 machine
//                              sees the suite as an AVX2 machine does.
//   GAN_DIST_EMULATE_BF16=1    bf16 runs even where the CPU has no AVX512-BF16: LibTorch's portable
//                              bf16 kernels, about 15x slower than fp32 and rounded their own way,
//                              so the precision tests run on every CPU. Never for training.
#pragma once

#include <string>

namespace gan {

struct CpuFeatures {
  std::string model;         // "AMD EPYC", "Intel(R) Xeon(R) Platinum 8480+"
  bool avx2 = false;
  bool avx512 = false;       // AVX-512 Foundation, usable (the OS saves its registers)
  bool avx512_bf16 = false;  // bf16 dot products: what makes bf16 faster than fp32 on a CPU
  bool amx = false;          // AMX tiles with bf16
  std::string limited_by;    // "GAN_DIST_CPU=avx2" when the features are held below the hardware's
};

// What the hardware offers (CPUID on x86-64; no features elsewhere).
CpuFeatures detectCpuFeatures();

// The same CPU with every feature above AVX2 taken away.
CpuFeatures limitedToAvx2(CpuFeatures features);

// "AMD EPYC (AVX2, AVX-512, AVX512-BF16; no AMX)", followed by ", taken as AVX2-only:
// GAN_DIST_CPU=avx2" when limited.
std::string describeCpu(const CpuFeatures& features);

// The CPU as this process treats it.
struct CpuSettings {
  CpuFeatures features;
  bool emulate_bf16 = false;

  // The hardware, changed by GAN_DIST_CPU and GAN_DIST_EMULATE_BF16. Throws gan::Error naming
  // the variable on a value it does not know.
  static CpuSettings fromEnvironment();
  // The same from given values (nullptr: unset), for the tests.
  static CpuSettings fromValues(const CpuFeatures& hardware, const char* cpu, const char* emulate_bf16);
};

}  // namespace gan
