#pragma once

// SIGINT, SIGTERM and SIGHUP quit the Qt event loop instead of killing the process, so the run is stopped and every
// object unlinked on the way out (Ctrl+C in the terminal, a session logout, `kill <pid>`). Only SIGKILL skips this;
// then the next start removes the dead run's objects (ipccore::cleanupStaleRuns).

namespace ipcui {

// Call once, after the QCoreApplication exists.
void quitOnTerminationSignals();

} // namespace ipcui
