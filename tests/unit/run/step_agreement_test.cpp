// The per-step agreement (stop requests, checkpoint requests, global sums, one boundary later) and the
// queue of each step's inputs.
#include <gtest/gtest.h>

#include <csignal>
#include <vector>

#include "comm/local_communicator.h"
#include "run/step_agreement.h"
#include "run/step_inputs.h"
#include "support/identical_replicas_communicator.h"

namespace {
using namespace gan;

TEST(StepAgreement, ActsOnTheStopOneBoundaryLaterWithOneTinyReductionPerStep) {
  test_support::IdenticalReplicasCommunicator communicator(1);
  int local_request = 0;
  run::StepAgreement agreement(communicator, [&] { return local_request; });
  EXPECT_FALSE(agreement.exchange().agreed);  // the first boundary has nothing to act on
  local_request = SIGTERM;
  EXPECT_EQ(agreement.exchange().stop_signal, 0);        // the word of boundary 1 (no request yet)
  EXPECT_EQ(agreement.exchange().stop_signal, SIGTERM);  // boundary 2's word: the request
  ASSERT_EQ(communicator.calls.size(), 3u);
  for (const auto& call : communicator.calls) {
    EXPECT_EQ(call.count, 6u);  // three signals, ADA's two sums, the checkpoint request
    EXPECT_EQ(call.op, comm::ReduceOp::Sum);  // requests are counted; any rank's stops every rank
  }
}

// ---- StepInputQueue

// Each step's inputs are assembled once: in place, or ahead when the trainer asks during G's
// reduction; nothing is offered past the run's end.
TEST(StepInputQueue, AssemblesEachStepOnceInPlaceOrAhead) {
  std::vector<int64_t> assembled;
  run::StepInputQueue queue([&](int64_t step) {
    assembled.push_back(step);
    train::DiscriminatorBatch batch;
    batch.batch_number = step;
    return std::vector<train::DiscriminatorBatch>{batch};
  });
  EXPECT_EQ(queue.take(0).front().batch_number, 0);
  const auto next = queue.nextAfter(0, 3);
  ASSERT_NE(next(), nullptr);
  EXPECT_EQ(queue.take(1).front().batch_number, 1);  // the batch assembled ahead
  EXPECT_EQ(queue.take(2).front().batch_number, 2);  // nobody asked: assembled in place
  EXPECT_EQ(queue.nextAfter(2, 3)(), nullptr);       // step 3 is past the end
  EXPECT_EQ(assembled, (std::vector<int64_t>{0, 1, 2}));
}

// Rank 0's time rule asks for a checkpoint in its word; every rank learns it one boundary later.
TEST(StepAgreement, CarriesACheckpointRequestOneBoundaryLater) {
  test_support::IdenticalReplicasCommunicator three_ranks(3);
  run::StepAgreement agreement(three_ranks, nullptr);
  agreement.exchange();
  run::StepContribution asking;
  asking.checkpoint_requested = true;
  EXPECT_FALSE(agreement.exchange(asking).checkpoint_requested);  // boundary 1's word did not ask
  EXPECT_TRUE(agreement.exchange().checkpoint_requested);         // boundary 2's did
  EXPECT_FALSE(agreement.exchange().checkpoint_requested);
}

TEST(StepAgreement, EverySignalOfTheListIsNamedAfterTheReduction) {
  for (int signal : {SIGTERM, SIGUSR1, SIGINT}) {
    test_support::IdenticalReplicasCommunicator three_ranks(3);  // three ranks asking together
    run::StepAgreement agreement(three_ranks, [&] { return signal; });
    agreement.exchange();
    EXPECT_EQ(agreement.exchange().stop_signal, signal);
  }
}

TEST(StepAgreement, CarriesTheGlobalSumsOfEachStepOneBoundaryLater) {
  test_support::IdenticalReplicasCommunicator three_ranks(3);  // three identical contributions
  run::StepAgreement agreement(three_ranks, nullptr);
  agreement.exchange({5, 8});
  const auto first = agreement.exchange({-2, 8});
  EXPECT_TRUE(first.agreed);
  EXPECT_EQ(first.real_sign_sum, 15);
  EXPECT_EQ(first.real_rows, 24);
  EXPECT_EQ(first.stop_signal, 0);
  // A checkpoint reads what is in flight without starting another reduction...
  const auto pending = agreement.inFlight();
  EXPECT_EQ(pending.real_sign_sum, -6);
  EXPECT_EQ(three_ranks.calls.size(), 2u);
  // ...and the next boundary still acts on it.
  EXPECT_EQ(agreement.exchange().real_sign_sum, -6);
}

TEST(StepAgreement, AResumedRunActsOnTheCheckpointsPendingSumsFirst) {
  comm::LocalCommunicator alone;
  run::StepAgreement agreement(alone, nullptr);
  agreement.resumeWith({true, 0, 7, 16});
  const auto first = agreement.exchange({1, 16});
  EXPECT_TRUE(first.agreed);
  EXPECT_EQ(first.real_sign_sum, 7);
  EXPECT_EQ(first.real_rows, 16);
  EXPECT_EQ(agreement.exchange().real_sign_sum, 1);
}

TEST(StepAgreement, WithoutASourceNobodyAsksToStop) {
  comm::LocalCommunicator alone;
  run::StepAgreement agreement(alone, nullptr);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(agreement.exchange().stop_signal, 0);
}

}  // namespace
