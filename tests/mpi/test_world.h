// The communicator shared by all tests of a multi-rank test binary.
#pragma once

#include "comm/backend_factory.h"

namespace gan::test_support {
comm::Communicator& world();
}
