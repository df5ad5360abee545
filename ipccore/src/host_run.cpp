// A worker host's side of one run (host_run.h).

#include "host_run.h"

#include "host_messages.h"
#include "host_wire.h"
#include "ipccore/clock.h"
#include "ipccore/runner.h"

#include <cmath>

namespace ipccore::detail {

namespace {
// Messages not taken yet beyond these are snapshots the controller will never read in time: the oldest go.
constexpr std::size_t MaxQueued = 256;
constexpr std::size_t MaxQueuedBytes = 64 << 20;
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
    std::uint64_t next = monotonicNs();
    for (int n = 0; !m_stop.load(); ++n) {
        next += period;
        sleepUntilNs(next);
        Snapshot snap = (*runner)->sample();
        events.insert(events.end(), snap.events.begin(), snap.events.end());
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
                    { "type", "snapshot" }, { "run", m_id }, { "snapshot", snapshotToJson(snap, events, firstEvent) }
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
    if (!reason.empty())
        report.events.push_back({ report.durationS, RunEvent::Kind::Warning, reason });
    post(json { { "type", "report" }, { "run", m_id }, { "report", reportToWire(report) } }.dump());
    runner->reset();
    m_finished = true;
}

} // namespace ipccore::detail
