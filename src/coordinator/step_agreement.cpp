#include "coordinator/step_agreement.h"

namespace gan::coordinator {

StepAgreement::~StepAgreement() {
  // Every rank leaves with the same number of exchanges, so each finishes the last one here.
  if (in_flight_) {
    try {
      in_flight_->wait();
    } catch (...) {
    }
  }
}

StepDecisions StepAgreement::exchange() {
  StepDecisions decisions;
  if (in_flight_) {
    in_flight_->wait();
    decisions.stop_signal = static_cast<int>(words_[current_][0]);
    current_ ^= 1;
  }
  words_[current_][0] = local_stop_request_ ? local_stop_request_() : 0;
  in_flight_ = communicator_.allreduceAsync({words_[current_], 1, comm::ScalarType::Int64, comm::MemorySpace::Host},
                                            {comm::ReduceOp::Max});
  return decisions;
}

}  // namespace gan::coordinator
