#include "ipccore/ledger.h"

#include <algorithm>

namespace ipccore {

namespace {

bool stepOn(const ProgramStep& step, StepOp op, const std::string& object)
{
    return step.op == op && step.object == object;
}

Ledger arrayLedger(
    const ObjectSpec& o, std::span<const ProgramCounts> workers, std::span<const std::int64_t> cells, bool final)
{
    Ledger l;
    std::int64_t doubtful = 0; // the most a killed worker's uncounted write can have added
    for (const ProgramCounts& w : workers) {
        l.workerErrors += w.errors;
        const ProgramSteps& p = *w.program;
        for (std::size_t i = 0; i < p.size() && i < w.done.size(); ++i) {
            if (!stepOn(p[i], StepOp::Write, o.name))
                continue;
            l.writes += w.done[i];
            l.increments += std::int64_t(w.done[i]) * p[i].add;
        }
        for (std::size_t i = 0; i < p.size() && i < w.done.size(); ++i) {
            if (stepOn(p[i], StepOp::Acquire, o.name)) {
                l.acquires += w.done[i]; // the array's lock
                l.timeouts += i < w.missed.size() ? w.missed[i] : 0;
            } else if (stepOn(p[i], StepOp::Release, o.name))
                l.releases += w.done[i];
        }
        if (w.killed && w.inDoubtAtDeath && w.stepAtDeath < p.size() && stepOn(p[w.stepAtDeath], StepOp::Write, o.name))
            doubtful += std::max<std::int64_t>(p[w.stepAtDeath].add, 0);
    }
    for (std::size_t i = 0; i < cells.size(); ++i) {
        l.cellSum += cells[i];
        l.largestCell = i == 0 ? cells[i] : std::max(l.largestCell, cells[i]);
    }
    // Each write stores what its worker read plus N, so with N >= 0 the cells can never hold more than the
    // increments made; the only excess a correct run can show is a killed worker's write that landed uncounted.
    std::int64_t extra = l.cellSum - l.increments;
    if (extra > 0) {
        const std::int64_t explained = std::min(extra, doubtful);
        l.increments += explained;
        l.writes += explained > 0 ? 1 : 0;
        l.sentByDeadUncounted = std::uint64_t(explained);
        extra -= explained;
    }
    l.lostUpdates = std::max<std::int64_t>(0, l.increments - l.cellSum);
    bool negativeAdds = false;
    for (const ProgramCounts& w : workers) {
        for (const ProgramStep& s : *w.program)
            negativeAdds = negativeAdds || (stepOn(s, StepOp::Write, o.name) && s.add < 0);
    }
    // With negative steps a lost update can raise the sum as well as lower it, so only the counts are judged.
    l.exact = final && l.workerErrors == 0 && (negativeAdds || extra <= 0);
    return l;
}

Ledger semaphoreLedger(const ObjectSpec& o, std::span<const ProgramCounts> workers, std::int64_t value, bool final)
{
    Ledger l;
    std::uint64_t heldByKilled = 0, heldByLive = 0, doubtful = 0;
    for (const ProgramCounts& w : workers) {
        l.workerErrors += w.errors;
        const ProgramSteps& p = *w.program;
        const std::vector<std::size_t> pairs = lockPairs(p);
        // What the worker holds: its paired acquires not given back. Unpaired ones move signals (program.h).
        std::uint64_t taken = 0, givenBack = 0;
        for (std::size_t i = 0; i < p.size() && i < w.done.size(); ++i) {
            const bool paired = pairs[i] < p.size();
            if (stepOn(p[i], StepOp::Acquire, o.name)) {
                l.acquires += w.done[i];
                l.timeouts += i < w.missed.size() ? w.missed[i] : 0;
                taken += paired ? w.done[i] : 0;
            } else if (stepOn(p[i], StepOp::Release, o.name)) {
                l.releases += w.done[i];
                givenBack += paired ? w.done[i] : 0;
            }
        }
        const std::uint64_t holds = taken > givenBack ? taken - givenBack : 0;
        (w.killed ? heldByKilled : heldByLive) += holds;
        if (w.killed) {
            if (w.inDoubtAtDeath && w.stepAtDeath < p.size() && stepOn(p[w.stepAtDeath], StepOp::Acquire, o.name))
                ++doubtful;
        }
    }
    l.permits = value;
    // A killed worker keeps what it acquired and did not release; one killed inside sem_wait may also hold the
    // permit it was getting. The value tells which.
    const std::int64_t expected = std::int64_t(o.capacity) - std::int64_t(l.acquires) + std::int64_t(l.releases);
    const std::int64_t uncounted = expected - value; // permits taken without being counted
    l.permitsHeldByDead = heldByKilled;
    if (uncounted > 0 && std::uint64_t(uncounted) <= doubtful) {
        l.permitsHeldByDead += std::uint64_t(uncounted);
        l.acquires += std::uint64_t(uncounted);
    }
    const bool balanced = uncounted >= 0 && std::uint64_t(uncounted) <= doubtful;
    // At stop only killed workers can still hold permits: every other worker let go of what it held as it left.
    l.exact = final && l.workerErrors == 0 && value >= 0 && balanced && heldByLive == 0;
    return l;
}

} // namespace

Ledger programObjectLedger(const ObjectSpec& object, std::span<const ProgramCounts> workers,
    std::span<const std::int64_t> cells, std::int64_t semaphoreValue, bool final)
{
    if (object.transport == TransportKind::Semaphore)
        return semaphoreLedger(object, workers, semaphoreValue, final);
    return arrayLedger(object, workers, cells, final);
}

bool callsPool(const ProgramSteps& program)
{
    return std::any_of(program.begin(), program.end(), [](const ProgramStep& step) { return isPoolCall(step.op); });
}

std::vector<std::optional<PoolPart>> poolParts(std::span<const ProgramSteps> programs)
{
    std::vector<std::optional<PoolPart>> parts(programs.size());
    std::vector<std::string> taskObjects;
    for (std::size_t i = 0; i < programs.size(); ++i) {
        const auto call = std::find_if(
            programs[i].begin(), programs[i].end(), [](const ProgramStep& step) { return isPoolCall(step.op); });
        if (call == programs[i].end())
            continue;
        parts[i] = PoolPart { true, call->object };
        taskObjects.push_back(call->object);
    }
    for (std::size_t i = 0; i < programs.size(); ++i) {
        if (parts[i])
            continue;
        const auto get = std::find_if(programs[i].begin(), programs[i].end(), [&](const ProgramStep& step) {
            return step.op == StepOp::Get
                && std::find(taskObjects.begin(), taskObjects.end(), step.object) != taskObjects.end();
        });
        if (get != programs[i].end())
            parts[i] = PoolPart { false, get->object };
    }
    return parts;
}

PoolLedger poolLedger(std::span<const PoolMember> members, std::uint64_t taskFramesLeft, std::uint64_t resultFramesLeft,
    std::uint32_t largestChunk, bool final)
{
    PoolLedger p;
    p.present = true;
    std::uint64_t doubt = 0; // tasks that may have moved uncounted: a chunk per member killed inside a put or get
    for (const PoolMember& m : members) {
        if (m.caller) {
            p.submitted += m.tasks.out;
            p.collected += m.tasks.in;
            p.duplicated += m.tasks.duplicated;
            p.stray += m.tasks.stray;
            p.orphaned += m.tasks.orphaned;
            p.outOfOrder += m.tasks.outOfOrder;
        } else {
            p.taken += m.tasks.in;
            p.answered += m.tasks.out;
            p.dropped += m.tasks.dropped;
            (m.killed ? p.diedWithWorkers : p.heldAtStop) += m.tasks.inHand;
        }
        if (m.killed && m.inDoubtAtDeath)
            doubt += std::max<std::uint32_t>(largestChunk, 1);
    }
    auto minus = [](std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; };
    p.inTaskQueue = minus(p.submitted, p.taken);
    // Duplicates and strays came out of the result queue too, though they answer no task of the call.
    p.inResultQueue = minus(p.answered, p.collected + p.duplicated + p.stray + p.orphaned);
    if (!final)
        return p;
    // The counts must fit the messages really left: each carries at least one task and at most a chunk.
    const std::uint64_t chunk = std::max<std::uint32_t>(largestChunk, 1);
    auto fits = [&](std::uint64_t tasks, std::uint64_t frames) {
        return tasks + doubt >= frames && tasks <= frames * chunk + doubt;
    };
    // Taken beyond what was submitted, or collected beyond what was answered, is counting gone wrong, unless a
    // member killed mid-transfer explains it.
    const bool noExcess
        = p.taken <= p.submitted + doubt && p.collected + p.duplicated + p.stray + p.orphaned <= p.answered + doubt;
    p.exact = p.duplicated == 0 && p.stray == 0 && p.dropped == 0 && noExcess && fits(p.inTaskQueue, taskFramesLeft)
        && fits(p.inResultQueue, resultFramesLeft);
    return p;
}

} // namespace ipccore
