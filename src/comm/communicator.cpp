#include "comm/communicator.h"

#include "common/error.h"

namespace gan::comm {

size_t scalarSize(ScalarType type) {
  switch (type) {
    case ScalarType::Float32: return 4;
    case ScalarType::Float64: return 8;
    case ScalarType::Int64: return 8;
    case ScalarType::UInt8: return 1;
  }
  GAN_FAIL("unknown scalar type");
}

int64_t broadcastInt64(int64_t value, int root, Communicator& communicator) {
  communicator.broadcast({&value, 1, ScalarType::Int64, MemorySpace::Host}, root);
  return value;
}

std::string broadcastText(std::string text, int root, Communicator& communicator) {
  // The length first: the other ranks size their buffer from it.
  const auto length = broadcastInt64(static_cast<int64_t>(text.size()), root, communicator);
  text.resize(static_cast<size_t>(length));
  communicator.broadcast({text.data(), text.size(), ScalarType::UInt8, MemorySpace::Host}, root);
  return text;
}

}  // namespace gan::comm
