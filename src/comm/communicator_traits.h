// What training code may ask of a communicator beyond its collectives, seen through any wrapper
// (FlightRecordingCommunicator) without widening the Communicator interface.
#pragma once

#include "comm/communicator.h"

namespace gan::comm {

// Whether a collective runs inside the call that issues it (MpiCommunicator on one core), so the
// time of that call is communication; otherwise the call only hands the collective over, and any
// time spent in it (the thread descheduled) is the caller's own.
bool runsCollectivesOnCaller(const Communicator& communicator);

}  // namespace gan::comm
