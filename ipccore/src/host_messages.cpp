// A run's snapshots and report on a worker host's link (host_messages.h).

#include "host_messages.h"

#include "ipccore/names.h"
#include "ipccore/system_ipc.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace ipccore::detail {

using nlohmann::json;

namespace {

// The most semaphores one object's snapshot may carry (a ring has three).
constexpr std::size_t MaxWireSemaphores = 8;
// The longest endpoint a consumer publishes ("tcp://[IPv6]:PORT" is far shorter).
constexpr std::size_t MaxEndpointChars = 300;

// Reads `field` of `j` into `out` when it has the same JSON kind; the caller catches json::exception for the rest.
template <typename T> void read(const json& j, const char* field, T& out)
{
    if (j.contains(field))
        out = j.at(field).get<T>();
}

std::optional<Role> roleFrom(const std::string& text)
{
    for (Role r : { Role::Producer, Role::Consumer, Role::Program })
        if (text == roleName(r))
            return r;
    return std::nullopt;
}

} // namespace

json ledgerToJson(const Ledger& l)
{
    json j { { "sent", l.sent }, { "received", l.received }, { "left", l.left }, { "lost", l.lost },
        { "duplicated", l.duplicated }, { "corrupt", l.corrupt }, { "out_of_order", l.outOfOrder },
        { "lost_with_dead_workers", l.lostWithDeadWorkers }, { "sent_by_dead_uncounted", l.sentByDeadUncounted },
        { "worker_errors", l.workerErrors }, { "writes", l.writes }, { "increments", l.increments },
        { "cell_sum", l.cellSum }, { "lost_updates", l.lostUpdates }, { "acquires", l.acquires },
        { "releases", l.releases }, { "timeouts", l.timeouts }, { "permits", l.permits },
        { "permits_held_by_dead", l.permitsHeldByDead }, { "exact", l.exact } };
    // One machine's half of an object between machines (only a host sends one).
    if (l.half)
        j.update({ { "half", true }, { "most_died_with_killed", l.mostDiedWithKilled },
            { "most_sent_uncounted_by_killed", l.mostSentUncountedByKilled } });
    return j;
}

std::optional<Ledger> ledgerFromJson(const json& j)
{
    if (!j.is_object())
        return std::nullopt;
    Ledger l;
    read(j, "sent", l.sent);
    read(j, "received", l.received);
    read(j, "left", l.left);
    read(j, "lost", l.lost);
    read(j, "duplicated", l.duplicated);
    read(j, "corrupt", l.corrupt);
    read(j, "out_of_order", l.outOfOrder);
    read(j, "lost_with_dead_workers", l.lostWithDeadWorkers);
    read(j, "sent_by_dead_uncounted", l.sentByDeadUncounted);
    read(j, "worker_errors", l.workerErrors);
    read(j, "writes", l.writes);
    read(j, "increments", l.increments);
    read(j, "cell_sum", l.cellSum);
    read(j, "lost_updates", l.lostUpdates);
    read(j, "acquires", l.acquires);
    read(j, "releases", l.releases);
    read(j, "timeouts", l.timeouts);
    read(j, "permits", l.permits);
    read(j, "permits_held_by_dead", l.permitsHeldByDead);
    read(j, "exact", l.exact);
    read(j, "half", l.half);
    read(j, "most_died_with_killed", l.mostDiedWithKilled);
    read(j, "most_sent_uncounted_by_killed", l.mostSentUncountedByKilled);
    return l;
}

namespace {

json eventsToJson(const std::vector<RunEvent>& events)
{
    json out = json::array();
    for (const RunEvent& e : events)
        out.push_back({ { "t", e.t }, { "kind", int(e.kind) }, { "text", e.text } });
    return out;
}

std::vector<RunEvent> eventsFromJson(const json& j)
{
    std::vector<RunEvent> out;
    for (const json& e : j) {
        RunEvent event;
        read(e, "t", event.t);
        int kind = 0;
        read(e, "kind", kind);
        event.kind = kind == 2 ? RunEvent::Kind::Error : kind == 1 ? RunEvent::Kind::Warning : RunEvent::Kind::Info;
        read(e, "text", event.text);
        out.push_back(std::move(event));
    }
    return out;
}

} // namespace

namespace {

// The fields a worker's live status and its summary share, under the same names both ways.
template <typename Worker> json workerToJson(const Worker& w)
{
    return json { { "name", w.name }, { "role", roleName(w.role) }, { "object", w.object }, { "pid", w.pid },
        { "messages", w.messages }, { "bytes", w.bytes }, { "msgs_per_s", w.msgsPerS }, { "mb_per_s", w.mbPerS },
        { "blocked_fraction", w.blockedFraction }, { "cpu_percent", w.cpuPercent },
        { "mean_latency_us", w.meanLatencyUs }, { "state", std::uint32_t(w.state) }, { "exit", w.exitText },
        { "exitcode", w.exitcode }, { "errors", w.errors }, { "error", w.errorText } };
}

// False when the role or the state is not one of ours.
template <typename Worker> bool workerFromJson(const json& j, Worker& w)
{
    const auto role = roleFrom(j.at("role").get<std::string>());
    std::uint32_t state = std::uint32_t(w.state);
    read(j, "state", state);
    if (!role || state > std::uint32_t(WorkerState::Spinning))
        return false;
    w.role = *role;
    w.state = WorkerState(state);
    read(j, "name", w.name);
    read(j, "object", w.object);
    read(j, "pid", w.pid);
    read(j, "messages", w.messages);
    read(j, "bytes", w.bytes);
    read(j, "msgs_per_s", w.msgsPerS);
    read(j, "mb_per_s", w.mbPerS);
    read(j, "blocked_fraction", w.blockedFraction);
    read(j, "cpu_percent", w.cpuPercent);
    read(j, "mean_latency_us", w.meanLatencyUs);
    read(j, "exit", w.exitText);
    read(j, "exitcode", w.exitcode);
    read(j, "errors", w.errors);
    read(j, "error", w.errorText);
    return true;
}

// The fields an object's live status and its summary share, with its books.
template <typename Object> json objectToJson(const Object& o, const Ledger& ledger)
{
    return json { { "name", o.name }, { "os_name", o.osName }, { "kind", transportName(o.transport) },
        { "capacity", o.capacity }, { "ledger", ledgerToJson(ledger) } };
}

// Its books, or nothing when the kind or the books are not ours.
template <typename Object> std::optional<Ledger> objectFromJson(const json& j, Object& o)
{
    const auto kind = parseTransport(j.at("kind").get<std::string>());
    auto ledger = ledgerFromJson(j.at("ledger"));
    if (!kind || !ledger)
        return std::nullopt;
    o.transport = *kind;
    read(j, "name", o.name);
    read(j, "os_name", o.osName);
    read(j, "capacity", o.capacity);
    return ledger;
}

// A worker's timeline events as [ns, what, ns - previous ns, what, ...] (the deltas keep them short).
json workerEventsToJson(const std::vector<WorkerEvent>& events)
{
    json out = json::array();
    std::uint64_t previous = 0;
    for (const WorkerEvent& e : events) {
        out.push_back(out.empty() ? e.ns : e.ns - std::min(previous, e.ns));
        out.push_back(e.what);
        previous = std::max(previous, e.ns);
    }
    return out;
}

// Nothing when they are not a producer's or consumer's events (a state, or its lock taken or released, at step 0).
std::optional<std::vector<WorkerEvent>> workerEventsFromJson(const json& j)
{
    if (!j.is_array() || j.size() % 2 != 0 || j.size() > 2 * MaxWireEvents)
        return std::nullopt;
    std::vector<WorkerEvent> out;
    std::uint64_t ns = 0;
    for (std::size_t i = 0; i < j.size(); i += 2) {
        if (!j[i].is_number_unsigned() || !j[i + 1].is_number_unsigned())
            return std::nullopt;
        ns += j[i].get<std::uint64_t>();
        const WorkerEvent e { ns, j[i + 1].get<std::uint64_t>() };
        // A state at step 0, or the lock taken (1) or released (0), in some state.
        const bool known = std::size_t(e.state()) < WorkerStateCount
            && ((e.kind() == WorkerSlot::EventState && e.what >> 16 == 0)
                || (e.kind() == WorkerSlot::EventLock && e.what >> 16 <= 1));
        if (!known)
            return std::nullopt;
        out.push_back(e);
    }
    return out;
}

// What a producer's or consumer's events mean (its one "step"): its waits in its object's words, its lock.
json laneToJson(const LaneInfo& lane)
{
    json waits = json::array();
    for (const WorkerState st : { WorkerState::BlockedFull, WorkerState::BlockedEmpty, WorkerState::WaitingLock })
        waits.push_back({ lane.waitText(0, st), lane.waitObject(0, st) });
    return json { { "lock", lane.lock }, { "posts", lane.postsWithoutHolding }, { "waits", waits } };
}

std::shared_ptr<const LaneInfo> laneFromJson(const json& j)
{
    auto lane = std::make_shared<LaneInfo>();
    lane->waitTexts.resize(1);
    lane->waitObjects.resize(1);
    lane->holdsDuring.resize(1);
    lane->postsAt.resize(1);
    lane->lock = printableText(j.at("lock").get<std::string>());
    for (const json& post : j.at("posts"))
        lane->postsWithoutHolding.push_back(printableText(post.get<std::string>()));
    const json& waits = j.at("waits");
    std::size_t k = 0;
    for (const WorkerState st : { WorkerState::BlockedFull, WorkerState::BlockedEmpty, WorkerState::WaitingLock }) {
        if (k < waits.size() && waits[k].is_array() && waits[k].size() == 2) {
            lane->waitTexts[0][std::size_t(st)] = printableText(waits[k][0].get<std::string>());
            lane->waitObjects[0][std::size_t(st)] = printableText(waits[k][1].get<std::string>());
        }
        ++k;
    }
    return lane;
}

json statsToJson(const WaitStats& stats)
{
    return json { stats.waits, stats.totalNs, stats.maxNs, stats.histogram };
}

// Nothing when it is not [waits, total ns, max ns, [a count per histogram bucket]].
std::optional<WaitStats> statsFromJson(const json& j)
{
    if (!j.is_array() || j.size() != 4 || !j[3].is_array() || j[3].size() != WaitHistogram::Buckets)
        return std::nullopt;
    WaitStats stats;
    stats.waits = j[0].get<std::uint64_t>();
    stats.totalNs = j[1].get<std::uint64_t>();
    stats.maxNs = j[2].get<std::uint64_t>();
    for (std::size_t b = 0; b < WaitHistogram::Buckets; ++b)
        stats.histogram[b] = j[3][b].get<std::uint64_t>();
    return stats;
}

// A run's waits (the Waits tables): its rows, its workers' sums and its holds.
json contentionToJson(const Contention& c)
{
    json objects = json::array(), workers = json::array(), holds = json::array();
    for (const ObjectContention& o : c.objects)
        objects.push_back({ { "object", o.object }, { "kind", int(o.kind) }, { "what", o.what },
            { "gave_up", o.gaveUp }, { "stats", statsToJson(o.stats) }, { "waiters", o.waiters } });
    for (const WorkerContention& w : c.workers)
        workers.push_back({ { "worker", w.worker }, { "waits", w.waits }, { "wait_ns", w.waitNs },
            { "blocked_ns", w.blockedNs }, { "untracked", w.untracked } });
    for (const ObjectHolds& h : c.holds)
        holds.push_back({ { "object", h.object }, { "kind", int(h.kind) }, { "stats", statsToJson(h.stats) },
            { "holders", h.holders } });
    return json { { "objects", objects }, { "workers", workers }, { "holds", holds } };
}

// Nothing when a row is not one (a kind or its statistics); its strings made printable.
std::optional<Contention> contentionFromJson(const json& j)
{
    const auto kindOf = [](const json& row) -> std::optional<WaitKind> {
        const int kind = row.at("kind").get<int>();
        if (kind < int(WaitKind::Room) || kind > int(WaitKind::Permit))
            return std::nullopt;
        return WaitKind(kind);
    };
    const auto names = [](const json& list) {
        std::vector<std::string> out;
        for (const json& name : list)
            out.push_back(printableText(name.get<std::string>()));
        return out;
    };
    Contention c;
    for (const json& row : j.at("objects")) {
        const auto kind = kindOf(row);
        const auto stats = statsFromJson(row.at("stats"));
        if (!kind || !stats)
            return std::nullopt;
        c.objects.push_back({ printableText(row.at("object").get<std::string>()), *kind,
            printableText(row.at("what").get<std::string>()), row.at("gave_up").get<bool>(), *stats,
            names(row.at("waiters")) });
    }
    for (const json& row : j.at("workers"))
        c.workers.push_back({ printableText(row.at("worker").get<std::string>()), row.at("waits").get<std::uint64_t>(),
            row.at("wait_ns").get<std::uint64_t>(), row.at("blocked_ns").get<std::uint64_t>(),
            row.at("untracked").get<std::uint64_t>() });
    for (const json& row : j.at("holds")) {
        const auto kind = kindOf(row);
        const auto stats = statsFromJson(row.at("stats"));
        if (!kind || !stats)
            return std::nullopt;
        c.holds.push_back(
            { printableText(row.at("object").get<std::string>()), *kind, *stats, names(row.at("holders")) });
    }
    return c;
}

} // namespace

json snapshotToJson(
    const Snapshot& s, const std::vector<RunEvent>& events, const std::vector<std::uint64_t>& firstEvent)
{
    json workers = json::array();
    for (const WorkerStatus& w : s.workers) {
        json worker = workerToJson(w);
        worker.update({ { "state_s", w.stateSeconds }, { "waiting_on", w.waitingOn }, { "blocked_ns", w.blockedNs },
            { "gaps", w.gaps }, { "duplicated", w.duplicated }, { "out_of_order", w.outOfOrder },
            { "corrupt", w.corrupt }, { "rate", w.rate }, { "message_size", w.messageSize }, { "work_us", w.workUs },
            { "priority", w.priority }, { "alive", w.alive }, { "exit_ns", w.exitNs },
            { "paused_since_ns", w.pausedSinceNs }, { "resumed_ns", w.resumedNs },
            { "events", workerEventsToJson(w.newEvents) }, { "events_lost", w.eventsLost } });
        const std::size_t i = workers.size(); // this worker's index
        worker["events_first"] = i < firstEvent.size() ? firstEvent[i] : 0;
        if (w.lane)
            worker["lane"] = laneToJson(*w.lane);
        workers.push_back(std::move(worker));
    }
    json objects = json::array();
    for (std::size_t i = 0; i < s.objects.size() && i < s.objectLedgers.size(); ++i) {
        const ObjectStatus& o = s.objects[i];
        json object = objectToJson(o, s.objectLedgers[i]);
        object.update({ { "message_size", o.messageSize }, { "depth", o.depth }, { "bytes_queued", o.bytesQueued },
            { "byte_capacity", o.byteCapacity } });
        if (!o.listensOn.empty())
            object.update({ { "listens_on", o.listensOn }, { "public_key", o.publicKey } });
        if (!o.furthestBehind.empty())
            object.update({ { "furthest_behind", o.furthestBehind }, { "furthest_behind_by", o.furthestBehindBy } });
        if (!o.semaphores.empty()) { // [[role, value], ...]: the semaphore chart draws them
            json semaphores = json::array();
            for (const SemaphoreValue& v : o.semaphores)
                semaphores.push_back({ v.role, v.value });
            object["sem_values"] = std::move(semaphores);
        }
        objects.push_back(std::move(object));
    }
    json out { { "t", s.t }, { "workers", workers }, { "objects", objects }, { "ledger", ledgerToJson(s.ledger) },
        { "msgs_per_s", s.totalMsgsPerS }, { "events", eventsToJson(events) } };
    if (s.contention && s.contention->any())
        out["contention"] = contentionToJson(*s.contention);
    return out;
}

std::optional<Snapshot> snapshotFromJson(const json& j, std::vector<std::uint64_t>* firstEvent)
{
    try {
        Snapshot s;
        read(j, "t", s.t);
        read(j, "msgs_per_s", s.totalMsgsPerS);
        auto total = ledgerFromJson(j.at("ledger"));
        if (!total)
            return std::nullopt;
        s.ledger = *total;
        for (const json& jw : j.at("workers")) {
            WorkerStatus w;
            if (!workerFromJson(jw, w))
                return std::nullopt;
            read(jw, "state_s", w.stateSeconds);
            read(jw, "waiting_on", w.waitingOn);
            read(jw, "blocked_ns", w.blockedNs);
            read(jw, "gaps", w.gaps);
            read(jw, "duplicated", w.duplicated);
            read(jw, "out_of_order", w.outOfOrder);
            read(jw, "corrupt", w.corrupt);
            read(jw, "rate", w.rate);
            read(jw, "message_size", w.messageSize);
            read(jw, "work_us", w.workUs);
            read(jw, "priority", w.priority);
            read(jw, "alive", w.alive);
            read(jw, "exit_ns", w.exitNs);
            read(jw, "paused_since_ns", w.pausedSinceNs);
            read(jw, "resumed_ns", w.resumedNs);
            read(jw, "events_lost", w.eventsLost);
            if (jw.contains("events")) {
                auto events = workerEventsFromJson(jw.at("events"));
                if (!events)
                    return std::nullopt;
                w.newEvents = std::move(*events);
            }
            if (jw.contains("lane"))
                w.lane = laneFromJson(jw.at("lane"));
            if (firstEvent) {
                std::uint64_t first = 0;
                read(jw, "events_first", first);
                firstEvent->push_back(first);
            }
            s.workers.push_back(std::move(w));
        }
        for (const json& jo : j.at("objects")) {
            ObjectStatus o;
            auto ledger = objectFromJson(jo, o);
            if (!ledger)
                return std::nullopt;
            read(jo, "message_size", o.messageSize);
            read(jo, "depth", o.depth);
            read(jo, "bytes_queued", o.bytesQueued);
            read(jo, "byte_capacity", o.byteCapacity);
            read(jo, "listens_on", o.listensOn);
            read(jo, "public_key", o.publicKey);
            read(jo, "furthest_behind", o.furthestBehind);
            read(jo, "furthest_behind_by", o.furthestBehindBy);
            // One endpoint per consumer ("tcp://ADDRESS:PORT", at most MaxEndpointChars), and a 40-character key.
            if (o.listensOn.size() > ScenarioLimits::MaxWorkers || o.publicKey.size() > MaxEndpointChars
                || std::any_of(o.listensOn.begin(), o.listensOn.end(),
                    [](const std::string& e) { return e.size() > MaxEndpointChars; }))
                return std::nullopt;
            if (jo.contains("sem_values")) {
                // An object has a few (a ring: empty, full, mutex), each named by a short role.
                const json& semaphores = jo.at("sem_values");
                if (!semaphores.is_array() || semaphores.size() > MaxWireSemaphores)
                    return std::nullopt;
                for (const json& v : semaphores) {
                    if (!v.is_array() || v.size() != 2 || !v[0].is_string() || !v[1].is_number_integer())
                        return std::nullopt;
                    // A role is a short name ("empty", "mutex"): it goes into chart legends as it is.
                    const std::string& role = v[0].get_ref<const std::string&>();
                    const bool named = role.size() <= 32 && validateShortName(role, "sem_values");
                    const std::int64_t value = v[1].get<std::int64_t>();
                    // -1: the host could not read it (as for an object here).
                    if (!named || value < -1 || value > std::numeric_limits<int>::max())
                        return std::nullopt;
                    o.semaphores.push_back({ role, {}, int(value) });
                }
            }
            s.objects.push_back(std::move(o));
            s.objectLedgers.push_back(*ledger);
        }
        s.events = eventsFromJson(j.at("events"));
        if (j.contains("contention")) {
            auto contention = contentionFromJson(j.at("contention"));
            if (!contention)
                return std::nullopt;
            s.contention = std::make_shared<const Contention>(std::move(*contention));
        }
        return s;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

json reportToWire(const Report& r)
{
    json workers = json::array();
    for (const WorkerSummary& w : r.workers)
        workers.push_back(workerToJson(w));
    json objects = json::array();
    for (const ObjectSummary& o : r.objects) {
        json object = objectToJson(o, o.ledger);
        object.update({ { "depth_min", o.depthMin }, { "depth_max", o.depthMax }, { "depth_mean", o.depthMean },
            { "semaphores", o.semaphoreText }, { "cells", o.cells } });
        objects.push_back(std::move(object));
    }
    return json { { "duration_s", r.durationS }, { "workers", workers }, { "objects", objects },
        { "integrity", ledgerToJson(r.integrity) }, { "events", eventsToJson(r.events) },
        { "dead_workers", r.deadWorkers }, { "cleanup", r.cleanup }, { "contention", contentionToJson(r.contention) } };
}

std::optional<Report> reportFromWire(const json& j)
{
    try {
        Report r;
        read(j, "duration_s", r.durationS);
        auto integrity = ledgerFromJson(j.at("integrity"));
        if (!integrity)
            return std::nullopt;
        r.integrity = *integrity;
        for (const json& jw : j.at("workers")) {
            WorkerSummary w;
            if (!workerFromJson(jw, w))
                return std::nullopt;
            // A summary is of a worker that has ended: finished, or dead.
            w.state = w.state == WorkerState::Dead ? WorkerState::Dead : WorkerState::Finished;
            r.workers.push_back(std::move(w));
        }
        for (const json& jo : j.at("objects")) {
            ObjectSummary o;
            auto ledger = objectFromJson(jo, o);
            if (!ledger)
                return std::nullopt;
            o.ledger = *ledger;
            read(jo, "depth_min", o.depthMin);
            read(jo, "depth_max", o.depthMax);
            read(jo, "depth_mean", o.depthMean);
            read(jo, "semaphores", o.semaphoreText);
            read(jo, "cells", o.cells);
            r.objects.push_back(std::move(o));
        }
        r.events = eventsFromJson(j.at("events"));
        read(j, "dead_workers", r.deadWorkers);
        read(j, "cleanup", r.cleanup);
        if (j.contains("contention")) {
            auto contention = contentionFromJson(j.at("contention"));
            if (!contention)
                return std::nullopt;
            r.contention = std::move(*contention);
        }
        return r;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

namespace {
constexpr std::array ControlNames = { "pause", "resume", "terminate", "kill", "rate", "message_size", "work_us" };
} // namespace

const char* workerControlName(WorkerControl action)
{
    return std::size_t(action) < ControlNames.size() ? ControlNames[std::size_t(action)] : "?";
}

nlohmann::json controlToJson(const std::string& runId, const ControlRequest& control)
{
    nlohmann::json out { { "type", "control" }, { "run", runId }, { "worker", control.worker },
        { "action", workerControlName(control.action) } };
    if (control.action == WorkerControl::Rate)
        out["value"] = control.value;
    else if (control.action == WorkerControl::MessageSize || control.action == WorkerControl::WorkUs)
        out["value"] = std::uint64_t(control.value);
    return out;
}

std::optional<ControlRequest> controlFromJson(const nlohmann::json& message)
{
    if (!message.is_object() || !message.contains("worker") || !message["worker"].is_string()
        || !message.contains("action") || !message["action"].is_string())
        return std::nullopt;
    ControlRequest c;
    c.worker = message["worker"].get<std::string>();
    if (c.worker.empty() || c.worker.size() > 256)
        return std::nullopt;
    const std::string action = message["action"].get<std::string>();
    const auto known = std::find(ControlNames.begin(), ControlNames.end(), action);
    if (known == ControlNames.end())
        return std::nullopt;
    c.action = WorkerControl(known - ControlNames.begin());
    if (c.action == WorkerControl::Rate || c.action == WorkerControl::MessageSize
        || c.action == WorkerControl::WorkUs) {
        if (!message.contains("value") || !message["value"].is_number())
            return std::nullopt;
        c.value = message["value"].get<double>();
        const bool whole = c.action != WorkerControl::Rate;
        if (!std::isfinite(c.value) || c.value < 0
            || (whole && (c.value > 4294967295.0 || c.value != std::floor(c.value))))
            return std::nullopt;
    }
    return c;
}

Status applyControl(Runner& runner, std::size_t index, const ControlRequest& control)
{
    switch (control.action) {
    case WorkerControl::Pause:
        return runner.pauseWorker(index);
    case WorkerControl::Resume:
        return runner.resumeWorker(index);
    case WorkerControl::Terminate:
        return runner.terminateWorker(index);
    case WorkerControl::Kill:
        return runner.killWorker(index);
    case WorkerControl::Rate:
        return runner.setRate(index, control.value);
    case WorkerControl::MessageSize:
        return runner.setMessageSize(index, std::uint32_t(control.value));
    case WorkerControl::WorkUs:
        return runner.setWorkUs(index, std::uint32_t(control.value));
    }
    return {};
}

} // namespace ipccore::detail
