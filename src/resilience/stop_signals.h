// Stop requests by signal. SIGTERM, SIGINT and SIGUSR1 (what Slurm sends before preemption)
// set a flag that the training loop turns into an agreed stop at the next step boundary; a
// second SIGINT ends the process at once.
#pragma once

namespace gan::resilience {

void installStopSignalHandlers();
// The signal that asked for a stop on this rank, or 0.
int requestedStopSignal();
// "SIGTERM", "SIGINT", "SIGUSR1" for the log line of an agreed stop ("a signal" otherwise).
const char* stopSignalName(int signal_number);
// Test hook: forget an earlier request.
void clearStopRequest();

}  // namespace gan::resilience
