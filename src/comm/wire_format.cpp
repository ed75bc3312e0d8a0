#include "comm/wire_format.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/bit_cast.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define GAN_DIST_X86 1
#endif

namespace gan::comm {

namespace {

uint32_t bitsOf(float value) { return bitCast<uint32_t>(value); }
float floatOfBits(uint32_t bits) { return bitCast<float>(bits); }

uint16_t bfloat16Of(float value) {
  const uint32_t bits = bitsOf(value);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);  // quiet NaN
  // Round to nearest even on the 16 dropped bits; a carry moves into the exponent (up to infinity).
  return static_cast<uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

float floatOfBfloat16(uint16_t value) { return floatOfBits(uint32_t(value) << 16); }

#ifdef GAN_DIST_X86
// F16C converts eight values per instruction with IEEE rounding: ~10x the scalar code, which
// matters because every reduction step of an allreduce widens and narrows its whole chunk.
// CPUID rather than __builtin_cpu_supports: clang's builtin does not know "f16c".
bool cpuHasF16c() {
  static const bool has = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
    const bool f16c = (ecx >> 29) & 1u, avx = (ecx >> 28) & 1u, osxsave = (ecx >> 27) & 1u;
    if (!f16c || !avx || !osxsave) return false;
    // The operating system must save the YMM registers across context switches (XCR0 bits 1, 2).
    unsigned low = 0, high = 0;
    __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return (low & 6u) == 6u;
  }();
  return has;
}

__attribute__((target("avx,f16c"))) void encodeHalfF16c(const float* in, float scale, uint16_t* out, size_t count) {
  const __m256 factor = _mm256_set1_ps(scale);
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m128i half = _mm256_cvtps_ph(_mm256_mul_ps(_mm256_loadu_ps(in + i), factor), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), half);
  }
  for (; i < count; ++i) out[i] = detail::halfOf(in[i] * scale);
}

__attribute__((target("avx,f16c"))) void decodeHalfF16c(const uint16_t* in, float scale, float* out, size_t count) {
  const __m256 factor = _mm256_set1_ps(scale);
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m256 wide = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i)));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(wide, factor));
  }
  for (; i < count; ++i) out[i] = detail::floatOfHalf(in[i]) * scale;
}

__attribute__((target("avx,f16c"))) void addHalfF16c(const uint16_t* in, uint16_t* inout, size_t count) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m256 a = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i)));
    const __m256 b = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(inout + i)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(inout + i),
                     _mm256_cvtps_ph(_mm256_add_ps(a, b), _MM_FROUND_TO_NEAREST_INT));
  }
  for (; i < count; ++i) inout[i] = detail::halfOf(detail::floatOfHalf(in[i]) + detail::floatOfHalf(inout[i]));
}
#endif

}  // namespace

namespace detail {

uint16_t halfOf(float value) {
  const uint32_t bits = bitsOf(value);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t magnitude = bits & 0x7FFFFFFFu;
  if (magnitude >= 0x7F800000u) return sign | 0x7C00u | (magnitude > 0x7F800000u ? 0x0200u : 0u);  // inf, NaN
  if (magnitude >= 0x477FF000u) return sign | 0x7C00u;  // 65520 and up round to infinity
  if (magnitude < 0x38800000u) {
    // Below 2^-14: a subnormal half counts units of 2^-24. The product is exact and nearbyint
    // rounds half to even; 1024 units is the smallest normal half, encoded the same way.
    const float units = std::nearbyint(floatOfBits(magnitude) * 16777216.0f);
    return sign | static_cast<uint16_t>(units);
  }
  // Normal: rebias the exponent (127 -> 15), round the mantissa from 23 to 10 bits to even.
  const uint32_t rebiased = magnitude - (112u << 23);
  return sign | static_cast<uint16_t>((rebiased + 0xFFFu + ((rebiased >> 13) & 1u)) >> 13);
}

float floatOfHalf(uint16_t half) {
  const uint32_t sign = uint32_t(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1Fu;
  const uint32_t mantissa = half & 0x3FFu;
  if (exponent == 0) {
    const float value = float(mantissa) * (1.0f / 16777216.0f);
    return sign != 0 ? -value : value;
  }
  if (exponent == 31) return floatOfBits(sign | 0x7F800000u | (mantissa << 13));
  return floatOfBits(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

}  // namespace detail

const char* wireFormatName(WireFormat format) {
  switch (format) {
    case WireFormat::Float32: return "float32";
    case WireFormat::BFloat16: return "bfloat16";
    case WireFormat::Float16: return "float16";
  }
  return "?";
}

size_t wireBytesPerValue(WireFormat format) { return format == WireFormat::Float32 ? 4 : 2; }

void encodeBfloat16(const float* in, uint16_t* out, size_t count) {
  for (size_t i = 0; i < count; ++i) out[i] = bfloat16Of(in[i]);
}

void decodeBfloat16(const uint16_t* in, float* out, size_t count) {
  for (size_t i = 0; i < count; ++i) out[i] = floatOfBfloat16(in[i]);
}

void addBfloat16(const uint16_t* in, uint16_t* inout, size_t count) {
  for (size_t i = 0; i < count; ++i) inout[i] = bfloat16Of(floatOfBfloat16(in[i]) + floatOfBfloat16(inout[i]));
}

void encodeHalf(const float* in, float scale, uint16_t* out, size_t count) {
#ifdef GAN_DIST_X86
  if (cpuHasF16c()) return encodeHalfF16c(in, scale, out, count);
#endif
  for (size_t i = 0; i < count; ++i) out[i] = detail::halfOf(in[i] * scale);
}

void decodeHalf(const uint16_t* in, float scale, float* out, size_t count) {
#ifdef GAN_DIST_X86
  if (cpuHasF16c()) return decodeHalfF16c(in, scale, out, count);
#endif
  for (size_t i = 0; i < count; ++i) out[i] = detail::floatOfHalf(in[i]) * scale;
}

void addHalf(const uint16_t* in, uint16_t* inout, size_t count) {
#ifdef GAN_DIST_X86
  if (cpuHasF16c()) return addHalfF16c(in, inout, count);
#endif
  for (size_t i = 0; i < count; ++i) inout[i] = detail::halfOf(detail::floatOfHalf(in[i]) + detail::floatOfHalf(inout[i]));
}

float largestMagnitude(const float* values, size_t count) {
  float largest = 0.0f;
  for (size_t i = 0; i < count; ++i) {
    const float magnitude = std::fabs(values[i]);
    // `!(m <= largest)` is true for NaN too: it becomes infinity.
    if (!(magnitude <= largest)) largest = std::isnan(magnitude) ? INFINITY : magnitude;
  }
  return largest;
}

float halfScaleFor(float largest, int world) {
  if (!(largest > 0.0f) || !std::isfinite(largest) || world < 1) return 1.0f;
  // s = 2^floor(log2(2^15 / (world * largest))), kept well inside float's own range.
  const double room = 32768.0 / (double(world) * double(largest));
  const int exponent = std::max(-120, std::min(120, int(std::floor(std::log2(room)))));
  return std::ldexp(1.0f, exponent);
}

void roundTripThroughWire(WireFormat format, float* values, size_t count) {
  if (format == WireFormat::Float32) return;
  std::vector<uint16_t> wire(count);
  if (format == WireFormat::BFloat16) {
    encodeBfloat16(values, wire.data(), count);
    decodeBfloat16(wire.data(), values, count);
    return;
  }
  const float scale = halfScaleFor(largestMagnitude(values, count), 1);
  encodeHalf(values, scale, wire.data(), count);
  decodeHalf(wire.data(), 1.0f / scale, values, count);
}

}  // namespace gan::comm
