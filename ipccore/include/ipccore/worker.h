#pragma once

// ipclab-worker: one producer, consumer or program process. The runner starts it with the names of the objects and of
// the telemetry board; see WorkerArgs for the command line. Runs until its count is done, a stop is requested (SIGTERM
// or the board's stop control), or its controller dies (PR_SET_PDEATHSIG, set by the runner).
//
// Exit status: 0 after a normal stop, 2 for a bad command line, 3 when the IPC objects cannot be opened, 4 when a
// transfer failed (the error is printed to stderr). `--help` and `--version` print the usage or the version and exit 0.
// A failure the worker goes on after (a socket consumer's accept4 with EMFILE) is published in its board slot
// (WorkerSlot::errorCount), so the runner can report it once and the run is not exact.

#include "ipccore/channel.h"
#include "ipccore/scenario.h"

#include <string>
#include <vector>

namespace ipccore {

struct WorkerArgs {
    std::string board; // telemetry board name
    std::uint32_t slot = 0; // slot index in the board; also the producer id in frames
    Role role = Role::Producer;
    TransportKind transport = TransportKind::Mq;
    std::string object; // OS name (mq, shm) or path (fifo, socket)
    std::uint32_t objectMessageSize = 64; // the object's largest frame
    std::uint32_t capacity = 0; // ring slots
    int listenFd = -1; // socket consumers: inherited listening descriptor
    std::string bindAddress; // zmq-tcp consumers between machines: the address to listen on (ChannelAddress)
    std::uint32_t consumers = 1; // zmq, zmq-tcp: the object's consumers, each with an endpoint (ChannelAddress)
    std::uint32_t consumerIndex = 0; // zmq, zmq-tcp consumers: which of them this is
    bool consumerElsewhere = false; // zmq-tcp producers between machines: each consumer's key comes from its host
    // zmq-tcp producers between machines: the CLOCK_MONOTONIC of the consumers' host furthest behind minus this
    // machine's (stampClock), or 0, added to each frame's send time, so a consumer's latency compares times of one
    // clock (less a correction the controller makes for a host ahead of that one).
    std::int64_t clockOffsetNs = 0;
    WorkerSpec spec; // rate, size, work, count, priority; the program's steps
    // Programs: where each object their steps name lives (transport, OS name, capacity), by scenario name.
    struct Binding {
        std::string object;
        ChannelAddress address;
    };
    std::vector<Binding> bindings;
    bool telemetry = true;
    bool events = true; // state changes and steps into the slot's event ring (off: to measure what they cost)
};

std::vector<std::string> workerCommandLine(const std::string& executable, const WorkerArgs& args);
Result<WorkerArgs> parseWorkerCommandLine(int argc, char** argv);

// Runs the worker loop in this process; returns the exit status.
int runWorker(const WorkerArgs& args);
int runWorkerMain(int argc, char** argv);

} // namespace ipccore
