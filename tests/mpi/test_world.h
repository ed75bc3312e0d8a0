// The communicator shared by all tests of a multi-rank test binary.
#pragma once

#include "comm/communicator.h"

namespace gan::test_support {
comm::Communicator& world();
}
