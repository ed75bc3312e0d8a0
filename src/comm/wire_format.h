// 16-bit wire formats for float32 gradients: bfloat16 and IEEE half (fp16), both rounded to the
// nearest even value, and the sums that collectives apply to them (accumulated in float32, then
// rounded once per reduction step). Torch-free: the MPI backend converts on its own thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gan::comm {

// How a float32 buffer travels in an allreduce.
enum class WireFormat {
  Float32,   // as it is: exact
  BFloat16,  // float32's range, 8 bits of mantissa: nothing overflows
  Float16,   // 11 bits of mantissa, range ±65504: values are scaled by an agreed power of two first
};

const char* wireFormatName(WireFormat format);
size_t wireBytesPerValue(WireFormat format);

// out[i] = bfloat16(in[i]); NaN stays NaN, values past bfloat16's range round to infinity.
void encodeBfloat16(const float* in, uint16_t* out, size_t count);
void decodeBfloat16(const uint16_t* in, float* out, size_t count);
// out[i] = half(in[i] * scale); decode multiplies by `scale` after widening.
void encodeHalf(const float* in, float scale, uint16_t* out, size_t count);
void decodeHalf(const uint16_t* in, float scale, float* out, size_t count);
// inout[i] = round(float(in[i]) + float(inout[i])): one reduction step of an allreduce.
void addBfloat16(const uint16_t* in, uint16_t* inout, size_t count);
void addHalf(const uint16_t* in, uint16_t* inout, size_t count);

// Largest |value|; a NaN counts as infinity (so the scale below stays 1 and the NaN travels on
// to the trainer's non-finite check instead of being hidden by a huge scale).
float largestMagnitude(const float* values, size_t count);
// The power of two s that fp16 values are multiplied by before they travel: the largest with
// world * largest * s <= 2^15, so no partial sum of `world` rounded values can pass 65504,
// and small gradients keep as many bits as the range allows. 1 for 0 or a non-finite largest.
float halfScaleFor(float largest, int world);

// The single-rank round trip (what an allreduce over one rank delivers): values as they arrive
// after travelling in `format`. Float32 leaves them alone.
void roundTripThroughWire(WireFormat format, float* values, size_t count);

namespace detail {
// Portable scalar conversions; the public functions use F16C instructions where the CPU has them.
uint16_t halfOf(float value);
float floatOfHalf(uint16_t half);
}  // namespace detail

}  // namespace gan::comm
