#include "resilience/stop_signals.h"

#include <unistd.h>

#include <csignal>
#include <initializer_list>

namespace gan::resilience {
namespace {
volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void onStopSignal(int signal_number) {
  if (signal_number == SIGINT && g_stop_signal == SIGINT) {
    // Second Ctrl-C: the user does not want to wait for the checkpoint.
    static const char message[] = "second SIGINT: exiting now without a checkpoint\n";
    (void)!write(STDERR_FILENO, message, sizeof message - 1);
    _exit(130);
  }
  g_stop_signal = signal_number;
}
}  // namespace

void installStopSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = onStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int signal_number : {SIGTERM, SIGINT, SIGUSR1}) sigaction(signal_number, &action, nullptr);
}

int requestedStopSignal() { return g_stop_signal; }

void clearStopRequest() { g_stop_signal = 0; }

const char* stopSignalName(int signal_number) {
  switch (signal_number) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGUSR1: return "SIGUSR1";
    default: return "a signal";
  }
}

}  // namespace gan::resilience
