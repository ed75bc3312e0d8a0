// The per-step control collective: every rank contributes its flags (a stop was requested by
// signal, ...) and its share of the step's global sums (ADA's signs of D's real logits), and
// every rank acts on the same agreed result, so rank 0 never decides alone.
//
// The word of step s is reduced (one SUM allreduce of a few integers) during step s+1 and acted
// on at the end of step s+1: one step of latency buys a collective that never holds the step up,
// and since every rank waits for the same reduction at the same step, the decision is still the
// same everywhere. It is issued to start with the next collective (AllreduceOptions::start_with_next): the MPI backend
// runs it just before step s+1's first gradient reduction, where the ranks meet anyway. Started
// at once instead, it ran on the communication thread while the training thread computed on the
// same core and spun there until the slowest rank arrived, a loss in every step
// (figures: docs/performance.md#figures-behind-the-codes-choices).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "comm/communicator.h"

namespace gan::run {

// This rank's share of a step's global sums.
struct StepContribution {
  int64_t real_sign_sum = 0;  // sum of sign(D(x)) over this rank's real rows
  int64_t real_rows = 0;
  bool checkpoint_requested = false;  // rank 0's time rule asks for a checkpoint
};

struct StepDecisions {
  bool agreed = false;  // false at a run's first boundary: nothing had been reduced yet
  int stop_signal = 0;  // a stop was requested on some rank (its signal number), or 0
  // The step's global sums, all ranks together.
  int64_t real_sign_sum = 0;
  int64_t real_rows = 0;
  bool checkpoint_requested = false;  // some rank asked for a checkpoint (the time rule)
};

class StepAgreement {
 public:
  // `local_stop_request` tells this rank's contribution: the signal that asked it to stop, or 0
  // (training passes stop_signals.h's requestedStopSignal).
  StepAgreement(comm::Communicator& communicator, std::function<int()> local_stop_request)
      : communicator_(communicator), local_stop_request_(std::move(local_stop_request)) {}
  ~StepAgreement();
  StepAgreement(const StepAgreement&) = delete;
  StepAgreement& operator=(const StepAgreement&) = delete;

  // At a step boundary: starts the reduction of this rank's flags and `mine`, and returns the
  // decisions of the previous boundary's.
  StepDecisions exchange(const StepContribution& mine = {});

  // The reduction the last exchange() started, waited for (it does not start another). A
  // checkpoint records its sums, so that a resumed run acts on them at its first boundary as
  // this run does at its next one.
  StepDecisions inFlight();
  // A resumed run: the first exchange() returns `carried` (the checkpoint's inFlight()).
  void resumeWith(const StepDecisions& carried) { carried_ = carried; }

 private:
  static constexpr int kWords = 6;  // SIGTERM, SIGUSR1, SIGINT requests; sign sum; rows; checkpoint
  comm::Communicator& communicator_;
  std::function<int()> local_stop_request_;
  int64_t words_[2][kWords] = {};  // double-buffered: one in flight, one being read
  int current_ = 0;
  std::shared_ptr<comm::Work> in_flight_;
  bool in_flight_done_ = false;
  StepDecisions carried_;

  void awaitInFlight();
  StepDecisions decode(const int64_t* words) const;
};

}  // namespace gan::run
