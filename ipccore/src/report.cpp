#include "ipccore/runner.h"

#include "host_messages.h"

#include "ipccore/ledger.h"
#include "ipccore/program.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <optional>
#include <sstream>

namespace ipccore {

namespace {

std::string fmt(const char* format, double value)
{
    char text[64];
    std::snprintf(text, sizeof text, format, value);
    return text;
}

// A plain text table: columns sized to their widest cell, numbers right-aligned.
class Table {
public:
    explicit Table(std::vector<std::string> header)
        : m_rows { std::move(header) }
    { }
    void add(std::vector<std::string> row) { m_rows.push_back(std::move(row)); }
    std::string render(const std::vector<bool>& rightAlign) const
    {
        std::vector<std::size_t> width(m_rows[0].size(), 0);
        for (const auto& row : m_rows)
            for (std::size_t c = 0; c < row.size(); ++c)
                width[c] = std::max(width[c], row[c].size());
        std::string out;
        for (const auto& row : m_rows) {
            out += "  ";
            for (std::size_t c = 0; c < row.size(); ++c) {
                const std::string pad(width[c] - row[c].size(), ' ');
                const bool right = c < rightAlign.size() && rightAlign[c];
                out += right ? pad + row[c] : row[c] + (c + 1 < row.size() ? pad : "");
                if (c + 1 < row.size())
                    out += "  ";
            }
            out += "\n";
        }
        return out;
    }

private:
    std::vector<std::vector<std::string>> m_rows;
};

// A worker's program as the report names it, one text per step ("map tasks results 100 chunk 8"); empty for a
// producer or consumer. The runner writes each with stepText, so every one parses; one that did not would be left out.
ProgramSteps programOf(const WorkerSummary& w)
{
    ProgramSteps program;
    for (const std::string& text : w.steps) {
        if (auto step = parseStepText(text))
            program.push_back(std::move(*step));
    }
    return program;
}

// A step's mean time for a person: "0.08 us", "31 us", "2.4 ms".
std::string microseconds(double us)
{
    if (us >= 1000)
        return fmt("%.1f ms", us / 1000);
    if (us >= 10)
        return fmt("%.0f us", us);
    return fmt(us >= 1 ? "%.1f us" : "%.2f us", us);
}

// Every wait that ended, per object and what it waited for (the most waited-on first, marked), and per worker; as
// `perf lock` reports a lock's contention. Nothing when no process ever waited.
std::string contentionText(const Contention& c)
{
    auto ns = [](std::uint64_t value) { return microseconds(double(value) / 1e3); };
    // A total in seconds from a second up, below that in ms or us ("0.000 s" said nothing).
    auto total
        = [&](std::uint64_t value) { return value >= 1'000'000'000 ? fmt("%.3f s", double(value) / 1e9) : ns(value); };
    std::string out;
    if (!c.holds.empty()) {
        Table holds({ "object", "kind", "holds", "total", "mean", "p50", "p90", "p99", "max", "held by" });
        for (const ObjectHolds& h : c.holds) {
            std::string who;
            for (const std::string& w : h.holders)
                who += (who.empty() ? "" : ", ") + w;
            holds.add({ h.object, waitKindName(h.kind), std::to_string(h.stats.waits), total(h.stats.totalNs),
                ns(std::uint64_t(h.stats.meanNs())), ns(h.stats.percentileNs(0.5)), ns(h.stats.percentileNs(0.9)),
                ns(h.stats.percentileNs(0.99)), ns(h.stats.maxNs), who });
        }
        out += "\nHold times (from the end of an acquire to the start of the release that gives it back; a hold cut "
               "short by a stop or a kill is not counted)\n";
        out += holds.render({ false, false, true, true, true, true, true, true, true, false });
    }
    if (!c.any())
        return out;
    out += "\nWaits per object (every wait that ended; percentiles are bucket edges, at most 1.5 times the "
           "true value)\n";
    Table objects({ "object", "waiting for", "waits", "total", "mean", "p50", "p90", "p99", "max", "who waited" });
    for (std::size_t i = 0; i < c.objects.size(); ++i) {
        const ObjectContention& o = c.objects[i];
        std::string who;
        for (const std::string& w : o.waiters)
            who += (who.empty() ? "" : ", ") + w;
        objects.add({ (i == 0 ? "* " : "  ") + o.object,
            (o.what.empty() ? std::string(waitKindName(o.kind)) : o.what) + (o.gaveUp ? ", gave up (timed out)" : ""),
            std::to_string(o.stats.waits), total(o.stats.totalNs), ns(std::uint64_t(o.stats.meanNs())),
            ns(o.stats.percentileNs(0.5)), ns(o.stats.percentileNs(0.9)), ns(o.stats.percentileNs(0.99)),
            ns(o.stats.maxNs), who });
    }
    out += objects.render({ false, false, true, true, true, true, true, true, true, false });
    out += "  * the most waited on (the longest total)\n";
    Table workers({ "worker", "waits", "waiting", "blocked", "untracked waits" });
    for (const WorkerContention& w : c.workers)
        workers.add(
            { w.worker, std::to_string(w.waits), total(w.waitNs), total(w.blockedNs), std::to_string(w.untracked) });
    out += "\nWaits per worker (waiting: the sum of its waits; blocked: its blocked time, counted apart)\n";
    out += workers.render({ false, true, true, true, true });
    return out;
}

// Each worker's part in a pool, in r.workers order, judged from its program: a caller that has not put a task yet,
// or was stopped before it did, is a caller all the same.
std::vector<std::optional<PoolPart>> poolPartsOf(const Report& r)
{
    std::vector<ProgramSteps> programs;
    programs.reserve(r.workers.size());
    for (const WorkerSummary& w : r.workers)
        programs.push_back(w.role == Role::Program ? programOf(w) : ProgramSteps {});
    return poolParts(programs);
}

// The "worker errors" column appears only in runs that had some, so the usual table stays as narrow as it was.
std::vector<std::string> ledgerRow(const std::string& name, const Ledger& l, bool withErrors)
{
    std::vector<std::string> row { name, std::to_string(l.sent), std::to_string(l.received), std::to_string(l.left),
        std::to_string(l.lost), std::to_string(l.lostWithDeadWorkers), std::to_string(l.duplicated),
        std::to_string(l.corrupt) };
    if (withErrors)
        row.push_back(std::to_string(l.workerErrors));
    row.push_back(l.exact ? "yes" : "NO");
    return row;
}

} // namespace

std::string placedName(const std::string& name, const std::string& host)
{
    return host.empty() ? name : name + "@" + host;
}

std::string reportToText(const Report& r)
{
    std::ostringstream out;
    out << "Scenario " << r.scenario << " ran " << fmt("%.2f", r.durationS) << " s\n\nWorkers\n";
    bool anyPrograms = false, anyMessages = false;
    for (const WorkerSummary& w : r.workers)
        (w.role == Role::Program ? anyPrograms : anyMessages) = true;
    Table workers(
        { "name", "role", "object", "pid", anyPrograms ? (anyMessages ? "msgs/passes" : "passes") : "messages", "per s",
            "MB/s", "blocked", "CPU", "latency", "exit" });
    bool anySampled = false, anyIdle = false, anyOver = false;
    for (const WorkerSummary& w : r.workers) {
        // Neither blocked on its object nor on a CPU for most of its life: asleep for its work time or a set rate,
        // ready to run but waiting for a core, or yielding its own (a shm ring side with nothing to do spins, then
        // yields before it sleeps).
        anyIdle
            = anyIdle || (w.role != Role::Program && w.messages > 0 && w.cpuPercent + 100.0 * w.blockedFraction < 50);
        // And above: CPU counts every thread, and the kernel's work inside a blocking call.
        anyOver = anyOver || w.cpuPercent + 100.0 * w.blockedFraction > 110;
        // From a sample: some of its messages carried no send time (a host's consumers say no count: 0).
        const bool sampled = w.timedMessages > 0 && w.timedMessages < w.messages;
        anySampled = anySampled || (w.role == Role::Consumer && sampled);
        workers.add({ placedName(w.name, w.host), roleName(w.role), w.object, std::to_string(w.pid),
            std::to_string(w.messages), fmt("%.1f", w.msgsPerS), fmt("%.3f", w.mbPerS),
            fmt("%.1f%%", 100.0 * w.blockedFraction), fmt("%.0f%%", w.cpuPercent),
            w.role == Role::Consumer && w.messages > 0 ? microseconds(w.meanLatencyUs) + (sampled ? " *" : "") : "-",
            w.exitText });
    }
    out << workers.render({ false, false, false, true, true, true, true, true, true, true, false });
    if (anyMessages)
        out << "  (CPU: of one core, over the process's life; latency: a consumer's mean time from send to receive of "
               "the messages\n  its producers stamped with their send time: every one of a producer slower than about "
               "100,000 a second,\n  of an mq or under a rate control"
            << (anySampled
                       ? "; * = its producers were faster: about one in 64, weighted by the messages each stands for"
                       : "")
            << ")\n";
    if (anyOver)
        out << "  (blocked + CPU above 100%: CPU counts all of a process's threads, so ZeroMQ's I/O thread works while "
               "the\n  main thread waits, and the kernel's work inside a blocking call (copying, waking) is CPU time "
               "within\n  the blocked time)\n";
    if (anyIdle)
        out << "  (blocked + CPU well below 100%: the rest of its time the process slept (its work time, or to keep "
               "a set rate),\n  was ready to run but waited for a core, or, a shm ring side with nothing to do, "
               "yielded its core before it would sleep)\n";
    if (anyPrograms) {
        out << "\nPrograms (a pass is one time through every step; per step: done, its mean time, and missed when "
               "it gave up:\n  its wait timed out, or with a 0 ms timeout it could not go on at once; a miss ends "
               "that pass, which starts again)\n";
        for (const WorkerSummary& w : r.workers) {
            if (w.role != Role::Program)
                continue;
            out << "  " << w.name << ":";
            for (std::size_t i = 0; i < w.steps.size(); ++i) {
                out << (i ? "; " : " ") << w.steps[i] << ": " << (i < w.stepDone.size() ? w.stepDone[i] : 0);
                if (i < w.stepMeanUs.size() && w.stepDone[i] > 0)
                    out << " (" << microseconds(w.stepMeanUs[i]) << ")";
                if (i < w.stepMissed.size() && w.stepMissed[i] > 0)
                    out << " (missed " << w.stepMissed[i] << ")";
            }
            out << "\n";
        }
    }

    const bool anyBroadcast = std::any_of(
        r.objects.begin(), r.objects.end(), [](const ObjectSummary& o) { return traits(o.transport).broadcast; });
    out << "\nObjects (capacity in messages, or cells of a shm-array or a global, or permits of a semaphore; depth "
           "in messages"
        << (anyBroadcast ? " or a broadcast's copies" : "") << ", sampled)\n";
    Table objects({ "name", "kind", "capacity", "depth min", "mean", "max", "semaphores (min..max)" });
    bool anyStream = false;
    for (const ObjectSummary& o : r.objects) {
        std::string sems;
        for (const std::string& s : o.semaphoreText)
            sems += (sems.empty() ? "" : "; ") + s;
        const bool streams = traits(o.transport).stream;
        // Streams and socketpairs hold what cannot be counted in messages without reading it.
        const bool noDepth = streams || !traits(o.transport).carriesMessages || traits(o.transport).anonymous;
        anyStream = anyStream || streams || traits(o.transport).anonymous;
        objects.add({ placedName(o.name, o.host), transportName(o.transport),
            streams || traits(o.transport).anonymous ? "-" : std::to_string(o.capacity),
            noDepth ? "-" : std::to_string(o.depthMin), noDepth ? "-" : fmt("%.2f", o.depthMean),
            noDepth ? "-" : std::to_string(o.depthMax), sems.empty() ? "-" : sems });
    }
    out << objects.render({ false, false, true, true, true, true, false });
    if (anyStream)
        out << "  (a fifo, socket or pipe is a byte stream, and a socketpair holds its messages inside the kernel: no "
               "message slots, so no capacity or depth in messages)\n";
    if (anyBroadcast)
        out << "  (a broadcast's depth is in copies, one for each message and each subscriber yet to receive it;\n"
               "   its capacity is the high-water mark of each of its queues)\n";

    const bool withErrors = r.integrity.workerErrors > 0;
    bool anyArrays = false, anySemaphores = false, anyQueues = false;
    for (const ObjectSummary& o : r.objects) {
        anyArrays = anyArrays || o.transport == TransportKind::ShmArray;
        anySemaphores = anySemaphores || o.transport == TransportKind::Semaphore;
        anyQueues = anyQueues || traits(o.transport).carriesMessages;
    }
    if (anyArrays) {
        out << "\nShared arrays (increments = what the writes added; lost updates = increments - the sum of the "
               "cells; balanced = every write is accounted for, which is not the same as none lost)\n";
        Table arrays({ "object", "writes", "increments", "cells sum", "lost updates", "balanced" });
        for (const ObjectSummary& o : r.objects) {
            if (o.transport == TransportKind::ShmArray)
                arrays.add({ o.name, std::to_string(o.ledger.writes), std::to_string(o.ledger.increments),
                    std::to_string(o.ledger.cellSum), std::to_string(o.ledger.lostUpdates),
                    o.ledger.exact ? "yes" : "NO" });
        }
        out << arrays.render({ false, true, true, true, true, false });
    }
    if (std::any_of(r.objects.begin(), r.objects.end(),
            [](const ObjectSummary& o) { return traits(o.transport).perProcess; })) {
        out << "\nGlobals (each process has its own copy and sees only its own writes: no process holds the "
               "increments of the others, so none holds the total; balanced = the copies add up to the increments, "
               "every write in its own process's copy)\n";
        Table globals({ "object", "writes", "increments", "copies (process: value)", "balanced" });
        for (const ObjectSummary& o : r.objects) {
            if (!traits(o.transport).perProcess)
                continue;
            std::string copies;
            for (const GlobalCopy& c : o.copies)
                copies += (copies.empty() ? "" : ", ") + c.worker + ": " + std::to_string(c.value);
            globals.add({ o.name, std::to_string(o.ledger.writes), std::to_string(o.ledger.increments),
                copies.empty() ? "-" : copies, o.ledger.exact ? "yes" : "NO" });
        }
        out << globals.render({ false, true, true, false, false });
    }
    if (anySemaphores) {
        out << "\nSemaphores (timeouts = acquires that gave up, posix_ipc's BusyError; at stop the value must be "
               "initial + releases - acquires, and only killed workers may still hold permits)\n";
        Table sems(
            { "object", "initial", "acquires", "releases", "timeouts", "value at stop", "held by killed", "balanced" });
        for (const ObjectSummary& o : r.objects) {
            if (o.transport == TransportKind::Semaphore)
                sems.add({ o.name, std::to_string(o.capacity), std::to_string(o.ledger.acquires),
                    std::to_string(o.ledger.releases), std::to_string(o.ledger.timeouts),
                    std::to_string(o.ledger.permits), std::to_string(o.ledger.permitsHeldByDead),
                    o.ledger.exact ? "yes" : "NO" });
        }
        out << sems.render({ false, true, true, true, true, true, true, false });
    }
    const bool anyPools
        = std::any_of(r.objects.begin(), r.objects.end(), [](const ObjectSummary& o) { return o.ledger.pool.present; });
    if (anyPools) {
        out << "\nPools, in tasks (submitted = collected + orphaned + in the task queue + in the result queue + held "
               "by stopped workers + died with killed workers + dropped; orphaned = results of a killed or stopped "
               "caller that its replacement took; every collected task had exactly one result when duplicated and "
               "stray are 0; out of order = results that came back before an earlier task's, which map puts back in "
               "order for you and apply_async hands over as they come)\n";
        Table pools({ "tasks into", "submitted", "collected", "orphaned", "in task q", "in result q", "held at stop",
            "died with worker", "dropped", "duplicated", "stray", "out of order", "exact" });
        for (const ObjectSummary& o : r.objects) {
            const PoolLedger& p = o.ledger.pool;
            if (p.present)
                pools.add(
                    { o.name, std::to_string(p.submitted), std::to_string(p.collected), std::to_string(p.orphaned),
                        std::to_string(p.inTaskQueue), std::to_string(p.inResultQueue), std::to_string(p.heldAtStop),
                        std::to_string(p.diedWithWorkers), std::to_string(p.dropped), std::to_string(p.duplicated),
                        std::to_string(p.stray), std::to_string(p.outOfOrder), p.exact ? "yes" : "NO" });
        }
        out << pools.render({ false, true, true, true, true, true, true, true, true, true, true, true, false });
        // Load balance: the tasks each of a pool's workers took, a worker that took none included. Who is a pool
        // worker is read from the programs, not the counters.
        const std::vector<std::optional<PoolPart>> parts = poolPartsOf(r);
        const auto poolCount = std::count_if(
            r.objects.begin(), r.objects.end(), [](const ObjectSummary& o) { return o.ledger.pool.present; });
        for (const ObjectSummary& o : r.objects) {
            if (!o.ledger.pool.present)
                continue;
            const auto inPool
                = [&](std::size_t i) { return parts[i] && !parts[i]->caller && parts[i]->taskObject == o.name; };
            std::uint64_t taken = 0;
            for (std::size_t i = 0; i < r.workers.size(); ++i)
                taken += inPool(i) ? r.workers[i].tasks.in : 0;
            std::string balance;
            for (std::size_t i = 0; i < r.workers.size(); ++i) {
                const WorkerSummary& w = r.workers[i];
                if (inPool(i))
                    balance += (balance.empty() ? "" : ", ") + w.name + " " + std::to_string(w.tasks.in) + " ("
                        + fmt("%.0f%%", taken ? 100.0 * double(w.tasks.in) / double(taken) : 0.0) + ")";
            }
            if (!balance.empty())
                out << "  tasks taken per pool worker" << (poolCount > 1 ? " of " + o.name : std::string()) << ": "
                    << balance << "\n";
        }
    }
    const bool anyRequests = std::any_of(
        r.objects.begin(), r.objects.end(), [](const ObjectSummary& o) { return o.ledger.requests.present; });
    if (anyRequests) {
        out << "\nRequests to a server (every request got exactly one reply when these balance and none is "
               "unanswered)\n"
               "  sent = taken + requests waiting; taken = answered + unanswered + died with server;\n"
               "  answered = returned + stale + replies waiting\n"
               "  (stale: a reply that came after its client stopped waiting; in doubt: killed processes caught "
               "moving a request or reply,\n"
               "  each of which may leave an equation off by one)\n";
        Table requests({ "requests into", "sent", "taken", "answered", "returned", "stale", "requests waiting",
            "replies waiting", "unanswered", "died with server", "in doubt", "exact" });
        for (const ObjectSummary& o : r.objects) {
            const RequestLedger& q = o.ledger.requests;
            if (q.present)
                requests.add({ o.name, std::to_string(q.sent), std::to_string(q.taken), std::to_string(q.answered),
                    std::to_string(q.returned), std::to_string(q.stale), std::to_string(q.inRequestQueue),
                    std::to_string(q.inReplyQueues), std::to_string(q.unanswered), std::to_string(q.diedWithServer),
                    std::to_string(q.inDoubt), q.exact ? "yes" : "NO" });
        }
        out << requests.render({ false, true, true, true, true, true, true, true, true, true, true, false });
        // Where the waiting ones wait. Over zmq there are no queues to look into: what the two columns hold is what
        // the counters leave over.
        for (const ObjectSummary& o : r.objects) {
            if (!o.ledger.requests.present)
                continue;
            if (requestsOverConnections(o.transport))
                out << "  " << o.name << " (" << transportName(o.transport)
                    << ", DEALER/ROUTER): the requests and replies waiting are those sent and not received,\n"
                       "    held in ZeroMQ's queues inside the processes (or lost with a process that was killed or "
                       "ended);\n    unanswered includes replies ZeroMQ refused because their client had closed its "
                       "connection\n";
            else
                out << "  " << o.name << ": requests wait in its queue, replies in the clients' reply queues\n";
        }
        // The server's data against what the clients' sets and appends added: a get then a set through a proxy
        // loses updates between clients; an append, one request, does not.
        for (const ObjectSummary& o : r.objects) {
            for (const ServerKeyBook& b : o.ledger.requests.keys) {
                // A set or append the server applied whose reply was on its way back when its client stopped: in
                // the value, not in the client's count.
                const std::string ahead = b.value > b.increments && !b.negativeAdds
                    ? " (" + std::to_string(b.value - b.increments)
                        + " above the sets: applied by the server, the reply not taken at the stop)"
                    : std::string();
                out << "  " << b.key << " in the server: " << b.value << "; the clients' "
                    << (b.key == "l" ? "appends made it " : "sets added ") << b.increments << "; lost updates "
                    << b.lost << ahead << "\n";
            }
        }
    }
    // Message queues whose traffic used more than one priority: who got through, and how long each waited.
    for (const ObjectSummary& o : r.objects) {
        const auto& ps = o.ledger.priorities;
        if (ps.size() < 2)
            continue;
        std::uint64_t received = o.ledger.receivedOtherPriorities;
        for (const PriorityShare& p : ps)
            received += p.received;
        out << "\nPriorities on " << o.name
            << " (mq hands out the highest priority first; share = of all the messages taken)\n";
        Table table({ "priority", "sent", "received", "share", "mean wait in queue" });
        for (const PriorityShare& p : ps)
            table.add({ std::to_string(p.priority), std::to_string(p.sent), std::to_string(p.received),
                fmt("%.1f%%", received ? 100.0 * double(p.received) / double(received) : 0.0),
                p.received ? fmt("%.2f ms", p.meanLatencyUs / 1e3) : "-" });
        out << table.render({ true, true, true, true, true });
    }
    if (anyQueues)
        out << "\nIntegrity ledger (left = still in the object at stop; on shm-value, lost = overwritten before "
               "read)\n";
    std::vector<std::string> header { "object", "sent", "received", "left", "lost", "died with worker", "duplicated",
        "corrupt" };
    std::vector<bool> right { false, true, true, true, true, true, true, true };
    if (withErrors) {
        header.push_back("worker errors");
        right.push_back(true);
    }
    header.push_back("exact");
    right.push_back(false);
    Table ledger(header);
    for (const ObjectSummary& o : r.objects) {
        if (traits(o.transport).carriesMessages)
            ledger.add(ledgerRow(placedName(o.name, o.host), o.ledger, withErrors));
    }
    ledger.add(ledgerRow("total", r.integrity, withErrors));
    if (anyQueues)
        out << ledger.render(right);
    // A broadcast's books are in copies (TransportTraits::broadcast): say so, with the numbers that make them.
    for (const ObjectSummary& o : r.objects) {
        if (!traits(o.transport).broadcast)
            continue;
        std::uint64_t sent = 0, subscribers = 0;
        for (const WorkerSummary& w : r.workers) {
            if (w.object == o.name && w.role == Role::Producer)
                sent += w.messages;
            subscribers += w.object == o.name && w.role == Role::Consumer;
        }
        std::string fewer; // the subscribers that received less than was sent, with what they received
        for (const WorkerSummary& w : r.workers) {
            if (w.object == o.name && w.role == Role::Consumer && w.messages < sent)
                fewer += (fewer.empty() ? "" : ", ") + w.name + " (" + std::to_string(w.messages) + ")";
        }
        out << "  " << o.name << " (" << transportName(o.transport) << ") counts copies: " << sent << " message"
            << (sent == 1 ? "" : "s") << " sent, ";
        const std::string them = "its " + std::to_string(subscribers) + " subscriber" + (subscribers == 1 ? "" : "s");
        // Fewer copies than messages x subscribers: some subscribers ended early, and the messages sent after were
        // due to fewer (or, once none was left, to no one).
        if (o.ledger.sent == sent * subscribers)
            out << "a copy to " << (subscribers == 1 ? "" : "each of ") << them << "\n";
        else
            out << o.ledger.sent << " cop" << (o.ledger.sent == 1 ? "y" : "ies") << " due to " << them
                << ":\n    each message is due once to every subscriber still running when it was sent\n";
        if (!fewer.empty())
            out << "    received fewer: " << fewer
                << ".\n    A subscriber that ended early is due copies only until it went, and what a dead worker's "
                   "queue\n    held is counted as died with worker\n";
    }
    for (const std::string& note : r.deadWorkers)
        out << "  killed: " << note << "\n";
    if (withErrors) {
        out << "\nWorker errors (a worker that fails and goes on does only part of its work: the run is not exact)\n";
        for (const WorkerSummary& w : r.workers) {
            if (w.errors > 0)
                out << "  " << w.name << " (" << roleName(w.role) << ", pid " << w.pid << "): failed " << w.errors
                    << (w.errors == 1 ? " time" : " times") << "; " << w.errorText << "\n";
        }
    }

    out << contentionText(r.contention);

    if (!r.events.empty()) {
        out << "\nEvents\n";
        for (const RunEvent& e : r.events)
            out << "  " << fmt("%7.2f s  ", e.t) << e.text << "\n";
    }
    // The cycle's sentence is in Events already (with its time): here, who is in it and how such a cycle is broken.
    if (r.deadlock.kind == WaitForVerdict::Kind::Deadlock) {
        std::string cycle;
        for (const std::string& m : r.deadlock.members)
            cycle += m + " -> ";
        if (!r.deadlock.members.empty())
            cycle += r.deadlock.members.front();
        out << "\nDeadlock: " << cycle << " (see Events for what each holds and waits for).\n"
            << "  A cycle of waits ends only with a stop. To break it, make every process take these objects in one\n"
            << "  agreed order (for a bounded buffer: the free slot or the item first, the lock second).\n";
    }
    const bool deadlocked = r.deadlock.kind == WaitForVerdict::Kind::Deadlock;
    out << "\nIntegrity: " << (deadlocked ? "DEADLOCK" : r.integrity.exact ? "exact" : "NOT exact");
    if (deadlocked)
        out << (r.integrity.exact ? " (the books balance, but the processes could not go on: see Deadlock)"
                                  : " (and the books do not balance)");
    // "exact" is about the books, not about the program: a race that loses updates is counted exactly.
    if (r.integrity.lostUpdates > 0)
        out << " (the books balance: " << r.integrity.lostUpdates
            << " updates were lost to the race, and each is counted)";
    if (withErrors)
        out << " (workers hit " << r.integrity.workerErrors << " errors: see Worker errors)";
    out << "\n";
    return out.str();
}

std::string reportToJson(const Report& r)
{
    using nlohmann::json;
    const auto ledgerJson = [](const Ledger& l) { return detail::ledgerToJson(l); };
    auto requestsJson = [](const RequestLedger& q) {
        json j { { "sent", q.sent }, { "taken", q.taken }, { "answered", q.answered }, { "returned", q.returned },
            { "stale", q.stale }, { "in_request_queue", q.inRequestQueue }, { "in_reply_queues", q.inReplyQueues },
            { "unanswered", q.unanswered }, { "died_with_server", q.diedWithServer }, { "in_doubt", q.inDoubt },
            { "exact", q.exact }, { "keys", json::array() } };
        for (const ServerKeyBook& b : q.keys)
            j["keys"].push_back(
                { { "key", b.key }, { "value", b.value }, { "increments", b.increments }, { "lost_updates", b.lost } });
        return j;
    };
    auto poolJson = [](const PoolLedger& p) {
        return json { { "submitted", p.submitted }, { "collected", p.collected }, { "taken", p.taken },
            { "answered", p.answered }, { "in_task_queue", p.inTaskQueue }, { "in_result_queue", p.inResultQueue },
            { "held_at_stop", p.heldAtStop }, { "died_with_workers", p.diedWithWorkers }, { "dropped", p.dropped },
            { "duplicated", p.duplicated }, { "stray", p.stray }, { "orphaned", p.orphaned },
            { "out_of_order", p.outOfOrder }, { "exact", p.exact } };
    };
    json j;
    j["scenario"] = r.scenario;
    j["duration_s"] = r.durationS;
    j["workers"] = json::array();
    const std::vector<std::optional<PoolPart>> parts = poolPartsOf(r);
    for (std::size_t at = 0; at < r.workers.size(); ++at) {
        const WorkerSummary& w = r.workers[at];
        json worker { { "name", w.name }, { "role", roleName(w.role) }, { "object", w.object }, { "pid", w.pid },
            { "messages", w.messages }, { "bytes", w.bytes }, { "msgs_per_s", w.msgsPerS }, { "mb_per_s", w.mbPerS },
            { "blocked_fraction", w.blockedFraction }, { "cpu_percent", w.cpuPercent },
            { "mean_latency_us", w.meanLatencyUs }, { "exit", w.exitText }, { "errors", w.errors },
            { "error", w.errorText } };
        if (w.role == Role::Consumer && w.host.empty())
            worker["timed_messages"] = w.timedMessages; // fewer than `messages`: the mean is of a sample
        if (!w.host.empty())
            worker["host"] = w.host;
        if (w.role == Role::Program) {
            worker["passes"] = w.messages;
            worker["steps"] = json::array();
            for (std::size_t i = 0; i < w.steps.size(); ++i)
                worker["steps"].push_back(
                    { { "step", w.steps[i] }, { "done", i < w.stepDone.size() ? w.stepDone[i] : 0 },
                        { "missed", i < w.stepMissed.size() ? w.stepMissed[i] : 0 },
                        { "mean_us", i < w.stepMeanUs.size() ? w.stepMeanUs[i] : 0.0 } });
            const RequestCounts& q = w.requests;
            if (q.requestsOut + q.requestsIn > 0)
                worker["requests"] = json { { "requests_out", q.requestsOut }, { "replies_in", q.repliesIn },
                    { "stale", q.stale }, { "requests_in", q.requestsIn }, { "replies_out", q.repliesOut },
                    { "unanswered", q.unanswered } };
            // A pool's caller and workers by their programs, before they have counted anything as well.
            if (parts[at]) {
                worker["tasks"] = parts[at]->caller
                    ? json { { "submitted", w.tasks.out }, { "collected", w.tasks.in },
                          { "duplicated", w.tasks.duplicated }, { "stray", w.tasks.stray },
                          { "orphaned", w.tasks.orphaned }, { "out_of_order", w.tasks.outOfOrder } }
                    : json { { "taken", w.tasks.in }, { "answered", w.tasks.out }, { "in_hand", w.tasks.inHand },
                          { "dropped", w.tasks.dropped } };
            }
        }
        j["workers"].push_back(worker);
    }
    j["objects"] = json::array();
    for (const ObjectSummary& o : r.objects) {
        json object { { "name", o.name }, { "os_name", o.osName }, { "kind", transportName(o.transport) },
            { "capacity", o.capacity }, { "depth_min", o.depthMin }, { "depth_mean", o.depthMean },
            { "depth_max", o.depthMax }, { "semaphores", o.semaphoreText }, { "cells", o.cells },
            { "integrity", ledgerJson(o.ledger) } };
        if (!o.host.empty())
            object["host"] = o.host;
        if (traits(o.transport).perProcess) {
            object["copies"] = json::array();
            for (const GlobalCopy& c : o.copies)
                object["copies"].push_back({ { "worker", c.worker }, { "value", c.value } });
        }
        if (o.ledger.pool.present)
            object["pool"] = poolJson(o.ledger.pool);
        if (o.ledger.requests.present)
            object["requests"] = requestsJson(o.ledger.requests);
        if (!o.ledger.priorities.empty()) {
            object["priorities"] = json::array();
            for (const PriorityShare& p : o.ledger.priorities)
                object["priorities"].push_back({ { "priority", p.priority }, { "sent", p.sent },
                    { "received", p.received }, { "mean_latency_us", p.meanLatencyUs } });
            object["received_other_priorities"] = o.ledger.receivedOtherPriorities;
        }
        j["objects"].push_back(object);
    }
    j["integrity"] = ledgerJson(r.integrity);
    auto statsJson = [](const WaitStats& w) {
        json histogram = json::array();
        for (std::size_t b = 0; b < w.histogram.size(); ++b) {
            if (w.histogram[b] > 0)
                histogram.push_back({ { "from_ns", WaitHistogram::lowerNs(b) },
                    { "below_ns", b + 1 < w.histogram.size() ? json(WaitHistogram::upperNs(b)) : json(nullptr) },
                    { "waits", w.histogram[b] } });
        }
        return json { { "waits", w.waits }, { "total_s", double(w.totalNs) / 1e9 }, { "mean_us", w.meanNs() / 1e3 },
            { "p50_us", double(w.percentileNs(0.5)) / 1e3 }, { "p90_us", double(w.percentileNs(0.9)) / 1e3 },
            { "p99_us", double(w.percentileNs(0.99)) / 1e3 }, { "max_us", double(w.maxNs) / 1e3 },
            { "histogram", histogram } };
    };
    json contention { { "objects", json::array() }, { "workers", json::array() }, { "holds", json::array() } };
    for (const ObjectHolds& h : r.contention.holds) {
        json row = statsJson(h.stats);
        row.erase("waits");
        row["holds"] = h.stats.waits;
        row["object"] = h.object;
        row["kind"] = waitKindName(h.kind);
        row["holders"] = h.holders;
        contention["holds"].push_back(row);
    }
    for (std::size_t i = 0; i < r.contention.objects.size(); ++i) {
        const ObjectContention& o = r.contention.objects[i];
        json row = statsJson(o.stats);
        row["object"] = o.object;
        row["kind"] = waitKindName(o.kind);
        row["waiting_for"] = o.what;
        row["gave_up"] = o.gaveUp;
        row["waiters"] = o.waiters;
        row["most_contended"] = i == 0;
        contention["objects"].push_back(row);
    }
    for (const WorkerContention& w : r.contention.workers)
        contention["workers"].push_back(
            { { "worker", w.worker }, { "waits", w.waits }, { "wait_s", double(w.waitNs) / 1e9 },
                { "blocked_s", double(w.blockedNs) / 1e9 }, { "untracked_waits", w.untracked } });
    j["contention"] = contention;
    if (r.deadlock.kind == WaitForVerdict::Kind::Deadlock)
        j["deadlock"] = { { "cycle", r.deadlock.members }, { "text", r.deadlock.text } };
    else
        j["deadlock"] = nullptr;
    // The run's verdict in one word: the books (integrity.exact) can balance in a run that deadlocked.
    j["result"] = r.deadlock.kind == WaitForVerdict::Kind::Deadlock ? "deadlock"
        : r.integrity.exact                                         ? "exact"
                                                                    : "not exact";
    j["events"] = json::array();
    for (const RunEvent& e : r.events)
        j["events"].push_back({ { "t", e.t }, { "text", e.text } });
    j["dead_workers"] = r.deadWorkers;
    j["cleanup"] = r.cleanup;
    return j.dump(2) + "\n";
}

} // namespace ipccore
