// A worker host's side of one run (host_run.h).

#include "host_run.h"

#include "host_messages.h"
#include "host_wire.h"
#include "ipccore/clock.h"
#include "ipccore/runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace ipccore::detail {

namespace {
// Messages not taken yet beyond these are snapshots the controller will never read in time: the oldest go.
constexpr std::size_t MaxQueued = 256;
constexpr std::size_t MaxQueuedBytes = 64 << 20;
} // namespace

HostRun::HostRun(std::string id, Scenario part, RunOptions options)
    : m_id(std::move(id))
    , m_startedHeld(options.startHeld)
    , m_thread(
          [this, part = std::move(part), options = std::move(options)]() mutable { run(std::move(part), options); })
{ }

HostRun::~HostRun()
{
    requestStop();
    if (m_thread.joinable())
        m_thread.join();
}

void HostRun::requestStop(const std::string& why)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_stopReason.empty())
            m_stopReason = why;
        m_stop = true;
    }
    m_wake.notify_all();
}

bool HostRun::release()
{
    {
        std::lock_guard lock(m_mutex);
        m_release = true;
    }
    m_wake.notify_all();
    return m_startedHeld && !m_released.exchange(true);
}

void HostRun::control(ControlRequest request)
{
    std::lock_guard lock(m_mutex);
    if (m_controls.size() >= MaxControls)
        ++m_controlsDropped;
    else
        m_controls.push_back(std::move(request));
}

bool HostRun::controlNotUnderstood()
{
    std::lock_guard lock(m_mutex);
    return ++m_controlsNotUnderstood == 1;
}

std::vector<std::string> HostRun::takeMessages()
{
    std::lock_guard lock(m_mutex);
    std::vector<std::string> out(std::make_move_iterator(m_out.begin()), std::make_move_iterator(m_out.end()));
    m_out.clear();
    m_outBytes = 0;
    return out;
}

void HostRun::post(std::string message)
{
    std::lock_guard lock(m_mutex);
    m_outBytes += message.size();
    m_out.push_back(std::move(message));
    while (m_out.size() > MaxQueued || (m_out.size() > 1 && m_outBytes > MaxQueuedBytes)) {
        m_outBytes -= m_out.front().size();
        m_out.pop_front();
    }
}

std::vector<std::string> HostRun::applyControls(Runner& runner)
{
    // At most this many lines a sample say what was refused (a flood of controls must not swell the snapshots).
    constexpr std::size_t MaxRefusalLines = 16;
    std::vector<ControlRequest> controls;
    std::uint64_t dropped = 0;
    bool notUnderstood = false;
    {
        std::lock_guard lock(m_mutex);
        controls.swap(m_controls);
        std::swap(dropped, m_controlsDropped);
        notUnderstood = m_controlsNotUnderstood > 0 && !m_toldNotUnderstood;
        m_toldNotUnderstood = m_toldNotUnderstood || notUnderstood;
    }
    std::vector<std::string> refused;
    if (dropped > 0)
        refused.push_back(std::to_string(dropped) + " control" + (dropped == 1 ? "" : "s")
            + " of workers dropped: the controller sent more than " + std::to_string(MaxControls)
            + " before this host could apply them");
    if (notUnderstood)
        refused.push_back("a control of a worker that this host does not understand was ignored (is the controller's "
                          "IPC Lab newer than this host's?)");
    std::size_t more = 0;
    const std::vector<WorkerSpec>& workers = runner.scenario().workers;
    for (const ControlRequest& c : controls) {
        const auto w = std::find_if(
            workers.begin(), workers.end(), [&](const WorkerSpec& spec) { return spec.name == c.worker; });
        std::string why;
        if (w == workers.end())
            why = "this host runs no worker of that name in this run";
        else if (Status st = applyControl(runner, std::size_t(w - workers.begin()), c); !st)
            why = st.error().hint.empty() ? st.error().message() : st.error().hint;
        if (why.empty())
            continue;
        if (refused.size() >= MaxRefusalLines)
            ++more;
        else
            refused.push_back(
                std::string(workerControlName(c.action)) + " of worker '" + c.worker + "' refused: " + why);
    }
    if (more > 0)
        refused.push_back("and " + std::to_string(more) + " more control" + (more == 1 ? "" : "s") + " refused");
    return refused;
}

void HostRun::run(Scenario part, const RunOptions& options)
{
    using nlohmann::json;
    // The controller decides when the run ends; this host stops it when asked, or when the controller is gone.
    part.durationS = ScenarioLimits::MaxDurationS;
    auto runner = Runner::start(part, options);
    if (!runner) {
        // In full (what failed, on which object, the errno, the remedy), with the kind of problem.
        const Error& e = runner.error();
        m_startError = e.message();
        post(
            json { { "type", "error" }, { "run", m_id }, { "message", e.message() }, { "code", errorCodeName(e.code) } }
                .dump());
        m_finished = true;
        return;
    }
    m_started = true;
    post(json { { "type", "started" }, { "run", m_id }, { "prefix", (*runner)->prefix() } }.dump());
    const double hz = (*runner)->sampleHz();
    const std::uint64_t period = std::uint64_t(1e9 / hz);
    // Every sample is taken (the runner's books and waits need them), every `every`th is sent, with the events of
    // those in between, and each worker's timeline events since the last sent: the latest MaxWireEvents of them
    // (fewer when there are many workers).
    const int every = std::max(1, int(std::ceil(hz / StreamHz)));
    const std::size_t keep
        = std::min(MaxWireEvents, MaxWireEventsInAll / std::max<std::size_t>(1, part.workers.size()));
    std::vector<RunEvent> events;
    struct Taken {
        std::deque<WorkerEvent> events; // not sent yet
        std::uint64_t count = 0; // taken from its ring so far
    };
    std::vector<Taken> taken(part.workers.size());
    // The controls refused, for the report too (its events are the runner's own).
    constexpr std::size_t MaxRefusalsInReport = 256;
    std::vector<RunEvent> refusals;
    std::uint64_t next = monotonicNs();
    for (int n = 0; !m_stop.load(); ++n) {
        next += period;
        // A "go" or a stop is not kept waiting for the next sample (a period of up to a second): it wakes the wait.
        if (const std::uint64_t now = monotonicNs(); now < next) {
            std::unique_lock lock(m_mutex);
            m_wake.wait_for(
                lock, std::chrono::nanoseconds(next - now), [&] { return m_release.load() || m_stop.load(); });
        }
        if (m_release.exchange(false))
            (*runner)->release();
        const std::vector<std::string> refused = applyControls(**runner);
        Snapshot snap = (*runner)->sample();
        events.insert(events.end(), snap.events.begin(), snap.events.end());
        for (const std::string& why : refused) {
            events.push_back({ snap.t, RunEvent::Kind::Warning, why });
            if (refusals.size() < MaxRefusalsInReport)
                refusals.push_back(events.back());
        }
        for (std::size_t i = 0; i < snap.workers.size() && i < taken.size(); ++i) {
            Taken& t = taken[i];
            t.count += snap.workers[i].newEvents.size();
            t.events.insert(t.events.end(), snap.workers[i].newEvents.begin(), snap.workers[i].newEvents.end());
            while (t.events.size() > keep)
                t.events.pop_front();
        }
        if (n % every == 0) {
            std::vector<std::uint64_t> firstEvent;
            for (std::size_t i = 0; i < snap.workers.size() && i < taken.size(); ++i) {
                snap.workers[i].newEvents.assign(taken[i].events.begin(), taken[i].events.end());
                firstEvent.push_back(taken[i].count - taken[i].events.size());
                taken[i].events.clear();
            }
            const auto message = [&] {
                return json {
                    { "type", "snapshot" }, { "run", m_id }, { "snapshot", snapshotToJson(snap, events, firstEvent) },
                    { "held", (*runner)->held() }
                }.dump();
            };
            std::string text = message();
            if (text.size() > std::size_t(MaxLinkMessageBytes) / 2) {
                // Far beyond what the events should take: sent without them (the controller counts them lost), so
                // that the link never drops a snapshot for its size.
                for (std::size_t i = 0; i < snap.workers.size() && i < firstEvent.size(); ++i) {
                    firstEvent[i] += snap.workers[i].newEvents.size();
                    snap.workers[i].newEvents.clear();
                }
                text = message();
            }
            post(std::move(text));
            events.clear();
        }
        const std::uint64_t now = monotonicNs();
        if (next + period < now)
            next = now;
    }
    std::string reason;
    {
        std::lock_guard lock(m_mutex);
        reason = m_stopReason;
    }
    Report report = (*runner)->stop();
    m_received = report.integrity.received;
    report.events.insert(report.events.end(), refusals.begin(), refusals.end());
    std::stable_sort(
        report.events.begin(), report.events.end(), [](const RunEvent& a, const RunEvent& b) { return a.t < b.t; });
    if (!reason.empty())
        report.events.push_back({ report.durationS, RunEvent::Kind::Warning, reason });
    post(json { { "type", "report" }, { "run", m_id }, { "report", reportToWire(report) } }.dump());
    runner->reset();
    m_finished = true;
}

} // namespace ipccore::detail
