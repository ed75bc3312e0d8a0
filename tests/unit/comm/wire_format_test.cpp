// The 16-bit wire formats against LibTorch's own conversions (c10::Half, c10::BFloat16): every
// fp16 value decodes alike, and floats of every exponent encode to the same bits.
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "comm/wire_format.h"

namespace {
using namespace gan::comm;

uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// Floats of every exponent, the values on and next to fp16's rounding boundaries, and specials.
std::vector<float> probeFloats() {
  std::vector<float> values = {0.0f, -0.0f, 65504.0f, 65519.996f, 65520.0f, -65520.0f, 1e-8f, 5.96e-8f, 2.98e-8f,
                               2.9802322e-8f, 6.1035156e-5f, 6.1e-5f, 1.0f + std::ldexp(1.0f, -11),
                               1.0f + std::ldexp(1.0f, -12), INFINITY, -INFINITY, 3.4e38f, 1e-40f};
  std::mt19937 random(42);
  for (int i = 0; i < 200000; ++i) {
    uint32_t bits = random();
    float value;
    std::memcpy(&value, &bits, sizeof value);
    if (!std::isnan(value)) values.push_back(value);
  }
  for (int e = -30; e <= 17; ++e) {
    for (int m = 0; m < 64; ++m) values.push_back(std::ldexp(1.0f + float(m) / 64.0f, e));
    values.push_back(std::ldexp(1.0f + std::ldexp(1.0f, -11), e));  // exactly halfway at fp16's mantissa
    values.push_back(std::ldexp(1.0f + 3 * std::ldexp(1.0f, -11), e));
  }
  return values;
}

TEST(WireFormat, EveryHalfDecodesLikeLibTorch) {
  std::vector<uint16_t> all(65536);
  for (size_t i = 0; i < all.size(); ++i) all[i] = uint16_t(i);
  std::vector<float> decoded(all.size());
  decodeHalf(all.data(), 1.0f, decoded.data(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    const float expected = static_cast<float>(c10::Half(all[i], c10::Half::from_bits()));
    if (std::isnan(expected)) {
      ASSERT_TRUE(std::isnan(decoded[i])) << i;
      ASSERT_TRUE(std::isnan(gan::comm::detail::floatOfHalf(all[i]))) << i;
      continue;
    }
    ASSERT_EQ(bitsOf(decoded[i]), bitsOf(expected)) << "half bits " << i;
    ASSERT_EQ(bitsOf(gan::comm::detail::floatOfHalf(all[i])), bitsOf(expected)) << "half bits " << i;
  }
}

TEST(WireFormat, FloatsEncodeToTheNearestEvenHalfAndBfloat16) {
  const auto values = probeFloats();
  std::vector<uint16_t> half(values.size()), brain(values.size());
  encodeHalf(values.data(), 1.0f, half.data(), values.size());
  encodeBfloat16(values.data(), brain.data(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ(half[i], c10::Half(values[i]).x) << values[i];
    ASSERT_EQ(gan::comm::detail::halfOf(values[i]), c10::Half(values[i]).x) << values[i];
    ASSERT_EQ(brain[i], c10::BFloat16(values[i]).x) << values[i];
  }
  float nan = std::nanf("");
  uint16_t encoded = 0;
  encodeHalf(&nan, 1.0f, &encoded, 1);
  EXPECT_TRUE(std::isnan(gan::comm::detail::floatOfHalf(encoded)));
  encodeBfloat16(&nan, &encoded, 1);
  float back = 0;
  decodeBfloat16(&encoded, &back, 1);
  EXPECT_TRUE(std::isnan(back));
}

TEST(WireFormat, SumsWidenAddAndRoundOnce) {
  std::vector<uint16_t> a = {c10::Half(1.0f).x, c10::Half(2048.0f).x, c10::Half(65504.0f).x};
  std::vector<uint16_t> b = {c10::Half(std::ldexp(1.0f, -11)).x, c10::Half(1.0f).x, c10::Half(16.0f).x};
  addHalf(a.data(), b.data(), a.size());
  EXPECT_EQ(gan::comm::detail::floatOfHalf(b[0]), 1.0f);     // 1 + 2^-11: a tie, to even
  EXPECT_EQ(gan::comm::detail::floatOfHalf(b[1]), 2048.0f);  // 2049 has no fp16 form: a tie, to even
  EXPECT_TRUE(std::isinf(gan::comm::detail::floatOfHalf(b[2])));
  std::vector<uint16_t> x = {c10::BFloat16(1.0f).x}, y = {c10::BFloat16(std::ldexp(1.0f, -8)).x};
  addBfloat16(x.data(), y.data(), 1);
  EXPECT_EQ(static_cast<float>(c10::BFloat16(y[0], c10::BFloat16::from_bits())), 1.0f);
}

TEST(WireFormat, ScaleIsTheLargestPowerOfTwoThatCannotOverflow) {
  for (const int world : {1, 2, 3, 8, 512}) {
    for (const float largest : {1e-30f, 3e-6f, 0.7f, 1.0f, 65504.0f, 3e9f, 1e30f}) {
      const float scale = halfScaleFor(largest, world);
      int exponent = 0;
      EXPECT_EQ(std::frexp(scale, &exponent), 0.5f) << "a power of two";
      EXPECT_LE(double(world) * largest * scale, 32768.0);
      EXPECT_GT(double(world) * largest * scale * 2, 32768.0) << "and the largest such";
    }
  }
  EXPECT_EQ(halfScaleFor(0.0f, 4), 1.0f);
  EXPECT_EQ(halfScaleFor(INFINITY, 4), 1.0f);
  const std::vector<float> with_nan = {1.0f, std::nanf(""), 2.0f};
  EXPECT_TRUE(std::isinf(largestMagnitude(with_nan.data(), with_nan.size())));
  const std::vector<float> plain = {1.0f, -7.5f, 2.0f};
  EXPECT_EQ(largestMagnitude(plain.data(), plain.size()), 7.5f);
}

}  // namespace
