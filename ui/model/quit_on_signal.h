#pragma once

// SIGINT, SIGTERM and SIGHUP quit the Qt event loop instead of killing the process, so the run is stopped and every
// object unlinked on the way out (Ctrl+C in the terminal, a session logout, `kill <pid>`). Only SIGKILL skips this;
// then the next start removes the dead run's objects (ipccore::cleanupStaleRuns).

namespace ipcui {

// Call once, after the QCoreApplication exists.
void quitOnTerminationSignals();

// True once such a signal has asked to quit: a window then closes without asking the user anything (nobody may be
// there to answer, and the signal's sender waits for the process to end).
bool quittingOnSignal();

} // namespace ipcui
