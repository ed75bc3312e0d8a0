#include "run/step_agreement.h"

#include <csignal>

namespace gan::run {
namespace {
// Stop requests are counted per signal (a sum of signal numbers would mean nothing); when
// several arrive together the first of this list names the stop, as a MAX reduction once did.
constexpr int kStopSignals[] = {SIGTERM, SIGUSR1, SIGINT};
}  // namespace

StepAgreement::~StepAgreement() {
  // Every rank leaves with the same number of exchanges, so each finishes the last one here.
  try {
    awaitInFlight();
  } catch (...) {
  }
}

void StepAgreement::awaitInFlight() {
  if (!in_flight_ || in_flight_done_) return;
  in_flight_->wait();
  in_flight_done_ = true;
}

StepDecisions StepAgreement::decode(const int64_t* words) const {
  StepDecisions decisions;
  decisions.agreed = true;
  for (int i = 0; i < 3; ++i) {
    if (words[i] > 0) {
      decisions.stop_signal = kStopSignals[i];
      break;
    }
  }
  decisions.real_sign_sum = words[3];
  decisions.real_rows = words[4];
  decisions.checkpoint_requested = words[5] > 0;
  return decisions;
}

StepDecisions StepAgreement::inFlight() {
  if (!in_flight_) return carried_;
  awaitInFlight();
  return decode(words_[current_]);
}

StepDecisions StepAgreement::exchange(const StepContribution& mine) {
  StepDecisions decisions = carried_;
  carried_ = {};
  if (in_flight_) {
    awaitInFlight();
    decisions = decode(words_[current_]);
    current_ ^= 1;
  }
  int64_t* word = words_[current_];
  const int signal = local_stop_request_ ? local_stop_request_() : 0;
  for (int i = 0; i < 3; ++i) word[i] = 0;
  if (signal != 0) {
    int slot = 0;  // a signal outside the list (none is handled today) asks like SIGTERM
    for (int i = 0; i < 3; ++i) {
      if (kStopSignals[i] == signal) slot = i;
    }
    word[slot] = 1;
  }
  word[3] = mine.real_sign_sum;
  word[4] = mine.real_rows;
  word[5] = mine.checkpoint_requested ? 1 : 0;
  in_flight_done_ = false;
  in_flight_ = communicator_.allreduceAsync({word, kWords, comm::ScalarType::Int64, comm::MemorySpace::Host},
                                            {comm::ReduceOp::Sum, nullptr, comm::WireFormat::Float32,
                                             /*start_with_next=*/true});
  return decisions;
}

}  // namespace gan::run
