#pragma once

// The Python lens: a scenario as the Python program a student would write for it, with multiprocessing from the
// standard library (Queue, Pipe, Value, Array, Semaphore, Pool, Manager), generated from its worker programs. One
// function per process; each step of a worker's program is one line of its function, so a view can point at the line
// a process is on. The program runs as it is: `python3 program.py [SECONDS]` runs it for the scenario's duration (or
// SECONDS), then terminates its processes and exits 0, or 1 naming a process that failed.

#include "ipccore/scenario.h"

#include <string>
#include <vector>

namespace ipccore {

struct PythonProgram {
    std::string text; // the whole program, lines ended by '\n'
    // Per worker, in the scenario's order: per step of its program (one step for a producer or consumer), the
    // 1-based line of `text` that does it.
    std::vector<std::vector<int>> stepLines;
};

PythonProgram pythonProgram(const Scenario& scenario);

} // namespace ipccore
