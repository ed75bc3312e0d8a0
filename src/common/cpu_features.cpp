#include "common/cpu_features.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "common/environment.h"
#include "common/error.h"

namespace gan {
namespace {

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// Elsewhere than x86 the kernel's own description names the model.
std::string modelFromProcCpuinfo() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    for (const char* key : {"model name", "Model", "cpu model"}) {
      if (line.rfind(key, 0) == 0 && line.find(':') != std::string::npos) return trimmed(line.substr(line.find(':') + 1));
    }
  }
  return "unknown CPU";
}

#if defined(__x86_64__) || defined(__i386__)
struct CpuidRegisters {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
};

CpuidRegisters cpuid(unsigned leaf, unsigned subleaf) {
  CpuidRegisters r;
  if (!__get_cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx)) return {};
  return r;
}

bool bit(unsigned value, int index) { return (value >> index) & 1u; }

// Which register states the OS saves on a context switch (XCR0): a feature whose registers it
// does not save cannot be used, whatever CPUID says.
uint64_t osSavedStates() {
  unsigned eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

std::string brandString() {
  if (cpuid(0x80000000u, 0).eax < 0x80000004u) return "";
  char brand[49] = {};
  for (unsigned i = 0; i < 3; ++i) {
    const auto r = cpuid(0x80000002u + i, 0);
    std::memcpy(brand + 16 * i, &r.eax, 4);
    std::memcpy(brand + 16 * i + 4, &r.ebx, 4);
    std::memcpy(brand + 16 * i + 8, &r.ecx, 4);
    std::memcpy(brand + 16 * i + 12, &r.edx, 4);
  }
  return trimmed(brand);
}
#endif

}  // namespace

CpuFeatures detectCpuFeatures() {
  CpuFeatures features;
#if defined(__x86_64__) || defined(__i386__)
  features.model = brandString();
  const auto basic = cpuid(1, 0);
  const bool xsave_enabled = bit(basic.ecx, 27);
  const uint64_t saved = xsave_enabled ? osSavedStates() : 0;
  const bool avx_state = (saved & 0x6) == 0x6;              // SSE and AVX registers
  const bool avx512_state = avx_state && (saved & 0xE0) == 0xE0;  // opmask, ZMM upper halves, ZMM16-31
  const bool amx_state = (saved & 0x60000) == 0x60000;      // tile configuration and tile data
  const unsigned max_leaf = cpuid(0, 0).eax;
  if (max_leaf >= 7) {
    const auto extended = cpuid(7, 0);
    features.avx2 = avx_state && bit(extended.ebx, 5);
    features.avx512 = avx512_state && bit(extended.ebx, 16);
    features.amx = amx_state && bit(extended.edx, 22) && bit(extended.edx, 24);  // AMX-BF16 and AMX-TILE
    if (extended.eax >= 1) features.avx512_bf16 = features.avx512 && bit(cpuid(7, 1).eax, 5);
  }
#endif
  if (features.model.empty()) features.model = modelFromProcCpuinfo();
  return features;
}

CpuFeatures limitedToAvx2(CpuFeatures features) {
  if (features.avx512 || features.avx512_bf16 || features.amx) features.limited_by = "GAN_DIST_CPU=avx2";
  features.avx512 = features.avx512_bf16 = features.amx = false;
  return features;
}

std::string describeCpu(const CpuFeatures& features) {
  std::vector<std::string> has, lacks;
  const std::pair<const char*, bool> listed[] = {{"AVX2", features.avx2},
                                                 {"AVX-512", features.avx512},
                                                 {"AVX512-BF16", features.avx512_bf16},
                                                 {"AMX", features.amx}};
  for (const auto& [name, present] : listed) (present ? has : lacks).push_back(name);
  std::string text = features.model + " (";
  for (size_t i = 0; i < has.size(); ++i) text += (i ? ", " : "") + has[i];
  if (!lacks.empty()) {
    text += has.empty() ? "no " : "; no ";
    for (size_t i = 0; i < lacks.size(); ++i) text += (i ? ", " : "") + lacks[i];
  }
  text += ")";
  if (!features.limited_by.empty()) text += ", taken as AVX2-only: " + features.limited_by;
  return text;
}

CpuSettings CpuSettings::fromValues(const CpuFeatures& hardware, const char* cpu, const char* emulate_bf16) {
  CpuSettings settings;
  settings.features = hardware;
  const std::string cpu_value = cpu ? cpu : "";
  GAN_CHECK(cpu_value.empty() || cpu_value == "native" || cpu_value == "avx2", "environment variable GAN_DIST_CPU=",
            cpu_value, ": expected native or avx2");
  if (cpu_value == "avx2") settings.features = limitedToAvx2(hardware);
  const std::string emulate = emulate_bf16 ? emulate_bf16 : "";
  GAN_CHECK(emulate.empty() || emulate == "0" || emulate == "1", "environment variable GAN_DIST_EMULATE_BF16=", emulate,
            ": expected 0 or 1");
  settings.emulate_bf16 = emulate == "1";
  return settings;
}

CpuSettings CpuSettings::fromEnvironment() {
  const auto cpu = environmentValue("GAN_DIST_CPU");
  const auto emulate = environmentValue("GAN_DIST_EMULATE_BF16");
  return fromValues(detectCpuFeatures(), cpu ? cpu->c_str() : nullptr, emulate ? emulate->c_str() : nullptr);
}

}  // namespace gan
