// A controller's side of the workers on worker hosts (remote_hosts.h).

#include "remote_hosts.h"

#include "host_messages.h"
#include "sys_error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <thread>

namespace ipccore::detail {

using nlohmann::json;

struct RemoteHosts::Part {
    HostSpec host;
    Scenario scenario; // its part (scenarioPart)
    std::string runId;
    std::unique_ptr<HostLink> link;
    bool started = false;
    std::optional<Error> refused; // an "error" answer
    std::optional<Snapshot> last; // the last snapshot it sent
    std::vector<RunEvent> events; // not merged yet
    std::size_t eventsSeen = 0; // of the host's run's events, those its snapshots brought
    std::optional<Report> report;
    bool lost = false; // as last merged: the host stopped answering
    bool stopAsked = false;

    std::string where() const { return "host '" + host.name + "' (" + host.endpoint + ")"; }
    bool isLost() const
    {
        const LinkStatus st = link->status();
        return st.state == LinkStatus::State::Lost || st.state == LinkStatus::State::Refused;
    }
};

void RemoteHosts::poll(Part& p)
{
    for (const std::string& text : p.link->takeMessages()) {
        const json message = json::parse(text, nullptr, false);
        if (!message.is_object() || !message.contains("run") || message["run"] != p.runId
            || !message["type"].is_string())
            continue; // another run's (an earlier one on the same host), or not a run's message
        const std::string type = message["type"].get<std::string>();
        if (type == "started")
            p.started = true;
        else if (type == "error") {
            const std::string why = message.contains("message") && message["message"].is_string()
                ? message["message"].get<std::string>()
                : std::string("no reason given");
            if (!p.started)
                p.refused = makeError(ErrorCode::InvalidArgument, "start on host", p.where(), why);
            else
                p.events.push_back({ p.last ? p.last->t : 0, RunEvent::Kind::Error, p.host.name + ": " + why });
        } else if (type == "snapshot" && message.contains("snapshot")) {
            if (auto snap = snapshotFromJson(message["snapshot"])) {
                for (RunEvent& e : snap->events)
                    p.events.push_back({ e.t, e.kind, p.host.name + ": " + e.text });
                p.eventsSeen += snap->events.size();
                snap->events.clear();
                p.last = std::move(*snap);
            }
        } else if (type == "report" && message.contains("report")) {
            p.report = reportFromWire(message["report"]);
        }
    }
}

Result<std::unique_ptr<RemoteHosts>> RemoteHosts::start(const Scenario& scenario, const std::string& runId)
{
    std::unique_ptr<RemoteHosts> hosts(new RemoteHosts);
    for (const std::string& name : hostsInUse(scenario)) {
        auto part = std::make_unique<Part>();
        for (const HostSpec& h : scenario.hosts)
            if (h.name == name)
                part->host = h;
        part->scenario = scenarioPart(scenario, name);
        part->runId = runId;
        PingOptions options;
        options.endpoint = part->host.endpoint;
        options.keyFile = scenario.controllerKey;
        options.hostKeyFile = part->host.keyFile;
        auto link = HostLink::open(options);
        if (!link) {
            Error e = link.error();
            e.hint = "host '" + name + "': " + e.hint;
            return e;
        }
        part->link = std::move(*link);
        part->link->setRun(runId);
        part->link->send(
            json { { "type", "run" }, { "run", runId }, { "scenario", json::parse(scenarioToJson(part->scenario)) } }
                .dump());
        hosts->m_parts.push_back(std::move(part));
    }
    // Every host starts its part at the same time; each must have said "started" within StartWait.
    const std::uint64_t deadline = monotonicNs() + std::uint64_t(StartWait.count());
    for (;;) {
        bool all = true;
        for (auto& p : hosts->m_parts) {
            hosts->poll(*p);
            if (p->refused)
                return *p->refused;
            const LinkStatus st = p->link->status();
            if (st.state == LinkStatus::State::Refused)
                return makeError(ErrorCode::PermissionDenied, "connect to host", p->where(), st.problem);
            all = all && p->started;
        }
        if (all)
            return hosts;
        if (monotonicNs() >= deadline)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (auto& p : hosts->m_parts) {
        if (p->started)
            continue;
        const LinkStatus st = p->link->status();
        if (st.answers == 0)
            return makeError(ErrorCode::TimedOut, "connect to host", p->where(),
                "It did not answer within 5 s: check that 'ipclab-cli host --listen' runs there on that address, "
                "that its --allow file holds this controller's public key, and any firewall between");
        return makeError(ErrorCode::TimedOut, "start on host", p->where(),
            "It answers, but did not start its workers within 5 s; see the host's own output");
    }
    return hosts;
}

RemoteHosts::~RemoteHosts()
{
    requestStop();
    // Give the link threads a moment to send the stops before they close.
    for (auto& p : m_parts) {
        const std::uint64_t until = monotonicNs() + 200'000'000ull;
        while (!p->isLost() && monotonicNs() < until && p->report == std::nullopt) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            poll(*p);
            if (p->report || !p->started)
                break;
        }
    }
}

std::size_t RemoteHosts::workerCount() const
{
    std::size_t n = 0;
    for (const auto& p : m_parts)
        n += p->scenario.workers.size();
    return n;
}

std::string RemoteHosts::hostOfWorker(std::size_t index, std::size_t localWorkers) const
{
    std::size_t at = localWorkers;
    for (const auto& p : m_parts) {
        at += p->scenario.workers.size();
        if (index < at)
            return p->host.name;
    }
    return {};
}

namespace {

std::string secondsText(double s)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", s);
    return text;
}

} // namespace

void RemoteHosts::merge(Snapshot& snap)
{
    for (auto& p : m_parts) {
        poll(*p);
        const LinkStatus st = p->link->status();
        const bool lost = st.state == LinkStatus::State::Lost || st.state == LinkStatus::State::Refused;
        if (lost != p->lost)
            p->events.push_back({ snap.t, lost ? RunEvent::Kind::Error : RunEvent::Kind::Info,
                lost ? p->where() + " stopped answering (" + secondsText(double(st.silenceNs) / 1e9)
                        + " s): its workers are shown lost, as last seen; the rest of the run goes on"
                     : p->where() + " answers again" });
        p->lost = lost;
        for (RunEvent& e : p->events) {
            m_told.push_back(e);
            snap.events.push_back(std::move(e));
        }
        p->events.clear();
        if (!p->last) {
            // Not heard from yet: its workers as the scenario gives them, starting.
            for (const WorkerSpec& w : p->scenario.workers) {
                WorkerStatus status;
                status.name = w.name;
                status.role = w.role;
                status.object = w.object;
                status.host = p->host.name;
                snap.workers.push_back(std::move(status));
            }
            continue;
        }
        for (WorkerStatus w : p->last->workers) {
            w.host = p->host.name;
            for (const ObjectSpec& o : p->scenario.objects)
                if (o.name == w.object)
                    w.transport = o.transport;
            if (lost && w.alive) {
                w.alive = false;
                w.lostWithHost = true;
                w.state = WorkerState::Dead;
                w.msgsPerS = w.mbPerS = 0;
                w.exitText = "lost with host " + p->host.name + " (no answer for "
                    + secondsText(double(st.silenceNs) / 1e9) + " s)";
            }
            snap.workers.push_back(std::move(w));
        }
        for (std::size_t i = 0; i < p->last->objects.size(); ++i) {
            ObjectStatus o = p->last->objects[i];
            o.host = p->host.name;
            const Ledger& l = p->last->objectLedgers[i];
            addToTotal(snap.ledger, l, o.transport);
            snap.objects.push_back(std::move(o));
            snap.objectLedgers.push_back(l);
        }
        if (!lost)
            snap.totalMsgsPerS += p->last->totalMsgsPerS;
    }
}

bool RemoteHosts::allWorkersExited()
{
    for (auto& p : m_parts) {
        poll(*p);
        if (p->isLost())
            continue;
        if (!p->last)
            return false;
        for (const WorkerStatus& w : p->last->workers)
            if (w.alive)
                return false;
    }
    return true;
}

void RemoteHosts::requestStop()
{
    for (auto& p : m_parts) {
        if (p->stopAsked || !p->started)
            continue;
        p->link->send(json { { "type", "stop" }, { "run", p->runId } }.dump());
        p->stopAsked = true;
    }
}

void RemoteHosts::finish(Report& report)
{
    requestStop();
    report.events.insert(report.events.end(), m_told.begin(), m_told.end());
    const std::uint64_t deadline = monotonicNs() + std::uint64_t(StopWait.count());
    for (auto& p : m_parts) {
        while (!p->report && !p->isLost() && monotonicNs() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            poll(*p);
        }
        report.events.insert(report.events.end(), p->events.begin(), p->events.end());
        p->events.clear();
        if (p->report) {
            for (WorkerSummary w : p->report->workers) {
                w.host = p->host.name;
                report.workers.push_back(std::move(w));
            }
            for (ObjectSummary o : p->report->objects) {
                o.host = p->host.name;
                addToTotal(report.integrity, o.ledger, o.transport);
                report.integrity.exact = report.integrity.exact && o.ledger.exact;
                report.objects.push_back(std::move(o));
            }
            // Those its snapshots brought are in already (m_told); the rest came with the stop.
            for (std::size_t i = p->eventsSeen; i < p->report->events.size(); ++i) {
                const RunEvent& e = p->report->events[i];
                report.events.push_back({ e.t, e.kind, p->host.name + ": " + e.text });
            }
            for (const std::string& line : p->report->deadWorkers)
                report.deadWorkers.push_back(p->host.name + ": " + line);
            for (const std::string& line : p->report->cleanup)
                report.cleanup.push_back(p->host.name + ": " + line);
            continue;
        }
        // No report: what the host showed last, and nothing claimed exact.
        const LinkStatus st = p->link->status();
        const std::string why = p->isLost()
            ? p->where() + " was lost (no answer for " + secondsText(double(st.silenceNs) / 1e9) + " s)"
            : p->where() + " sent no report within " + std::to_string(StopWait.count() / 1'000'000'000) + " s";
        report.events.push_back({ report.durationS, RunEvent::Kind::Error,
            why + ": its workers and objects are as last seen"
                + (p->last ? " at t=" + secondsText(p->last->t) + " s" : std::string(" (never)"))
                + "; what they held then is unknown, so its books are not exact" });
        report.integrity.exact = false;
        if (!p->last) {
            for (const WorkerSpec& w : p->scenario.workers) {
                WorkerSummary s;
                s.name = w.name;
                s.role = w.role;
                s.object = w.object;
                s.host = p->host.name;
                s.exitText = why;
                s.state = WorkerState::Dead;
                report.workers.push_back(std::move(s));
            }
            continue;
        }
        for (const WorkerStatus& w : p->last->workers) {
            WorkerSummary s;
            s.name = w.name;
            s.role = w.role;
            s.object = w.object;
            s.host = p->host.name;
            s.pid = w.pid;
            s.messages = w.messages;
            s.bytes = w.bytes;
            s.blockedFraction = w.blockedFraction;
            s.cpuPercent = w.cpuPercent;
            s.meanLatencyUs = w.meanLatencyUs;
            s.exitText = w.alive ? why : w.exitText;
            s.state = w.alive ? WorkerState::Dead : w.state;
            s.errors = w.errors;
            s.errorText = w.errorText;
            report.workers.push_back(std::move(s));
        }
        for (std::size_t i = 0; i < p->last->objects.size(); ++i) {
            const ObjectStatus& o = p->last->objects[i];
            ObjectSummary s;
            s.name = o.name;
            s.osName = o.osName;
            s.transport = o.transport;
            s.host = p->host.name;
            s.capacity = o.capacity;
            s.ledger = p->last->objectLedgers[i];
            s.ledger.exact = false;
            addToTotal(report.integrity, s.ledger, s.transport);
            report.objects.push_back(std::move(s));
        }
    }
    std::stable_sort(
        report.events.begin(), report.events.end(), [](const RunEvent& a, const RunEvent& b) { return a.t < b.t; });
}

} // namespace ipccore::detail
