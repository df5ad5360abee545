#pragma once
// A run as a trace: each worker's state changes and program steps, as its event ring recorded them (telemetry.h),
// every object's depth and semaphore values as sampled, and the run's events (kills, stops, repairs, deadlocks).
// chromeTraceJson writes it in the Chrome trace-event format, which the Perfetto UI (ui.perfetto.dev) and
// chrome://tracing open: one process per worker with a "state" thread and a "steps" thread of complete ("X") spans,
// counters ("C") for the objects, instants ("i") for the run's events, flow arrows ("s" to "f") from a post to the
// wait it ended where the events tell (Timeline::wakerOf), and names as metadata ("M"). Pure: no IPC.
#include "ipccore/telemetry.h"

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace ipccore {

// What a worker's events mean, fixed when it is spawned: its steps, what each wait is on, what it holds while on
// each step and whose waits each step can end. Shared by the trace and the timeline (timeline.h).
struct LaneInfo {
    std::vector<std::string> steps; // a program's step texts; empty for a producer or consumer
    // A wait in each blocked state at each step (one "step" for a producer or consumer), for BlockedFull,
    // BlockedEmpty and WaitingLock: what it is for in the object's words ("buffer: empty slots (sem)"), and the
    // object ("buffer"; empty when no one object is it).
    std::vector<std::array<std::string, WorkerStateCount>> waitTexts;
    std::vector<std::array<std::string, WorkerStateCount>> waitObjects;
    // Per step: the objects it holds while on it (a paired acquire before it whose release has not begun).
    std::vector<std::vector<std::string>> holdsDuring;
    // Per step: the objects whose waiters it can wake (a release, a put, a get, a request, a pool call).
    std::vector<std::vector<std::string>> postsAt;
    // The objects it can post to without holding them first, at any step (a producer's put, a consumer's get, a
    // program's release of a semaphore it did not acquire): whose waits it can end (wait_for.h).
    std::vector<std::string> postsWithoutHolding;
    // A producer's or consumer's channel lock, taken and released for each message, as its lock events
    // (WorkerSlot::EventLock) name it: "buffer.mutex" for a ring; empty where the channel has none.
    std::string lock;

    const std::string& waitText(std::uint32_t step, WorkerState state) const;
    const std::string& waitObject(std::uint32_t step, WorkerState state) const;
    bool posts(std::uint32_t step, const std::string& object) const;
};

struct TraceWorker {
    std::string name;
    pid_t pid = 0; // its track; a worker on a host: a number no process here can have (see hostPid)
    std::string host; // the worker host it ran on (WorkerStatus::host); empty = this machine
    pid_t hostPid = 0; // on a host: its process id there
    std::shared_ptr<const LaneInfo> info; // never null
    // In time order. A deque: the runner appends 100 000 events a second over 128 workers and drops the oldest
    // half of a long list, and a vector's regrowth and front erase copied them over and over.
    std::deque<WorkerEvent> events;
    std::uint64_t lost = 0; // events the ring no longer held when drained
    std::uint64_t trimmed = 0; // the oldest events dropped to keep memory bounded
    std::uint64_t endNs = 0; // when its last span ends: its exit as the runner saw it, or the end of the trace
};

struct TraceCounter {
    std::string name; // "buffer"
    std::vector<std::string> series; // "depth", or a semaphore's roles ("empty", "full", "mutex")
    // Its points in time order: values[p * series.size() + k] is series k at times[p] (flat: a vector per point was an
    // allocation for every object at every sample).
    std::vector<std::uint64_t> times;
    std::vector<double> values;
    double value(std::size_t point, std::size_t seriesIndex) const
    {
        return values[point * series.size() + seriesIndex];
    }
};

struct TraceInstant {
    std::uint64_t ns = 0;
    std::string text;
};

struct TraceLog {
    std::string scenario;
    pid_t runnerPid = 0;
    std::uint64_t startNs = 0; // CLOCK_MONOTONIC at the start: ts 0
    std::uint64_t endNs = 0;
    std::vector<TraceWorker> workers;
    std::vector<TraceCounter> counters;
    std::vector<TraceInstant> instants;
};

// The trace as Chrome trace-event JSON (the object form: {"traceEvents": [...], "displayTimeUnit": "ms"}).
std::string chromeTraceJson(const TraceLog& log);

} // namespace ipccore
