// The environment is read through one table: a listed variable's value or nothing, a variable not
// in the table refused by name, and --help's list of them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "common/environment.h"
#include "common/error.h"

namespace {

TEST(Environment, AListedVariableReadsItsValueOrNothingWhenUnset) {
  ::setenv("GAN_DIST_LAUNCH_ID", "launch-7", 1);
  EXPECT_EQ(gan::environmentValue("GAN_DIST_LAUNCH_ID").value_or(""), "launch-7");
  ::unsetenv("GAN_DIST_LAUNCH_ID");
  EXPECT_FALSE(gan::environmentValue("GAN_DIST_LAUNCH_ID").has_value());
}

TEST(Environment, AVariableMissingFromTheTableCannotBeRead) {
  ::setenv("GAN_DIST_NOT_A_SWITCH", "1", 1);
  try {
    (void)gan::environmentValue("GAN_DIST_NOT_A_SWITCH");
    FAIL() << "read a variable that is not in the table";
  } catch (const gan::Error& e) {
    EXPECT_NE(std::string(e.what()).find("GAN_DIST_NOT_A_SWITCH is read but not in"), std::string::npos) << e.what();
  }
  ::unsetenv("GAN_DIST_NOT_A_SWITCH");
}

TEST(Environment, HelpListsEveryVariableWithWhatItDoes) {
  const std::string text = gan::describeEnvironmentVariables();
  for (const auto& variable : gan::environmentVariables()) {
    EXPECT_NE(text.find("  " + std::string(variable.name) + "\n      " + variable.purpose), std::string::npos)
        << variable.name;
  }
}

}  // namespace
