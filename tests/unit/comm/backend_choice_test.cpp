// Choosing a backend: what cannot be had is a one-line error, and auto picks local for one process.
#include <gtest/gtest.h>

#include "comm/backend_factory.h"
#include "common/error.h"
#include "common/option_values.h"
#include "support/error_message.h"

namespace {

TEST(BackendChoice, ImpossibleRequestsAreOneLineErrors) {
  const auto message = gan::test_support::errorMessageOf(
      [] { gan::comm::createCommunicator(gan::comm::BackendChoice::Nccl, /*tensors_on_gpu=*/false); });
  EXPECT_EQ(message.find('\n'), std::string::npos);
  EXPECT_NE(message.find("--comm.backend=nccl"), std::string::npos) << message;
  EXPECT_THROW(gan::parseOptionValue<gan::BackendChoice>("gloo", "--comm.backend"), gan::Error);
  EXPECT_EQ(gan::comm::createCommunicator(gan::comm::BackendChoice::Auto, false)->backendName(), "local");
}

}  // namespace
