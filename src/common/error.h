// Error type and check macro shared by every module. Library code throws; only main() catches.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace gan {

// A failure the user can act on: the message names the thing (file, option, tensor) and what
// was expected. Thrown by library code, reported once by main() with the rank.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An error every rank raises at the same point from the same agreed data (the configuration, a
// checkpoint's position): rank 0 reports it once for the job, the others leave that to it.
class AgreedError : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}
}  // namespace detail

}  // namespace gan

// GAN_CHECK(cond, parts...): throws gan::Error built from parts when cond is false.
#define GAN_CHECK(cond, ...)                                  \
  do {                                                        \
    if (!(cond)) throw ::gan::Error(::gan::detail::concat(__VA_ARGS__)); \
  } while (0)

#define GAN_FAIL(...) throw ::gan::Error(::gan::detail::concat(__VA_ARGS__))

// GAN_CHECK_AGREED(cond, parts...): as GAN_CHECK, for a condition every rank evaluates alike.
#define GAN_CHECK_AGREED(cond, ...)                                 \
  do {                                                              \
    if (!(cond)) throw ::gan::AgreedError(::gan::detail::concat(__VA_ARGS__)); \
  } while (0)
