// The per-step control collective: every rank contributes its flags (a stop was requested by
// signal, ...), and every rank acts on the same agreed result, so rank 0 never decides alone.
//
// The word of step s is reduced while step s+1 computes, and acted on at the end of step s+1:
// one step of latency buys a collective that never holds the step up, and since every rank
// waits for the same reduction at the same step, the decision is still the same everywhere.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "comm/communicator.h"

namespace gan::coordinator {

struct StepDecisions {
  int stop_signal = 0;  // a stop was requested on some rank (its signal number), or 0
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

  // At a step boundary: starts the reduction of this rank's flags and returns the decisions of
  // the previous boundary's (no decision at the first boundary).
  StepDecisions exchange();

 private:
  comm::Communicator& communicator_;
  std::function<int()> local_stop_request_;
  int64_t words_[2][1] = {{0}, {0}};  // double-buffered: one in flight, one being read
  int current_ = 0;
  std::shared_ptr<comm::Work> in_flight_;
};

}  // namespace gan::coordinator
