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
    return json { { "sent", l.sent }, { "received", l.received }, { "left", l.left }, { "lost", l.lost },
        { "duplicated", l.duplicated }, { "corrupt", l.corrupt }, { "out_of_order", l.outOfOrder },
        { "lost_with_dead_workers", l.lostWithDeadWorkers }, { "sent_by_dead_uncounted", l.sentByDeadUncounted },
        { "worker_errors", l.workerErrors }, { "writes", l.writes }, { "increments", l.increments },
        { "cell_sum", l.cellSum }, { "lost_updates", l.lostUpdates }, { "acquires", l.acquires },
        { "releases", l.releases }, { "timeouts", l.timeouts }, { "permits", l.permits },
        { "permits_held_by_dead", l.permitsHeldByDead }, { "exact", l.exact } };
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

json snapshotToJson(const Snapshot& s, const std::vector<RunEvent>& events)
{
    json workers = json::array();
    for (const WorkerStatus& w : s.workers)
        workers.push_back({ { "name", w.name }, { "role", roleName(w.role) }, { "object", w.object }, { "pid", w.pid },
            { "state", std::uint32_t(w.state) }, { "state_s", w.stateSeconds }, { "waiting_on", w.waitingOn },
            { "messages", w.messages }, { "bytes", w.bytes }, { "msgs_per_s", w.msgsPerS }, { "mb_per_s", w.mbPerS },
            { "blocked_fraction", w.blockedFraction }, { "blocked_ns", w.blockedNs }, { "cpu_percent", w.cpuPercent },
            { "mean_latency_us", w.meanLatencyUs }, { "gaps", w.gaps }, { "duplicated", w.duplicated },
            { "out_of_order", w.outOfOrder }, { "corrupt", w.corrupt }, { "rate", w.rate },
            { "message_size", w.messageSize }, { "work_us", w.workUs }, { "priority", w.priority },
            { "alive", w.alive }, { "exit", w.exitText }, { "exitcode", w.exitcode }, { "errors", w.errors },
            { "error", w.errorText } });
    json objects = json::array();
    for (std::size_t i = 0; i < s.objects.size(); ++i) {
        const ObjectStatus& o = s.objects[i];
        objects.push_back({ { "name", o.name }, { "os_name", o.osName }, { "kind", transportName(o.transport) },
            { "capacity", o.capacity }, { "message_size", o.messageSize }, { "depth", o.depth },
            { "bytes_queued", o.bytesQueued }, { "byte_capacity", o.byteCapacity },
            { "ledger", i < s.objectLedgers.size() ? ledgerToJson(s.objectLedgers[i]) : json() } });
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
            read(jw, "name", w.name);
            const auto role = roleFrom(jw.at("role").get<std::string>());
            if (!role)
                return std::nullopt;
            w.role = *role;
            read(jw, "object", w.object);
            read(jw, "pid", w.pid);
            std::uint32_t state = 0;
            read(jw, "state", state);
            if (state > std::uint32_t(WorkerState::Spinning))
                return std::nullopt;
            w.state = WorkerState(state);
            read(jw, "state_s", w.stateSeconds);
            read(jw, "waiting_on", w.waitingOn);
            read(jw, "messages", w.messages);
            read(jw, "bytes", w.bytes);
            read(jw, "msgs_per_s", w.msgsPerS);
            read(jw, "mb_per_s", w.mbPerS);
            read(jw, "blocked_fraction", w.blockedFraction);
            read(jw, "blocked_ns", w.blockedNs);
            read(jw, "cpu_percent", w.cpuPercent);
            read(jw, "mean_latency_us", w.meanLatencyUs);
            read(jw, "gaps", w.gaps);
            read(jw, "duplicated", w.duplicated);
            read(jw, "out_of_order", w.outOfOrder);
            read(jw, "corrupt", w.corrupt);
            read(jw, "rate", w.rate);
            read(jw, "message_size", w.messageSize);
            read(jw, "work_us", w.workUs);
            read(jw, "priority", w.priority);
            read(jw, "alive", w.alive);
            read(jw, "exit", w.exitText);
            read(jw, "exitcode", w.exitcode);
            read(jw, "errors", w.errors);
            read(jw, "error", w.errorText);
            s.workers.push_back(std::move(w));
        }
        for (const json& jo : j.at("objects")) {
            ObjectStatus o;
            read(jo, "name", o.name);
            read(jo, "os_name", o.osName);
            const auto kind = parseTransport(jo.at("kind").get<std::string>());
            auto ledger = ledgerFromJson(jo.at("ledger"));
            if (!kind || !ledger)
                return std::nullopt;
            o.transport = *kind;
            read(jo, "capacity", o.capacity);
            read(jo, "message_size", o.messageSize);
            read(jo, "depth", o.depth);
            read(jo, "bytes_queued", o.bytesQueued);
            read(jo, "byte_capacity", o.byteCapacity);
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
        workers.push_back({ { "name", w.name }, { "role", roleName(w.role) }, { "object", w.object }, { "pid", w.pid },
            { "messages", w.messages }, { "bytes", w.bytes }, { "msgs_per_s", w.msgsPerS }, { "mb_per_s", w.mbPerS },
            { "blocked_fraction", w.blockedFraction }, { "cpu_percent", w.cpuPercent },
            { "mean_latency_us", w.meanLatencyUs }, { "exit", w.exitText }, { "state", std::uint32_t(w.state) },
            { "exitcode", w.exitcode }, { "errors", w.errors }, { "error", w.errorText } });
    json objects = json::array();
    for (const ObjectSummary& o : r.objects)
        objects.push_back({ { "name", o.name }, { "os_name", o.osName }, { "kind", transportName(o.transport) },
            { "capacity", o.capacity }, { "depth_min", o.depthMin }, { "depth_max", o.depthMax },
            { "depth_mean", o.depthMean }, { "semaphores", o.semaphoreText }, { "cells", o.cells },
            { "ledger", ledgerToJson(o.ledger) } });
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
            read(jw, "name", w.name);
            const auto role = roleFrom(jw.at("role").get<std::string>());
            if (!role)
                return std::nullopt;
            w.role = *role;
            read(jw, "object", w.object);
            read(jw, "pid", w.pid);
            read(jw, "messages", w.messages);
            read(jw, "bytes", w.bytes);
            read(jw, "msgs_per_s", w.msgsPerS);
            read(jw, "mb_per_s", w.mbPerS);
            read(jw, "blocked_fraction", w.blockedFraction);
            read(jw, "cpu_percent", w.cpuPercent);
            read(jw, "mean_latency_us", w.meanLatencyUs);
            read(jw, "exit", w.exitText);
            std::uint32_t state = std::uint32_t(WorkerState::Finished);
            read(jw, "state", state);
            w.state = state == std::uint32_t(WorkerState::Dead) ? WorkerState::Dead : WorkerState::Finished;
            read(jw, "exitcode", w.exitcode);
            read(jw, "errors", w.errors);
            read(jw, "error", w.errorText);
            r.workers.push_back(std::move(w));
        }
        for (const json& jo : j.at("objects")) {
            ObjectSummary o;
            read(jo, "name", o.name);
            read(jo, "os_name", o.osName);
            const auto kind = parseTransport(jo.at("kind").get<std::string>());
            auto ledger = ledgerFromJson(jo.at("ledger"));
            if (!kind || !ledger)
                return std::nullopt;
            o.transport = *kind;
            o.ledger = *ledger;
            read(jo, "capacity", o.capacity);
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
