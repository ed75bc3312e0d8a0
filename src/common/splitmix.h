// splitmix64's finaliser: a cheap, well-distributed 64-bit mix, used to derive independent
// streams (data order, noise rows) from (seed, epoch, step, row) without generator state.
#pragma once

#include <cstdint>

namespace gan {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace gan
