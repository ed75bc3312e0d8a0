// Fuzzes what gan_sample and gan_eval build a model from: state.json's recorded configuration.
// Whatever it accepts has passed the command line's validation, size limits included.
#include <cstdint>
#include <nlohmann/json.hpp>

#include "checkpoint/format/state.h"
#include "common/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto state = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (state.is_discarded()) return 0;  // not JSON: verifyCheckpoint refuses it before this point
  try {
    const auto config = gan::checkpoint::configFromCheckpointState(state, "fuzz");
    config.validate();
    if (config.model.hidden_dim > (1 << 16) || config.train.batch_size > (1 << 20)) __builtin_trap();
  } catch (const gan::Error&) {
  }
  return 0;
}
