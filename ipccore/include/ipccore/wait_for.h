#pragma once

// Who waits for whom: the wait-for graph of a run, and the verdict on it. A process stuck in a wait (blocked with no
// timeout for a while) waits for an object; the processes that could end that wait are those that hold it (they
// will release it) and those that post to it without holding it (a signal, a put, a get). A stuck process whose
// wait someone free to run could end is not stuck for good. What is left once every such process is taken out is
// stuck for good: a deadlock when the waits among them form a cycle ("philosopher-1 holds fork-1 and waits for
// fork-2; ..."), a stall when they do not (a producer whose only consumer has died). Pure: the runner gathers the
// facts from the workers' slots; this only reasons over them.

#include <string>
#include <vector>

namespace ipccore {

struct WaitForProcess {
    std::string name;
    bool free = true; // alive and not paused: it can still go on and post
    std::string notFree; // why not, when not free: "finished", "dead", "paused"
    bool stuck = false; // in a wait with no timeout for at least the settle time
    std::string waitsFor; // the object it waits on, when stuck
    std::vector<std::string> holds; // objects whose permit it holds now
    std::vector<std::string> posts; // objects it could post to without holding them (release, put, get)
    // A queue or buffer is two waits in one: a put waits for room and is ended by a get; a get waits for data and
    // is ended by a put. A producer's fills end the second only, a consumer's drains the first only, so producers
    // blocked on a full buffer are never taken for each other's way out.
    enum class Needs { Any, Room, Data };
    Needs needs = Needs::Any; // what its wait needs (Any: a lock, a permit, a signal, or not told)
    std::vector<std::string> fills; // objects it puts into: it can end waits for data on them
    std::vector<std::string> drains; // objects it takes from: it can end waits for room on them
};

struct WaitForVerdict {
    enum class Kind { None, Deadlock, Stall };
    Kind kind = Kind::None;
    std::vector<std::string> members; // a deadlock: the cycle, in order; a stall: the processes stuck for good
    std::string text; // one sentence naming each member's wait and who could end it
};

WaitForVerdict judgeWaits(const std::vector<WaitForProcess>& processes);

} // namespace ipccore
