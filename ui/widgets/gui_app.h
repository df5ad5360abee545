#pragma once

// The whole of `ipclab`'s main(), in the library so tests could drive it:
//   ipclab [--run <scenario name or file> | --idle] [--screenshot FILE --after SECONDS] [--worker PATH]
//   ipclab --race [--screenshot FILE] [--worker PATH]
//   ipclab --help | --version      (answered before any display is opened, so they work without one)
// Without --run, --race or --idle the window starts the default scenario at launch; --idle opens it without running.
// --screenshot grabs the main window SECONDS after the run has started, saves it as PNG, stops the run (every object
// unlinked) and exits 0; it exits 1 when the run cannot start or the file cannot be written.
// --race opens the Race tab and starts a race with the form's defaults; with --screenshot it grabs the window once
// the race has finished and exits 0 (1 when the race fails or the file cannot be written).
// Bad options exit 2 with one line naming the problem.

namespace ipcui {

int runGuiMain(int argc, char** argv);

} // namespace ipcui
