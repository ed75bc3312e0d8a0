#include "comm/communicator_traits.h"

#include "comm/flight_recording_communicator.h"
#include "comm/mpi_communicator.h"

namespace gan::comm {

bool runsCollectivesOnCaller(const Communicator& communicator) {
  const Communicator* backend = &communicator;
  if (const auto* recorded = dynamic_cast<const FlightRecordingCommunicator*>(backend)) backend = &recorded->backend();
  const auto* mpi = dynamic_cast<const MpiCommunicator*>(backend);
  return mpi != nullptr && mpi->runsCollectivesOnCaller();
}

}  // namespace gan::comm
