// A controller's side of the workers on worker hosts (remote_hosts.h).

#include "remote_hosts.h"

#include "host_messages.h"
#include "host_wire.h"
#include "ipccore/clock.h"
#include "ipccore/system_ipc.h"
#include "ipccore/version.h"
#include "sys_error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <thread>
#include <tuple>

namespace ipccore::detail {

using nlohmann::json;

// A host's worker's timeline events in the host's clock, not merged yet; how many of its events the host had taken
// when its latest snapshot came; those that never came here (the host sends the latest MaxWireEvents, a snapshot
// may be dropped on the way); its latest merged event's time, in this machine's clock.
struct HostLane {
    std::deque<WorkerEvent> pending;
    std::uint64_t next = 0, missed = 0, lastNs = 0;
};

struct RemoteHosts::Part {
    HostSpec host;
    Scenario scenario; // its part (scenarioPart)
    std::string runId;
    std::string request; // the "run" message
    std::string address; // the host's address in its endpoint
    std::vector<std::string> served; // its objects between machines (their producers here)
    // For each object it serves: where its consumers come among all the object's consumers (the hosts in the
    // scenario's order, each with its own in theirs), how many it runs, and how many the object has; their names.
    struct Slots {
        std::uint32_t first = 0, here = 0, all = 0;
        std::vector<std::string> names;
    };
    std::map<std::string, Slots> slots;
    // Where the consumers of each object it serves listen, as last handed to the runner (takeReaches).
    std::map<std::string, std::vector<std::string>> reached;
    // What this machine's producers of each object between machines had sent when the host's latest snapshot came
    // (`fresh`: one came since the last merge), so the live books read both sides at about the same time.
    std::map<std::string, std::optional<std::uint64_t>> sentWhenSeen;
    bool fresh = false;
    bool askAgain = false; // the host has not got the request (yet): send it again
    std::unique_ptr<HostLink> link;
    bool started = false;
    // Its workers wait at their pause gates until the run has made everything, here and on every host ("go", from
    // RemoteHosts::go); said again while its snapshots show them held (a "go" lost with a connection), every
    // GoAgainNs.
    std::uint64_t goSentNs = 0;
    static constexpr std::uint64_t GoAgainNs = 500'000'000ull;
    std::optional<Error> refused; // an "error" answer
    std::optional<Snapshot> last; // the last snapshot it sent
    std::vector<RunEvent> events; // its snapshots' events, not merged yet
    // What this controller has to say about the part, timed when the next merge (or the stop) tells it.
    std::vector<std::pair<RunEvent::Kind, std::string>> notices;
    std::vector<RunEvent> liveEvents; // every event its snapshots brought (the report, when one comes, has them all)
    std::optional<Report> report;
    std::optional<std::string> gone; // the host says it no longer runs this part (restarted), and why
    bool lost = false; // as last merged: the host stopped answering
    bool stopAsked = false;
    std::optional<std::string> leaving; // the host is being stopped, and why ("leaving")
    std::vector<HostLane> lanes; // per worker, its timeline events
    // The host's CLOCK_MONOTONIC minus this machine's, as its events are read here: the link's estimate at the first
    // snapshot when beyond its error, else 0; the same all run, so each worker's events stay in order.
    std::optional<std::int64_t> clockOffsetNs;

    bool ended() const { return report || gone; }
    void go()
    {
        link->send(nlohmann::json { { "type", "go" }, { "run", runId } }.dump());
        goSentNs = monotonicNs();
    }
    void askStop()
    {
        link->send(nlohmann::json { { "type", "stop" }, { "run", runId } }.dump());
        stopAsked = true;
    }

    std::string where() const { return "host '" + host.name + "' (" + host.endpoint + ")"; }
    // The transport of one of its objects, as its part of the scenario gives it.
    TransportKind transportOf(const std::string& object) const
    {
        for (const ObjectSpec& o : scenario.objects)
            if (o.name == object)
                return o.transport;
        return {};
    }
    bool isLost() const { return lostState(link->status()); }
    // Not answering, or given up: either way nothing more comes from it.
    static bool lostState(const LinkStatus& st)
    {
        return st.state == LinkStatus::State::Lost || st.state == LinkStatus::State::Refused;
    }
};

namespace {

bool contains(const std::vector<std::string>& list, const std::string& item)
{
    return std::find(list.begin(), list.end(), item) != list.end();
}

// Where this machine's half of the object between machines `name` is listed (a Ledger::half, not joined yet, on
// no host), or objects.size(). `ledgerAt(k)` reads the books of objects[k].
template <typename Object, typename LedgerAt>
std::size_t halfHere(const std::vector<Object>& objects, const std::string& name, LedgerAt ledgerAt)
{
    for (std::size_t k = 0; k < objects.size(); ++k)
        if (objects[k].name == name && objects[k].host.empty() && ledgerAt(k).half)
            return k;
    return objects.size();
}

// The hosts' halves (Ledger::half) of the objects between machines that a snapshot or a report lists, gathered as
// each host's part is merged, then joined to this machine's half at once: joinHalves judges the books once (joined
// twice, what killed workers may have held would count twice).
struct HostHalves {
    std::vector<Ledger> ledgers;
    std::vector<std::string> listensOn; // each consumer's endpoint, at its place among all the object's consumers
    bool answering = true; // each came from a host that answers (its counts are current)
    bool fromReports = true; // each is a host's report's (none a lost host's last snapshot)
};
using Halves = std::map<std::string, HostHalves>;

// A host's half of an object between machines, kept in `halves` when this machine's half is listed in `snap`;
// false when there is no half here. Its `here` consumers are the object's `first` and on, of `all`.
template <typename Slots>
bool takeHalf(Halves& halves, const Snapshot& snap, const ObjectStatus& there, const Ledger& l, const Slots& slots,
    bool answering)
{
    const std::size_t k
        = halfHere(snap.objects, there.name, [&](std::size_t j) -> const Ledger& { return snap.objectLedgers[j]; });
    if (!l.half || k == snap.objects.size())
        return false;
    HostHalves& h = halves[there.name];
    h.ledgers.push_back(l);
    h.answering = h.answering && answering;
    // Its own consumers' places only (a host that says more cannot fill another's).
    h.listensOn.resize(slots.all);
    for (std::size_t i = 0; i < std::min<std::size_t>(there.listensOn.size(), slots.here); ++i)
        if (slots.first + i < h.listensOn.size())
            h.listensOn[slots.first + i] = printableText(there.listensOn[i]);
    return true;
}
// The same in a report. `fromReport`: the host's half is its report's; else it is its last snapshot's, from a host
// that was lost: what was sent and not seen received there may have died with it (counted so), and not exact.
bool takeHalf(Halves& halves, const Report& report, const ObjectSummary& there, bool fromReport)
{
    const std::size_t k = halfHere(
        report.objects, there.name, [&](std::size_t j) -> const Ledger& { return report.objects[j].ledger; });
    if (!there.ledger.half || k == report.objects.size())
        return false;
    Ledger half = there.ledger;
    if (!fromReport)
        half.mostDiedWithKilled = std::max(half.mostDiedWithKilled, report.objects[k].ledger.sent);
    HostHalves& h = halves[there.name];
    h.ledgers.push_back(half);
    h.fromReports = h.fromReports && fromReport;
    return true;
}

// This machine's half and the hosts' as one object's books; `here` is this machine's half.
Ledger joined(TransportKind transport, const Ledger& here, const HostHalves& there, bool final)
{
    std::vector<Ledger> halves { here };
    halves.insert(halves.end(), there.ledgers.begin(), there.ledgers.end());
    return joinHalves(traits(transport), halves, final);
}

// Moves a host's snapshot's timeline events (in its clock) into its part's lanes, and counts those that never came
// in each worker's eventsLost.
void takeTimelineEvents(std::vector<HostLane>& lanes, Snapshot& snap, const std::vector<std::uint64_t>& firstEvent)
{
    constexpr std::size_t MaxPending = 4 * MaxWireEvents; // per worker, when no merge takes them for a while
    lanes.resize(snap.workers.size());
    for (std::size_t i = 0; i < snap.workers.size(); ++i) {
        WorkerStatus& w = snap.workers[i];
        HostLane& lane = lanes[i];
        const std::uint64_t first = i < firstEvent.size() ? firstEvent[i] : lane.next;
        if (first > lane.next)
            lane.missed += first - lane.next;
        lane.next = std::max(lane.next, first + w.newEvents.size());
        lane.pending.insert(lane.pending.end(), w.newEvents.begin(), w.newEvents.end());
        for (; lane.pending.size() > MaxPending; ++lane.missed)
            lane.pending.pop_front();
        w.newEvents.clear();
        w.eventsLost += lane.missed;
    }
}

// A time of a host's clock in this machine's: less `offsetNs` (the host's minus this machine's), within
// [from, to] (a hostile host's times cannot overflow it).
std::uint64_t inThisClock(std::uint64_t hostNs, std::int64_t offsetNs, std::uint64_t from, std::uint64_t to)
{
    std::uint64_t ns = hostNs;
    if (offsetNs >= 0)
        ns = hostNs > std::uint64_t(offsetNs) ? hostNs - std::uint64_t(offsetNs) : 0;
    else
        ns = hostNs + std::min(std::uint64_t(-(offsetNs + 1)) + 1, ~std::uint64_t(0) - hostNs);
    return std::clamp(ns, from, std::max(from, to));
}

// A worker's events not merged yet, in this machine's clock: none before the run's start here (a host starts its
// part first) or its previous event, none after this sample.
std::vector<WorkerEvent> takePending(HostLane& lane, std::int64_t offsetNs, const Snapshot& snap)
{
    std::vector<WorkerEvent> out;
    out.reserve(lane.pending.size());
    for (const WorkerEvent& e : lane.pending) {
        lane.lastNs = inThisClock(e.ns, offsetNs, std::max(lane.lastNs, snap.startNs), snap.nowNs);
        out.push_back({ lane.lastNs, e.what });
    }
    lane.pending.clear();
    return out;
}

// This machine's waits and the hosts' (`theirs`: a host's name and its waits) as one table: a host's workers named
// "c1@lab2", and an object on a host "buffer@lab2" wherever it is waited on (an object between machines is waited on
// here too, by its producers).
template <typename Object>
Contention joinedContention(const Contention& here,
    const std::vector<std::pair<std::string, const Contention*>>& theirs, const std::vector<Object>& objects)
{
    std::map<std::string, std::string> hostOf;
    for (const Object& o : objects)
        if (!o.host.empty())
            hostOf[o.name] = o.host;
    const auto named = [&](Contention c, const std::string& host) {
        // And what a row waits for, where it begins with the object's name ("readings@lab2: nothing queued").
        const auto object = [&](std::string& name, std::string* what = nullptr) {
            const auto h = hostOf.find(name);
            if (h == hostOf.end())
                return;
            if (what && what->starts_with(name + ":"))
                what->insert(name.size(), "@" + h->second);
            name += "@" + h->second;
        };
        const auto worker = [&](std::string& name) {
            if (!host.empty())
                name += "@" + host;
        };
        for (ObjectContention& row : c.objects) {
            object(row.object, &row.what);
            std::for_each(row.waiters.begin(), row.waiters.end(), worker);
        }
        for (ObjectHolds& hold : c.holds) {
            object(hold.object);
            std::for_each(hold.holders.begin(), hold.holders.end(), worker);
        }
        for (WorkerContention& w : c.workers)
            worker(w.worker);
        return c;
    };
    Contention joined = named(here, {});
    for (const auto& [host, contention] : theirs)
        addContention(joined, named(*contention, host));
    return joined;
}

// The run's totals from its objects' books (this machine's and the hosts'), exact when every object's is.
template <typename Object, typename LedgerAt> Ledger totalOf(const std::vector<Object>& objects, LedgerAt ledgerAt)
{
    Ledger total;
    total.exact = !objects.empty();
    for (std::size_t i = 0; i < objects.size(); ++i) {
        addToTotal(total, ledgerAt(i), objects[i].transport);
        total.exact = total.exact && ledgerAt(i).exact;
    }
    return total;
}

// Whether a host's waits are its part's: its objects and its workers, each object's row for one wait once, each name
// listed once (so a host can neither write into this machine's rows nor make the join slow).
bool waitsOfPart(const Contention& c, const Scenario& part)
{
    const auto isObject = [&](const std::string& name) {
        return std::any_of(
            part.objects.begin(), part.objects.end(), [&](const ObjectSpec& o) { return o.name == name; });
    };
    const auto areWorkers = [&](std::vector<std::string> names) {
        std::sort(names.begin(), names.end());
        return std::adjacent_find(names.begin(), names.end()) == names.end()
            && std::all_of(names.begin(), names.end(), [&](const std::string& name) {
                   return std::any_of(
                       part.workers.begin(), part.workers.end(), [&](const WorkerSpec& w) { return w.name == name; });
               });
    };
    std::vector<std::tuple<std::string, WaitKind, bool>> rows;
    for (const ObjectContention& row : c.objects) {
        if (!isObject(row.object) || !areWorkers(row.waiters))
            return false;
        rows.emplace_back(row.object, row.kind, row.gaveUp);
    }
    std::vector<std::string> held, workers;
    for (const ObjectHolds& hold : c.holds) {
        if (!isObject(hold.object) || !areWorkers(hold.holders))
            return false;
        held.push_back(hold.object);
    }
    for (const WorkerContention& w : c.workers)
        workers.push_back(w.worker);
    std::sort(rows.begin(), rows.end());
    std::sort(held.begin(), held.end());
    return std::adjacent_find(rows.begin(), rows.end()) == rows.end()
        && std::adjacent_find(held.begin(), held.end()) == held.end() && areWorkers(workers);
}

// A host's worker's lane (what its events mean), when it is a producer's or consumer's of the part: its own
// object's lock or none, and waits and posts on the part's objects only; else null (its spans are then plain states).
std::shared_ptr<const LaneInfo> laneOfPart(
    const std::shared_ptr<const LaneInfo>& lane, const WorkerSpec& worker, const Scenario& part)
{
    if (!lane)
        return nullptr;
    const auto isObject = [&](const std::string& name) {
        return name.empty() || std::any_of(part.objects.begin(), part.objects.end(), [&](const ObjectSpec& o) {
            return o.name == name;
        });
    };
    bool ok = (lane->lock.empty() || lane->lock == worker.object + ".mutex")
        && std::all_of(lane->postsWithoutHolding.begin(), lane->postsWithoutHolding.end(), isObject);
    for (const auto& step : lane->waitObjects)
        ok = ok && std::all_of(step.begin(), step.end(), isObject);
    return ok ? lane : nullptr;
}

// Whether a host's snapshot or report lists the part's workers and objects by name, workers in the part's order, so
// its rows merge where Runner::scenario() has them. Its strings are made printable (the terminal and the window
// show them). Its waits must be its part's (waitsOfPart), and a worker's lane that is not (laneOfPart) is
// dropped.
bool matchesPart(Snapshot& s, const Scenario& part)
{
    if (s.workers.size() != part.workers.size() || s.objects.size() != part.objects.size()
        || s.objectLedgers.size() != s.objects.size())
        return false;
    for (std::size_t i = 0; i < s.workers.size(); ++i) {
        WorkerStatus& w = s.workers[i];
        if (w.name != part.workers[i].name || w.object != part.workers[i].object || w.role != part.workers[i].role)
            return false;
        w.waitingOn = printableText(w.waitingOn);
        w.exitText = printableText(w.exitText);
        w.errorText = printableText(w.errorText);
        w.lane = laneOfPart(w.lane, part.workers[i], part);
    }
    for (std::size_t i = 0; i < s.objects.size(); ++i) {
        if (s.objects[i].name != part.objects[i].name || s.objects[i].transport != part.objects[i].transport)
            return false;
        s.objects[i].osName = printableText(s.objects[i].osName);
    }
    return !s.contention || waitsOfPart(*s.contention, part);
}

bool matchesPart(Report& r, const Scenario& part)
{
    if (r.workers.size() != part.workers.size() || r.objects.size() != part.objects.size())
        return false;
    for (std::size_t i = 0; i < r.workers.size(); ++i) {
        WorkerSummary& w = r.workers[i];
        if (w.name != part.workers[i].name || w.object != part.workers[i].object)
            return false;
        w.exitText = printableText(w.exitText);
        w.errorText = printableText(w.errorText);
    }
    for (std::size_t i = 0; i < r.objects.size(); ++i) {
        if (r.objects[i].name != part.objects[i].name || r.objects[i].transport != part.objects[i].transport)
            return false;
        r.objects[i].osName = printableText(r.objects[i].osName);
        for (std::string& text : r.objects[i].semaphoreText)
            text = printableText(text);
    }
    for (RunEvent& e : r.events)
        e.text = printableText(e.text);
    for (std::string& line : r.deadWorkers)
        line = printableText(line);
    for (std::string& line : r.cleanup)
        line = printableText(line);
    return waitsOfPart(r.contention, part);
}

// The kind of problem a host's "error" names (errorCodeName), InvalidArgument when it names none it knows.
ErrorCode codeNamed(const json& message)
{
    constexpr ErrorCode Known[] = { ErrorCode::NotFound, ErrorCode::AlreadyExists, ErrorCode::PermissionDenied,
        ErrorCode::WouldBlock, ErrorCode::TimedOut, ErrorCode::LimitReached, ErrorCode::InvalidArgument,
        ErrorCode::MessageTooLarge, ErrorCode::NotSupported, ErrorCode::PeerGone, ErrorCode::Interrupted,
        ErrorCode::Corrupt, ErrorCode::Unexpected };
    if (message.contains("code") && message["code"].is_string())
        for (const ErrorCode c : Known)
            if (message["code"] == errorCodeName(c))
                return c;
    return ErrorCode::InvalidArgument;
}

} // namespace

void RemoteHosts::poll(Part& p)
{
    for (const std::string& text : p.link->takeMessages()) {
        const json message = json::parse(text, nullptr, false);
        if (!message.is_object() || !message.contains("run") || message["run"] != p.runId || !message.contains("type")
            || !message["type"].is_string())
            continue; // another run's (an earlier one on the same host), or not a run's message
        const std::string type = message["type"].get<std::string>();
        if (type == "started") {
            p.started = true;
            const std::string prefix = message.contains("prefix") && message["prefix"].is_string()
                ? printableText(message["prefix"].get<std::string>())
                : std::string("?");
            p.notices.push_back({ RunEvent::Kind::Info,
                p.where() + " runs " + std::to_string(p.scenario.workers.size()) + " worker"
                    + (p.scenario.workers.size() == 1 ? "" : "s") + " of this run; its objects there are named "
                    + prefix + "*" });
        } else if (type == "error") {
            // What a host says goes to this terminal and window: printable only.
            const std::string why = printableText(message.contains("message") && message["message"].is_string()
                    ? message["message"].get<std::string>()
                    : std::string("no reason given"));
            const bool gone = message.contains("gone") && message["gone"] == true;
            if (!p.started && gone)
                p.askAgain = true; // a hello overtook the request, or the request was lost with a connection
            else if (!p.started)
                p.refused = makeError(codeNamed(message), "start on host", p.where(), p.host.name + " says: " + why);
            else if (!p.ended()) {
                p.gone = why;
                p.link->setRun({});
                p.notices.push_back({ RunEvent::Kind::Error, p.where() + ": " + why });
            }
        } else if (type == "leaving" && p.started && !p.ended() && !p.leaving && !p.stopAsked) {
            p.leaving = printableText(message.contains("why") && message["why"].is_string()
                    ? message["why"].get<std::string>()
                    : std::string("no reason given"));
            p.notices.push_back({ RunEvent::Kind::Warning,
                p.where() + " is leaving: " + *p.leaving + ". "
                    + (p.served.empty()
                            ? std::string("Its part stops now")
                            : "Its consumers first take what the producers here sent them (those producers wait "
                              "meanwhile), then its part stops")
                    + "; its report comes back, and the rest of the run goes on" });
        } else if (type == "snapshot" && message.contains("snapshot") && !p.ended()) {
            if (message.contains("held") && message["held"] == true && p.goSentNs
                && monotonicNs() - p.goSentNs >= Part::GoAgainNs)
                p.go();
            std::vector<std::uint64_t> firstEvent;
            auto snap = snapshotFromJson(message["snapshot"], &firstEvent);
            if (!snap || !matchesPart(*snap, p.scenario))
                continue; // not this part's workers and objects, in its order: never shown against other rows
            // The offset is fixed at the first snapshot after a heartbeat has been answered; the events are kept in
            // the host's clock until they are merged (with no offset if none is known by then).
            const LinkStatus st = p.link->status();
            if (!p.clockOffsetNs && st.answers > 0) {
                const bool shift = st.offsetNs > st.errorNs || st.offsetNs < -st.errorNs;
                p.clockOffsetNs = shift ? st.offsetNs : 0;
                p.notices.push_back({ RunEvent::Kind::Info,
                    p.where() + ": its clock is " + readableOffset(st.offsetNs, st.errorNs)
                        + " from this machine's; its workers' timeline events are "
                        + (shift ? "shifted by that into this machine's clock"
                                 : "shown as they are (the difference is within the estimate's error)") });
            }
            takeTimelineEvents(p.lanes, *snap, firstEvent);
            for (RunEvent& e : snap->events) {
                RunEvent event { e.t, e.kind, p.host.name + ": " + printableText(e.text) };
                p.events.push_back(event);
                p.liveEvents.push_back(std::move(event));
            }
            snap->events.clear();
            for (const ObjectStatus& o : snap->objects) {
                // Handed on as each consumer binds (each snapshot says all it knows).
                if (o.listensOn.empty() || !contains(p.served, o.name) || p.reached[o.name] == o.listensOn)
                    continue;
                // Its own address may be a wildcard; this controller reaches it at the address it was given. What is
                // not an endpoint goes on as it came, for publishReach to refuse and say so.
                ChannelObject::Reach reach { {}, o.publicKey };
                for (const std::string& endpoint : o.listensOn) {
                    const auto port = endpoint.rfind(':');
                    reach.endpoints.push_back(endpoint.empty() || port == std::string::npos
                            ? endpoint
                            : "tcp://" + p.address + endpoint.substr(port));
                }
                // At their places among all the object's consumers, its other hosts' left empty. A host that sends
                // another number than it runs is not believed (it would take other hosts' places).
                p.reached[o.name] = o.listensOn;
                const Part::Slots& slots = p.slots[o.name];
                if (reach.endpoints.size() != slots.here || slots.first + slots.here > slots.all) {
                    p.notices.push_back({ RunEvent::Kind::Error,
                        p.where() + " sent " + std::to_string(reach.endpoints.size()) + " endpoints for its "
                            + std::to_string(slots.here) + " consumer" + (slots.here == 1 ? "" : "s") + " of '" + o.name
                            + "', which is not what it was asked to run: its producers here do not connect to them" });
                    continue;
                }
                std::vector<std::string> all(slots.all), names(slots.all);
                std::move(reach.endpoints.begin(), reach.endpoints.end(), all.begin() + slots.first);
                std::copy(slots.names.begin(), slots.names.end(), names.begin() + slots.first);
                reach.endpoints = std::move(all);
                m_reaches.push_back({ o.name, p.host.name, std::move(names), std::move(reach) });
            }
            p.last = std::move(*snap);
            p.fresh = true;
            m_contentionStale = true;
        } else if (type == "report" && message.contains("report") && !p.report) {
            auto report = reportFromWire(message["report"]);
            if (report && matchesPart(*report, p.scenario)) {
                p.report = std::move(report);
                m_contentionStale = true;
                p.link->setRun({}); // nothing more to ask about
                if (p.leaving) {
                    // Handed back as at a stop (stopPart), or stopped by the host itself when no stop came.
                    for (WorkerSummary& w : p.report->workers)
                        w.exitText = "stopped early as host " + p.host.name + " left: " + w.exitText;
                    p.notices.push_back({ RunEvent::Kind::Info,
                        p.where() + " has left; its report is in (its workers and books as it stopped them)" });
                } else if (!p.stopAsked) {
                    // Its workers ended early, though their books may well be whole: said in every row.
                    for (WorkerSummary& w : p.report->workers)
                        w.exitText = "stopped early by host " + p.host.name
                            + " (it could not hear this controller): " + w.exitText;
                    p.notices.push_back({ RunEvent::Kind::Warning,
                        p.where()
                            + " had stopped its part by itself while it could not hear this controller; its report "
                              "is in (its workers and books as it stopped them)" });
                }
            }
        }
    }
}

Result<std::unique_ptr<RemoteHosts>> RemoteHosts::start(const Scenario& scenario, const std::string& runId)
{
    std::unique_ptr<RemoteHosts> hosts(new RemoteHosts);
    std::map<std::string, std::uint32_t> placed; // each object's consumers on the hosts so far
    for (const std::string& name : hostsInUse(scenario)) {
        auto part = std::make_unique<Part>();
        for (const HostSpec& h : scenario.hosts)
            if (h.name == name)
                part->host = h;
        part->scenario = scenarioPart(scenario, name);
        part->runId = runId;
        json serve = json::array();
        for (const std::string& object : objectsBetweenMachines(scenario)) {
            if (std::none_of(part->scenario.objects.begin(), part->scenario.objects.end(),
                    [&](const ObjectSpec& o) { return o.name == object; }))
                continue;
            part->served.push_back(object);
            Part::Slots& slots = part->slots[object];
            const auto consumerOf = [&](const WorkerSpec& w) { return w.object == object && w.role == Role::Consumer; };
            slots.first = placed[object];
            for (const WorkerSpec& w : part->scenario.workers)
                if (consumerOf(w))
                    slots.names.push_back(w.name);
            slots.here = std::uint32_t(slots.names.size());
            slots.all = std::uint32_t(std::count_if(scenario.workers.begin(), scenario.workers.end(), consumerOf));
            placed[object] += slots.here;
            std::string& label = hosts->m_hostsOf[object];
            label += (label.empty() ? "" : "+") + name;
            const auto producers = std::count_if(scenario.workers.begin(), scenario.workers.end(),
                [&](const WorkerSpec& w) { return w.object == object && w.role == Role::Producer; });
            serve.push_back({ { "name", object }, { "producers", producers } });
        }
        if (auto where = parseTcpEndpoint(part->host.endpoint, false, "endpoint"))
            part->address = where->address;
        PingOptions options;
        options.endpoint = part->host.endpoint;
        options.keyFile = scenario.controllerKey;
        options.hostKeyFile = part->host.keyFile;
        auto link = HostLink::open(options);
        if (!link) {
            Error e = link.error();
            e.hint = (e.object == scenario.controllerKey      ? std::string("controller_key: ")
                             : e.object == part->host.keyFile ? "the key of host '" + name + "': "
                                                              : "host '" + name + "': ")
                + e.hint;
            return e;
        }
        part->link = std::move(*link);
        part->request = json {
            { "type", "run" }, { "run", runId }, { "scenario", json::parse(scenarioToJson(part->scenario)) },
            { "serve", serve }, { "held", true }
        }.dump();
        part->link->send(part->request);
        // After the run is queued: the link sends what is queued before each hello, so no hello names the run
        // before the host has it (it would answer "no such run").
        part->link->setRun(runId);
        hosts->m_parts.push_back(std::move(part));
    }
    // Every host starts its part at the same time, its workers held (until go()); each must have said "started"
    // within StartWait. On a refusal the destructor asks every host to stop, those still starting too: a part that
    // started has moved nothing.
    const std::uint64_t deadline = monotonicNs() + std::uint64_t(StartWait.count());
    for (;;) {
        bool all = true;
        for (auto& p : hosts->m_parts) {
            hosts->poll(*p);
            if (p->refused)
                return *p->refused;
            if (p->askAgain) {
                p->askAgain = false;
                p->link->send(p->request);
            }
            const LinkStatus st = p->link->status();
            if (st.refusal) {
                Error e = *st.refusal;
                e.hint = "host '" + p->host.name + "': " + e.hint;
                return e;
            }
            if (st.answers > 0 && st.hello.version != versionString())
                return makeError(ErrorCode::InvalidArgument, "start on host", p->where(),
                    "That host runs IPC Lab " + printableText(st.hello.version) + " and this is " + versionString()
                        + "; run the same version on both sides");
            // Producers here of an object between machines stamp in a host's clock (stampClock), from the offsets
            // the links know from their first answers.
            all = all && p->started && (p->served.empty() || st.answers > 0);
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
                "Nothing answered within 5 s: check that 'ipclab-cli host --listen' runs there on that address and "
                "port, and any firewall between ('ipclab-cli host --ping' tells more)");
        return makeError(ErrorCode::TimedOut, "start on host", p->where(),
            "It answers, but did not start its workers within 5 s; see the host's own output");
    }
    return hosts;
}

void RemoteHosts::go()
{
    for (auto& p : m_parts)
        p->go();
}

RemoteHosts::~RemoteHosts()
{
    requestStop();
    // The link threads send the stops within a few milliseconds; a moment for that before the links close (a stop
    // that never arrives still ends the run there: the host stops a run whose controller went silent).
    const bool waiting = std::any_of(m_parts.begin(), m_parts.end(), [](const auto& p) { return !p->ended(); });
    if (waiting)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
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
    Halves halves;
    // An object between machines: this machine's sent as of its hosts' latest snapshots (Part::sentWhenSeen).
    std::map<std::string, std::uint64_t> sentUpTo;
    for (auto& p : m_parts) {
        poll(*p);
        const LinkStatus st = p->link->status();
        const bool lost = Part::lostState(st);
        if (lost != p->lost && (!lost || !p->ended())) {
            RunEvent told { snap.t, lost ? RunEvent::Kind::Error : RunEvent::Kind::Info,
                lost ? p->where() + " stopped answering (" + secondsText(double(st.silenceNs) / 1e9)
                        + " s): its workers are shown lost, as last seen; the rest of the run goes on. Check that "
                          "'ipclab-cli host' still runs there and the network is up (a link that was only cut and "
                          "comes back before this run ends brings that part's books back; if the host died, what it "
                          "left there is removed by 'ipclab-cli cleanup' there or the next run that starts there)"
                     : p->where() + " answers again" };
            m_told.push_back(told);
            snap.events.push_back(std::move(told));
        }
        p->lost = lost;
        for (auto& [kind, text] : p->notices) {
            m_told.push_back({ snap.t, kind, text });
            snap.events.push_back(m_told.back());
        }
        p->notices.clear();
        for (RunEvent& e : p->events)
            snap.events.push_back(std::move(e));
        p->events.clear();
        if (p->report) {
            // The host ended this part by itself (its controller was silent for long): as its report says.
            for (std::size_t i = 0; i < p->report->workers.size(); ++i) {
                const WorkerSummary& w = p->report->workers[i];
                WorkerStatus status;
                if (i < p->lanes.size())
                    status.newEvents = takePending(p->lanes[i], p->clockOffsetNs.value_or(0), snap);
                if (p->last && i < p->last->workers.size()) {
                    status.eventsLost = p->last->workers[i].eventsLost;
                    status.messageSize = p->last->workers[i].messageSize;
                }
                status.transport = p->transportOf(w.object);
                status.name = w.name;
                status.role = w.role;
                status.object = w.object;
                status.host = p->host.name;
                status.pid = w.pid;
                status.messages = w.messages;
                status.bytes = w.bytes;
                status.state = w.state;
                status.blockedFraction = w.blockedFraction;
                status.cpuPercent = w.cpuPercent;
                status.meanLatencyUs = latencyHere(w.object, p->host.name, w.meanLatencyUs);
                status.alive = false;
                status.leftWithHost = p->leaving.has_value();
                status.exitText = w.exitText;
                status.exitcode = w.exitcode;
                snap.workers.push_back(std::move(status));
            }
            for (const ObjectSummary& o : p->report->objects) {
                ObjectStatus status;
                status.name = o.name;
                status.osName = o.osName;
                status.transport = o.transport;
                status.host = p->host.name;
                status.capacity = o.capacity;
                const Part::Slots slots = p->slots[o.name];
                if (takeHalf(halves, snap, status, o.ledger, slots, false))
                    continue;
                snap.objects.push_back(std::move(status));
                snap.objectLedgers.push_back(o.ledger);
            }
            continue;
        }
        if (!p->last) {
            // Not heard from yet: its objects between machines already on it (their half here is listed), its own
            // objects as the scenario gives them, nothing counted (listed from the first sample, so the window's
            // rows and chart series keep their places), its workers likewise, starting.
            for (const ObjectSpec& o : p->scenario.objects) {
                const std::size_t k = halfHere(
                    snap.objects, o.name, [&](std::size_t j) -> const Ledger& { return snap.objectLedgers[j]; });
                if (k < snap.objects.size())
                    continue; // named on its hosts below
                ObjectStatus status;
                status.name = o.name;
                status.transport = o.transport;
                status.host = p->host.name;
                status.capacity = o.capacity;
                snap.objects.push_back(std::move(status));
                snap.objectLedgers.emplace_back();
            }
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
        for (std::size_t i = 0; i < p->last->workers.size(); ++i) {
            WorkerStatus w = p->last->workers[i];
            w.host = p->host.name;
            w.meanLatencyUs = latencyHere(w.object, w.host, w.meanLatencyUs);
            if (i < p->lanes.size()) {
                w.newEvents = takePending(p->lanes[i], p->clockOffsetNs.value_or(0), snap);
                if (w.exitNs)
                    w.exitNs = inThisClock(
                        w.exitNs, p->clockOffsetNs.value_or(0), std::max(p->lanes[i].lastNs, snap.startNs), snap.nowNs);
                // A pause by the Pause control, which the timeline draws from these (the host's clock, too).
                if (w.pausedSinceNs)
                    w.pausedSinceNs
                        = inThisClock(w.pausedSinceNs, p->clockOffsetNs.value_or(0), snap.startNs, snap.nowNs);
                if (w.resumedNs)
                    w.resumedNs = inThisClock(w.resumedNs, p->clockOffsetNs.value_or(0), snap.startNs, snap.nowNs);
            }
            w.transport = p->transportOf(w.object);
            if ((lost || p->gone) && w.alive) {
                w.alive = false;
                w.lostWithHost = true;
                w.state = WorkerState::Dead;
                w.msgsPerS = w.mbPerS = 0;
                // When it was last heard from, in the run's seconds: a time that stays put (not a silence that
                // grows with every sample).
                w.exitText = p->gone ? "gone with host " + p->host.name + ": " + *p->gone
                                     : "lost with host " + p->host.name + " (no answer since "
                        + secondsText(std::max(0.0, snap.t - double(st.silenceNs) / 1e9)) + " s into the run)";
            }
            snap.workers.push_back(std::move(w));
        }
        for (std::size_t i = 0; i < p->last->objects.size(); ++i) {
            ObjectStatus o = p->last->objects[i];
            o.host = p->host.name;
            // Its subscriber furthest behind, as the host named it: one of the host's own consumers of it, while the
            // host answers (a lost host's workers are shown lost, and nothing more reaches them).
            const bool ownSubscriber
                = std::any_of(p->scenario.workers.begin(), p->scenario.workers.end(), [&](const WorkerSpec& w) {
                      return w.role == Role::Consumer && w.object == o.name && w.name == o.furthestBehind;
                  });
            if (!ownSubscriber || o.furthestBehindBy <= 0 || lost || p->gone) {
                o.furthestBehind.clear();
                o.furthestBehindBy = 0;
            }
            const Ledger& l = p->last->objectLedgers[i];
            // The host's counts are as of its latest snapshot (they come 20 times a second, this machine's at the
            // sampling rate): this machine's sent is read as of the first merge after that snapshot came, or the
            // depth would swing by what is sent between two of them (with several hosts, as of the latest such
            // merge; applied below, once all are in). Not once the host is lost or gone: its counts stay.
            const std::size_t k
                = halfHere(snap.objects, o.name, [&](std::size_t j) -> const Ledger& { return snap.objectLedgers[j]; });
            if (l.half && k < snap.objects.size() && !lost && !p->gone) {
                std::optional<std::uint64_t>& seen = p->sentWhenSeen[o.name];
                if (p->fresh || !seen)
                    seen = snap.objectLedgers[k].sent;
                sentUpTo[o.name] = std::max(sentUpTo[o.name], *seen);
            }
            const Part::Slots slots = p->slots[o.name];
            if (takeHalf(halves, snap, o, l, slots, !lost && !p->gone))
                continue;
            snap.objects.push_back(std::move(o));
            snap.objectLedgers.push_back(l);
        }
        if (!lost && !p->gone)
            snap.totalMsgsPerS += p->last->totalMsgsPerS;
        p->fresh = false;
    }
    // Each object between machines: one row, "on" the hosts its consumers run on (from the first sample, so its row
    // and chart series keep their name), with this machine's half of the books and the hosts' joined.
    for (const auto& [name, hosts] : m_hostsOf) {
        const std::size_t k
            = halfHere(snap.objects, name, [&](std::size_t j) -> const Ledger& { return snap.objectLedgers[j]; });
        if (k == snap.objects.size())
            continue;
        ObjectStatus& here = snap.objects[k];
        here.host = hosts;
        const auto there = halves.find(name);
        if (there == halves.end())
            continue; // no host has told its half yet
        if (const auto upTo = sentUpTo.find(name); upTo != sentUpTo.end())
            snap.objectLedgers[k].sent = std::min(snap.objectLedgers[k].sent, upTo->second);
        snap.objectLedgers[k] = joined(here.transport, snap.objectLedgers[k], there->second, false);
        here.listensOn = there->second.listensOn;
        const Ledger& books = snap.objectLedgers[k];
        here.depth = books.sent > books.received ? std::int64_t(books.sent - books.received) : 0;
        // Its depth as joined (this machine sampled none), for the report's min, mean and max: while its hosts
        // answer (after, a lost one's received stays as last seen while sent goes on).
        if (there->second.answering)
            m_depths[name].add(here.depth);
    }
    snap.ledger = totalOf(snap.objects, [&](std::size_t j) -> const Ledger& { return snap.objectLedgers[j]; });
    // The Waits tables, joined again only when this machine's or a host's waits changed (the window redraws them
    // when the pointer changes).
    if (m_contentionStale || snap.contention != m_contentionHere) {
        m_contentionHere = snap.contention;
        m_contention = std::make_shared<const Contention>(
            joinedContention(snap.contention ? *snap.contention : Contention {}, hostsContention(), snap.objects));
        m_contentionStale = false;
    }
    snap.contention = m_contention;
}

std::vector<std::pair<std::string, const Contention*>> RemoteHosts::hostsContention() const
{
    std::vector<std::pair<std::string, const Contention*>> theirs;
    for (const auto& p : m_parts) {
        if (p->report)
            theirs.emplace_back(p->host.name, &p->report->contention);
        else if (p->last && p->last->contention)
            theirs.emplace_back(p->host.name, p->last->contention.get());
    }
    return theirs;
}

bool RemoteHosts::servedByLostHost(const std::string& object) const
{
    bool any = false;
    for (const auto& p : m_parts) {
        if (!contains(p->served, object))
            continue;
        if (!p->isLost() && !p->gone && !(p->leaving && p->report))
            return false;
        any = true;
    }
    return any;
}

std::optional<RemoteHosts::ClockOffset> RemoteHosts::clockOffsetOf(const std::string& object)
{
    ClockOffset clock;
    for (const auto& p : m_parts) {
        if (!contains(p->served, object))
            continue;
        const LinkStatus st = p->link->status();
        if (st.answers == 0)
            return std::nullopt;
        clock.hosts.push_back({ p->host.name, st.offsetNs, st.errorNs });
    }
    if (clock.hosts.empty())
        return std::nullopt;
    clock.stamp = stampClock(clock.hosts);
    for (std::size_t i = 0; i < clock.hosts.size(); ++i)
        m_latencyShiftNs[{ object, clock.hosts[i].host }] = clock.stamp.latencyShiftNs[i];
    return clock;
}

double RemoteHosts::latencyHere(const std::string& object, const std::string& host, double us) const
{
    const auto shift = m_latencyShiftNs.find({ object, host });
    return shift == m_latencyShiftNs.end() ? us : std::max(0.0, us - double(shift->second) / 1e3);
}

std::vector<RemoteHosts::HostReach> RemoteHosts::takeReaches()
{
    return std::exchange(m_reaches, {});
}

std::optional<RemoteHosts::Consumers> RemoteHosts::consumersOf(const std::string& object)
{
    Consumers consumers;
    for (auto& p : m_parts) {
        poll(*p);
        if (!contains(p->served, object))
            continue;
        // A host that has ended its part, or no longer answers: what its consumers received as it last said, none
        // of them alive.
        if (p->report) {
            for (const WorkerSummary& w : p->report->workers)
                consumers.received += w.object == object && w.role == Role::Consumer ? w.messages : 0;
            continue;
        }
        if (!p->last)
            continue;
        const bool answering = !p->ended() && !p->isLost();
        for (const WorkerStatus& w : p->last->workers) {
            if (w.object == object && w.role == Role::Consumer) {
                consumers.received += w.messages;
                if (w.alive && answering) {
                    consumers.alive.push_back(placedName(w.name, p->host.name));
                    consumers.allWaiting = consumers.allWaiting && w.state == WorkerState::BlockedEmpty;
                }
            }
        }
    }
    return consumers.alive.empty() ? std::nullopt : std::optional(consumers);
}

bool RemoteHosts::allWorkersExited()
{
    for (auto& p : m_parts) {
        poll(*p);
        // A host silent for as long as it takes to stop a silent controller's run has stopped it by now.
        if (p->ended() || p->link->status().silenceNs > std::uint64_t(HostServer::RunOrphanedAfter.count()))
            continue;
        if (!p->last)
            return false;
        for (const WorkerStatus& w : p->last->workers)
            if (w.alive)
                return false;
    }
    return true;
}

Status RemoteHosts::control(const std::string& host, const ControlRequest& control)
{
    const std::string what = std::string(workerControlName(control.action)) + " worker";
    for (auto& p : m_parts) {
        if (p->host.name != host)
            continue;
        if (p->ended() || p->stopAsked)
            return makeError(ErrorCode::PeerGone, what, control.worker,
                p->where() + " has ended its part of the run, or is ending it: its workers take no more controls");
        if (p->isLost())
            return makeError(ErrorCode::PeerGone, what, control.worker,
                p->where() + " does not answer now, so its workers cannot be reached; the run goes on without them");
        // Refused here when its host has already shown it ended, as a worker here is (one that ends meanwhile: the
        // host refuses, and says so in its next snapshot).
        if (p->last) {
            const auto& ws = p->last->workers;
            const auto w = std::find_if(
                ws.begin(), ws.end(), [&](const WorkerStatus& status) { return status.name == control.worker; });
            if (w != ws.end() && !w->alive)
                return makeError(ErrorCode::NotFound, what, control.worker, "This worker is no longer running");
        }
        p->link->send(controlToJson(p->runId, control).dump());
        return {};
    }
    return makeError(ErrorCode::NotFound, what, control.worker, "No host '" + host + "' runs a part of this run");
}

void RemoteHosts::resumePausedConsumersOf(const std::string& object)
{
    for (auto& p : m_parts) {
        if (!contains(p->served, object) || p->ended() || p->isLost() || !p->last)
            continue;
        for (const WorkerStatus& w : p->last->workers)
            if (w.object == object && w.role == Role::Consumer && w.alive && w.state == WorkerState::Paused)
                p->link->send(controlToJson(p->runId, { w.name, WorkerControl::Resume }).dump());
    }
}

void RemoteHosts::requestStop(bool serving)
{
    for (auto& p : m_parts) {
        if (p->stopAsked || p->ended() || (!serving && !p->served.empty()))
            continue;
        p->askStop();
    }
}

std::vector<RemoteHosts::Leaving> RemoteHosts::leavingHosts()
{
    std::vector<Leaving> leaving;
    for (auto& p : m_parts) {
        poll(*p);
        if (p->leaving && !p->stopAsked && !p->ended())
            leaving.push_back({ p->host.name, p->served });
    }
    return leaving;
}

void RemoteHosts::stopPart(const std::string& host)
{
    for (auto& p : m_parts) {
        if (p->host.name != host || p->stopAsked || p->ended())
            continue;
        p->askStop();
    }
}

bool RemoteHosts::partOver(const std::string& host)
{
    for (auto& p : m_parts) {
        if (p->host.name != host)
            continue;
        poll(*p);
        return p->ended() || p->isLost();
    }
    return true;
}

void RemoteHosts::finish(Report& report)
{
    requestStop();
    // What this controller said about its hosts, both in the run's events and among those the stop raised (the
    // window shows the latter at the end).
    report.events.insert(report.events.end(), m_told.begin(), m_told.end());
    const std::uint64_t deadline = monotonicNs() + std::uint64_t(StopWait.count());
    bool unknown = false;
    Halves halves;
    for (auto& p : m_parts) {
        while (!p->ended() && !p->isLost() && monotonicNs() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            poll(*p);
        }
        p->events.clear();
        for (auto& [kind, text] : p->notices)
            report.events.push_back({ report.durationS, kind, text });
        p->notices.clear();
        if (p->report) {
            for (WorkerSummary w : p->report->workers) {
                w.host = p->host.name;
                w.meanLatencyUs = latencyHere(w.object, w.host, w.meanLatencyUs);
                report.workers.push_back(std::move(w));
            }
            for (ObjectSummary o : p->report->objects) {
                o.host = p->host.name;
                if (!takeHalf(halves, report, o, true))
                    report.objects.push_back(std::move(o));
            }
            // The report holds every event of the host's run (its snapshots brought only some, if some were lost).
            for (const RunEvent& e : p->report->events)
                report.events.push_back({ e.t, e.kind, p->host.name + ": " + e.text });
            for (const std::string& line : p->report->deadWorkers)
                report.deadWorkers.push_back(p->host.name + ": " + line);
            for (const std::string& line : p->report->cleanup)
                report.cleanup.push_back(p->host.name + ": " + line);
            continue;
        }
        // No report: what the host showed last, and nothing claimed exact.
        report.events.insert(report.events.end(), p->liveEvents.begin(), p->liveEvents.end());
        const LinkStatus st = p->link->status();
        const std::string why = p->gone ? p->where() + " no longer runs its part (" + *p->gone + ")"
            : p->isLost()
            ? p->where() + " was lost (no answer for " + secondsText(double(st.silenceNs) / 1e9) + " s)"
            : p->where() + " sent no report within " + std::to_string(StopWait.count() / 1'000'000'000) + " s";
        const RunEvent told { report.durationS, RunEvent::Kind::Error,
            why + ": its workers and objects are as last seen"
                + (p->last ? " at t=" + secondsText(p->last->t) + " s" : std::string(" (never)"))
                + "; what they held then is unknown, so its books are not exact" };
        report.events.push_back(told);
        report.stopEvents.push_back(told);
        unknown = true;
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
            // Its share of an object between machines that other hosts' consumers share too: nothing counted,
            // all that was sent here may have died there.
            for (const ObjectSpec& o : p->scenario.objects) {
                ObjectSummary s;
                s.name = o.name;
                s.transport = o.transport;
                s.ledger.half = contains(p->served, o.name);
                (void)takeHalf(halves, report, s, false);
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
            // Over the time it was seen (the host's run time at its last snapshot).
            s.msgsPerS = p->last->t > 0 ? double(w.messages) / p->last->t : 0;
            s.mbPerS = p->last->t > 0 ? double(w.bytes) / 1e6 / p->last->t : 0;
            s.blockedFraction = w.blockedFraction;
            s.cpuPercent = w.cpuPercent;
            s.meanLatencyUs = latencyHere(w.object, p->host.name, w.meanLatencyUs);
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
            if (takeHalf(halves, report, s, false))
                continue;
            s.ledger.exact = false;
            report.objects.push_back(std::move(s));
        }
    }
    for (const auto& [name, there] : halves) {
        const std::size_t k
            = halfHere(report.objects, name, [&](std::size_t j) -> const Ledger& { return report.objects[j].ledger; });
        if (k == report.objects.size())
            continue;
        ObjectSummary& here = report.objects[k];
        here.ledger = joined(here.transport, here.ledger, there, true);
        here.ledger.exact = here.ledger.exact && there.fromReports;
        here.host = m_hostsOf[name];
    }
    report.contention = joinedContention(report.contention, hostsContention(), report.objects);
    for (ObjectSummary& o : report.objects) {
        if (const auto d = m_depths.find(o.name); d != m_depths.end() && d->second.samples > 0) {
            o.depthMin = d->second.min;
            o.depthMax = d->second.max;
            o.depthMean = d->second.sum / double(d->second.samples);
        }
    }
    // A host's part that sent no report leaves its books unknown.
    report.integrity
        = totalOf(report.objects, [&](std::size_t j) -> const Ledger& { return report.objects[j].ledger; });
    report.integrity.exact = report.integrity.exact && !unknown;
    std::stable_sort(
        report.events.begin(), report.events.end(), [](const RunEvent& a, const RunEvent& b) { return a.t < b.t; });
}

} // namespace ipccore::detail
