// bitCast: the bits of one trivially copyable value as another type of the same size (C++20's
// std::bit_cast, for C++17): doubles travel through integer collectives, floats are rounded by
// hand to 16-bit formats.
#pragma once

#include <cstring>
#include <type_traits>

namespace gan {

template <typename To, typename From>
To bitCast(const From& from) {
  static_assert(sizeof(To) == sizeof(From), "bitCast needs types of the same size");
  static_assert(std::is_trivially_copyable_v<To> && std::is_trivially_copyable_v<From>, "bitCast copies bytes");
  To to;
  std::memcpy(&to, &from, sizeof to);
  return to;
}

}  // namespace gan
