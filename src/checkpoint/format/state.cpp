#include "checkpoint/format/state.h"

#include <vector>

#include "common/error.h"

namespace gan::checkpoint {

Config configFromCheckpointState(const nlohmann::json& state, const std::string& checkpoint_dir) {
  GAN_CHECK(state.contains("config") && state["config"].is_object(), checkpoint_dir, "/state.json: no 'config' object");
  std::vector<std::string> arguments{"gan_sample"};
  for (const auto& [key, value] : state["config"].items()) {
    if (key == "config") continue;  // the .ini it was read from; its values are all listed here
    GAN_CHECK(value.is_string(), checkpoint_dir, "/state.json: config value of '", key, "' is not a string");
    // Boost refuses "--key=" with nothing after it; every option that may be empty defaults to empty.
    if (value.get<std::string>().empty()) continue;
    arguments.push_back("--" + key + "=" + value.get<std::string>());
  }
  std::vector<const char*> argv;
  for (const auto& argument : arguments) argv.push_back(argument.c_str());
  try {
    return parseCommandLine(static_cast<int>(argv.size()), argv.data()).config;
  } catch (const Error& e) {
    GAN_FAIL(checkpoint_dir, "/state.json: recorded configuration does not parse: ", e.what());
  }
}

}  // namespace gan::checkpoint
