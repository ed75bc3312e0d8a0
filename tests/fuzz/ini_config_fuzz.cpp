// Fuzzes the configuration file parser and validation (--config FILE.ini), as gan_dist reads it.
#include <cstdint>

#include "common/config.h"
#include "common/error.h"
#include "fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& path = gan::fuzz::writeScratch(data, size, ".ini");
  const char* argv[] = {"gan_dist", "--config", path.c_str()};
  try {
    const auto parsed = gan::parseCommandLine(3, argv);
    parsed.config.validate();  // an accepted configuration is a valid one
  } catch (const gan::Error&) {
  }
  return 0;
}
