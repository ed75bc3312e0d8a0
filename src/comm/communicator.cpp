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

}  // namespace gan::comm
