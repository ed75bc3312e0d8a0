// Every environment variable gan_dist's programs read, in one table, and the one function that
// reads them. A variable missing from the table cannot be read (a programming error, found by the
// first test that takes that path), so the table is the whole of what the environment can
// change; `gan_dist --help` prints it and docs/configuration.md lists it (docs_check compares).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gan {

struct EnvironmentVariable {
  const char* name;
  const char* purpose;  // one line for --help and the docs
};

// The table, in the order --help prints it.
const std::vector<EnvironmentVariable>& environmentVariables();

// The value of `name` (which must be in the table), or nothing when it is unset.
std::optional<std::string> environmentValue(std::string_view name);

// The table as --help prints it: a heading and one line per variable.
std::string describeEnvironmentVariables();

}  // namespace gan
