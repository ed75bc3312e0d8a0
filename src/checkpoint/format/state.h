// What a checkpoint's state.json records about the run's configuration, read back as untrusted
// input: it passes the same parsing and validation (limits on sizes included) as a command line.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/config.h"

namespace gan::checkpoint {

// The configuration recorded in `state` ("config": {option: value, ...}), parsed as this build
// parses options. Throws gan::Error naming `checkpoint_dir`'s state.json on anything else.
Config configFromCheckpointState(const nlohmann::json& state, const std::string& checkpoint_dir);

}  // namespace gan::checkpoint
