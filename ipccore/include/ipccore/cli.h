#pragma once

// ipclab-cli: list, run and bench from a terminal. The main in app/ only forwards to runCliMain.
//
// Exit status: 0 success (run: integrity exact), 1 integrity failed, 2 bad input.

namespace ipccore {

int runCliMain(int argc, char** argv);

} // namespace ipccore
