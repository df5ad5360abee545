// A worker host's side of one run (host_run.h).

#include "host_run.h"

#include "host_messages.h"
#include "ipccore/clock.h"
#include "ipccore/runner.h"

#include <cmath>

namespace ipccore::detail {

namespace {
// Messages not taken yet beyond this are snapshots the controller will never read in time: the oldest go.
constexpr std::size_t MaxQueued = 256;
} // namespace

HostRun::HostRun(std::string id, Scenario part, RunOptions options)
    : m_id(std::move(id))
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
    }
    m_stop = true;
}

std::vector<std::string> HostRun::takeMessages()
{
    std::lock_guard lock(m_mutex);
    std::vector<std::string> out(std::make_move_iterator(m_out.begin()), std::make_move_iterator(m_out.end()));
    m_out.clear();
    return out;
}

void HostRun::post(std::string message)
{
    std::lock_guard lock(m_mutex);
    m_out.push_back(std::move(message));
    while (m_out.size() > MaxQueued)
        m_out.pop_front();
}

void HostRun::run(Scenario part, const RunOptions& options)
{
    using nlohmann::json;
    // The controller decides when the run ends; this host stops it when asked, or when the controller is gone.
    part.durationS = ScenarioLimits::MaxDurationS;
    auto runner = Runner::start(part, options);
    if (!runner) {
        post(json { { "type", "error" }, { "run", m_id }, { "message", runner.error().message() } }.dump());
        m_finished = true;
        return;
    }
    post(json { { "type", "started" }, { "run", m_id }, { "prefix", (*runner)->prefix() } }.dump());
    const double hz = (*runner)->sampleHz();
    const std::uint64_t period = std::uint64_t(1e9 / hz);
    // Every sample is taken (the runner's books and waits need them), every `every`th is sent, with the events of
    // those in between.
    const int every = std::max(1, int(std::ceil(hz / StreamHz)));
    std::vector<RunEvent> events;
    std::uint64_t next = monotonicNs();
    for (int n = 0; !m_stop.load(); ++n) {
        next += period;
        sleepUntilNs(next);
        Snapshot snap = (*runner)->sample();
        events.insert(events.end(), snap.events.begin(), snap.events.end());
        if (n % every == 0) {
            post(json { { "type", "snapshot" }, { "run", m_id }, { "snapshot", snapshotToJson(snap, events) } }.dump());
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
    if (!reason.empty())
        report.events.push_back({ report.durationS, RunEvent::Kind::Warning, reason });
    post(json { { "type", "report" }, { "run", m_id }, { "report", reportToWire(report) } }.dump());
    runner->reset();
    m_finished = true;
}

} // namespace ipccore::detail
