// A run's snapshots and report on a worker host's link (host_messages.h).

#include "host_messages.h"

namespace ipccore::detail {

using nlohmann::json;

namespace {

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

} // namespace

json snapshotToJson(const Snapshot& s, const std::vector<RunEvent>& events)
{
    json workers = json::array();
    for (const WorkerStatus& w : s.workers) {
        json worker = workerToJson(w);
        worker.update({ { "state_s", w.stateSeconds }, { "waiting_on", w.waitingOn }, { "blocked_ns", w.blockedNs },
            { "gaps", w.gaps }, { "duplicated", w.duplicated }, { "out_of_order", w.outOfOrder },
            { "corrupt", w.corrupt }, { "rate", w.rate }, { "message_size", w.messageSize }, { "work_us", w.workUs },
            { "priority", w.priority }, { "alive", w.alive } });
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
        objects.push_back(std::move(object));
    }
    return json { { "t", s.t }, { "workers", workers }, { "objects", objects }, { "ledger", ledgerToJson(s.ledger) },
        { "msgs_per_s", s.totalMsgsPerS }, { "events", eventsToJson(events) } };
}

std::optional<Snapshot> snapshotFromJson(const json& j)
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
            s.objects.push_back(std::move(o));
            s.objectLedgers.push_back(*ledger);
        }
        s.events = eventsFromJson(j.at("events"));
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
        { "dead_workers", r.deadWorkers }, { "cleanup", r.cleanup } };
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
        return r;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

} // namespace ipccore::detail
