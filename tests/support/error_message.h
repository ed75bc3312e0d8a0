// The message of the error a call throws, so a test can assert on what the user would read.
#pragma once

#include <exception>
#include <string>

namespace gan::test_support {

// e.what() of the exception `call()` throws, or "" when it returns normally.
template <typename Call>
std::string errorMessageOf(Call&& call) {
  try {
    call();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace gan::test_support
