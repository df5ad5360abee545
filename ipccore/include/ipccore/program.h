#pragma once

// A worker's program: the steps one process repeats, each one real IPC operation on a named object of the scenario
// or a stretch of local work. Producer and consumer are the two simplest programs and keep their own fast loops
// (worker.cpp); a worker with role "program" runs its steps in order, over and over, until its count of passes is
// done or it is stopped.
//
//   acquire OBJ [timeout]  sem_wait on a semaphore object, or take a shared array's lock (Python: `with
//                          v.get_lock():`). No timeout blocks; 0 tries once (sem_trywait, posix_ipc's BusyError);
//                          N ms waits at most that long (sem_timedwait semantics, on CLOCK_MONOTONIC). A timed-out
//                          acquire ends the pass: the steps after it are skipped, as code skips a `with` block.
//   release OBJ            sem_post: gives back what an earlier acquire of OBJ in the same pass took.
//   read OBJ[CELL]         loads one cell of a shared array into the worker's register (`x = v.value`), or the
//                          process's own copy of a global (`x = counter`, cell 0).
//   write OBJ[CELL] +N     stores register + N into the cell (`v.value = x + 1`). Between a read and its write
//                          another process may write: that is the lost update of an unlocked `v.value += 1`.
//   put OBJ [timeout] [prio N]  sends one checksummed message into a queue (Python: `q.put(msg)`); the timeout
//                          works as acquire's: 0 is `put_nowait` (queue.Full when there is no room), N ms is
//                          `put(msg, timeout=N/1000)`. A full queue that does not take it in time ends the pass.
//                          prio: mq's message priority (posix_ipc's `send(msg, priority=N)`).
//   get OBJ [timeout]      takes one message out (`q.get()`, `get_nowait()`, `get(timeout=...)`; queue.Empty when
//                          nothing comes in time, which ends the pass).
//   work US [each]         local work of US microseconds (sleeping, so it does not steal CPU from the others);
//                          with `each`, US for every task the process holds (a pool worker's chunk).
//   map TASKS RESULTS N [chunk K]  one `pool.map(f, range(N), chunksize=K)`: puts the N tasks into TASKS as
//                          ceil(N/K) messages (each carries its task ids) while it collects their results from
//                          RESULTS, until every task has its result. A pool worker is the program
//                          `get TASKS; work 50us each; put RESULTS`: a put after a get carries the ids of the tasks
//                          the get took, which is how each result finds its task.
//   apply TASKS RESULTS N  N `pool.apply_async(f, (i,))` calls, one message each, then `.get()` on every result;
//                          results arrive in whatever order the pool finishes them.
//   request SERVER REPLIES get d[KEY] [timeout]   one call through a Manager proxy: puts a request (with this
//   request SERVER REPLIES set d[KEY] +N           process's id, a request id and REPLIES as its reply address)
//   request SERVER REPLIES append l +N             into SERVER, then takes from REPLIES until the reply with that
//   request SERVER REPLIES len l                   id comes. get and len fill the register (`x = d['count']`,
//                          `x = len(l)`); set and append store register + N (`d['count'] = x + 1`, `l.append(x + 1)`).
//                          `ns.ATTR` in place of d[KEY] is a Namespace attribute. get then set is two round trips, so
//                          `d['count'] += 1` through a proxy loses updates between clients as `v.value += 1` does.
//                          With a timeout, a reply that does not come in time ends the pass (counted as missed).
//   serve SERVER           the Manager's server: takes one request from SERVER, applies it to the dict, list and
//                          Namespace it keeps in its own memory, and puts the reply into the request's reply address.
//
// Every step is written as one line of text as well ("read counter[0]"), which is how the worker's command line
// carries its program and how the window names the step a process is on.

#include "ipccore/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipccore {

enum class StepOp : std::uint8_t { Acquire, Release, Read, Write, Work, Put, Get, Map, Apply, Request, Serve };
// What a request asks the server to do (RequestRef::op).
enum class RequestOp : std::uint8_t { Get = 0, Set = 1, Append = 2, Len = 3 };

struct ProgramStep {
    StepOp op = StepOp::Work;
    std::string object; // scenario object name; empty for work
    std::uint32_t cell = 0; // read / write: which cell of the array
    std::int64_t add = 1; // write: the value stored is the register plus this
    std::optional<std::uint32_t> timeoutMs; // acquire, put, get: none blocks, 0 tries once, N waits at most N ms
    std::uint32_t priority = 0; // put on an mq: the message's priority
    std::uint32_t us = 0; // work: microseconds
    bool perTask = false; // work: `each`, the microseconds are per task held
    std::string results; // map, apply: where the results come back (`object` is where the tasks go)
    std::uint32_t tasks = 0; // map, apply: tasks per call
    std::uint32_t chunk = 1; // map: tasks per message
    RequestOp request = RequestOp::Get; // request: what to ask (`results` is the reply address)
    std::string key; // request: "d[KEY]", "ns.ATTR" or "l"
};

// Map and apply: a client that puts tasks and collects their results.
inline bool isPoolCall(StepOp op)
{
    return op == StepOp::Map || op == StepOp::Apply;
}

// Steps that fill the register a later write, set or append adds to.
inline bool stepLoads(const ProgramStep& step)
{
    return step.op == StepOp::Read
        || (step.op == StepOp::Request && (step.request == RequestOp::Get || step.request == RequestOp::Len));
}

using ProgramSteps = std::vector<ProgramStep>;

namespace ProgramLimits {
constexpr std::size_t MaxSteps = 16; // the telemetry board keeps a counter per step
constexpr std::uint32_t MaxTimeoutMs = 60'000;
constexpr std::uint32_t MaxWorkUs = 1'000'000;
constexpr std::uint32_t MaxPoolTasks = 1'000'000; // tasks in one map or apply call
constexpr std::size_t MaxObjects = 16; // objects one program is bound to (a server: its reply queues too)
constexpr std::size_t MaxKeyLength = 16; // request: d[KEY] and ns.ATTR
constexpr std::size_t MaxServerKeys = 1024; // a server's dict and Namespace hold at most this many entries each
} // namespace ProgramLimits

// "acquire", "release", "read", "write", "work", "put", "get", "map", "apply", "request", "serve"
const char* stepOpName(StepOp op);
const char* requestOpName(RequestOp op); // "get", "set", "append", "len"
// Steps that wait and may give up (acquire, put, get, request): their misses are timeouts.
bool stepCanTimeOut(StepOp op);
std::optional<StepOp> parseStepOp(std::string_view text);

// One line: "acquire pool 100ms", "acquire counter", "read counter[0]", "write counter[0] +1", "work 50us",
// "put jobs 0ms prio 9", "get jobs 20ms", "map tasks results 100 chunk 8", "apply tasks results 50",
// "request manager replies-1 set d[count] +1", "serve manager".
std::string stepText(const ProgramStep& step);
// The inverse of stepText; the error names the text and what is wrong with it.
Result<ProgramStep> parseStepText(std::string_view text);
// Steps joined by "; " and back (the worker's --program).
std::string programText(const ProgramSteps& program);
Result<ProgramSteps> parseProgramText(std::string_view text);

// The same operation in the Python a student knows, e.g. "sem.acquire(timeout=0.1)", "x = counter[0]".
std::string stepPython(const ProgramStep& step);

// The objects a program names, each once, in order of first use.
std::vector<std::string> programObjects(const ProgramSteps& program);

// Which acquire each release gives back, matched as nested `with` blocks are (the latest acquire of the same object
// not yet given back). pairs[i] is the partner of step i: an acquire's release, a release's acquire, or
// program.size() when it has none. An acquire without a release consumes a signal (a producer's
// `empty.acquire()`), a release without an acquire posts one (its `full.release()`); only a paired acquire means
// the process holds the object until its release.
std::vector<std::size_t> lockPairs(const ProgramSteps& program);

} // namespace ipccore
