#include "ipccore/trace.h"

#include "ipccore/timeline.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

namespace ipccore {

namespace {

constexpr int StateThread = 1;
constexpr int StepThread = 2;
constexpr int LockThread = 3; // a producer's or consumer's holds of its channel's lock (LaneInfo::lock)

// Written event by event rather than as one JSON tree: a trace may hold millions of spans.
class TraceWriter {
public:
    explicit TraceWriter(std::uint64_t startNs)
        : m_startNs(startNs)
    {
        m_out = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[";
    }
    std::string finish()
    {
        m_out += "\n]}\n";
        return std::move(m_out);
    }
    // Microseconds since the start, the format's unit; before the start counts as 0.
    std::string ts(std::uint64_t ns) const
    {
        const std::uint64_t rel = ns > m_startNs ? ns - m_startNs : 0;
        return micros(rel);
    }
    static std::string micros(std::uint64_t ns)
    {
        char text[32];
        std::snprintf(text, sizeof text, "%llu.%03llu", static_cast<unsigned long long>(ns / 1000),
            static_cast<unsigned long long>(ns % 1000));
        return text;
    }
    static std::string str(const std::string& s)
    {
        return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    void event(const std::string& body)
    {
        m_out += m_first ? "\n" : ",\n";
        m_first = false;
        m_out += "{" + body + "}";
    }
    void metadata(const char* what, pid_t pid, int tid, const std::string& args)
    {
        event("\"ph\":\"M\",\"name\":\"" + std::string(what) + "\",\"pid\":" + std::to_string(pid)
            + ",\"tid\":" + std::to_string(tid) + ",\"args\":{" + args + "}");
    }
    void span(pid_t pid, int tid, const char* category, const std::string& name, std::uint64_t from, std::uint64_t to,
        const std::string& args = {})
    {
        from = std::max(from, m_startNs);
        to = std::max(to, from);
        event("\"ph\":\"X\",\"cat\":\"" + std::string(category) + "\",\"name\":" + str(name)
            + ",\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(tid) + ",\"ts\":" + ts(from)
            + ",\"dur\":" + micros(to - from) + (args.empty() ? "" : ",\"args\":{" + args + "}"));
    }

private:
    std::uint64_t m_startNs;
    std::string m_out;
    bool m_first = true;
};

std::string stateSpanName(const TraceWorker& w, const WorkerEvent& e)
{
    const std::string& text = w.info->waitText(e.step(), e.state());
    return text.empty() ? std::string(workerStateName(e.state())) : text;
}

void writeWorker(TraceWriter& out, const TraceWorker& w)
{
    std::string label = w.host.empty() ? w.name + " (pid " + std::to_string(w.pid) + ")"
                                       : w.name + " (pid " + std::to_string(w.hostPid) + " on " + w.host + ")";
    out.metadata("process_name", w.pid, 0, "\"name\":" + TraceWriter::str(label));
    if (w.lost + w.trimmed > 0)
        out.metadata("process_labels", w.pid, 0,
            "\"labels\":"
                + TraceWriter::str(std::to_string(w.lost) + " events lost (ring full), " + std::to_string(w.trimmed)
                    + " oldest dropped"));
    out.metadata("thread_name", w.pid, StateThread, "\"name\":\"state\"");
    const std::vector<std::string>& steps = w.info->steps;
    if (!steps.empty())
        out.metadata("thread_name", w.pid, StepThread, "\"name\":\"steps\"");

    if (!w.info->lock.empty())
        out.metadata("thread_name", w.pid, LockThread, "\"name\":" + TraceWriter::str("holds " + w.info->lock));

    const WorkerEvent* state = nullptr; // the state span open now
    const WorkerEvent* step = nullptr; // the step span open now
    const WorkerEvent* hold = nullptr; // the lock hold open now
    auto closeState = [&](std::uint64_t at) {
        if (state && state->state() != WorkerState::Finished && state->state() != WorkerState::Dead)
            out.span(w.pid, StateThread, "state", stateSpanName(w, *state), state->ns, at);
        state = nullptr;
    };
    auto closeStep = [&](std::uint64_t at) {
        if (step && step->step() < steps.size())
            out.span(w.pid, StepThread, "step", steps[step->step()], step->ns, at,
                "\"step\":" + std::to_string(step->step()));
        step = nullptr;
    };
    for (const WorkerEvent& e : w.events) {
        if (e.kind() == WorkerSlot::EventLock) {
            if (e.step() != 0)
                hold = &e;
            else if (hold && !w.info->lock.empty())
                out.span(w.pid, LockThread, "lock", w.info->lock, hold->ns, e.ns);
            if (e.step() == 0)
                hold = nullptr;
            continue;
        }
        if (e.kind() == WorkerSlot::EventStep) {
            closeStep(e.ns);
            step = &e;
            continue;
        }
        closeState(e.ns);
        state = &e;
        // A pause, or the end, ends the step it was in.
        if (e.state() == WorkerState::Paused || e.state() == WorkerState::Finished || e.state() == WorkerState::Dead)
            closeStep(e.ns);
    }
    closeState(w.endNs);
    closeStep(w.endNs);
    if (hold && !w.info->lock.empty()) // killed holding it
        out.span(w.pid, LockThread, "lock", w.info->lock, hold->ns, w.endNs);
}

// A flow arrow from each post to the wait it ended, where the events tell (Timeline::wakerOf): from inside the
// waker's step span ("s") to inside the wait's span ("f", bound to the enclosing slice), a nanosecond in from their
// edges so that each lands in its own slice and not in a neighbour that touches it.
void writeFlows(TraceWriter& out, const TraceLog& log)
{
    Snapshot all;
    all.startNs = log.startNs;
    all.nowNs = log.endNs;
    for (const TraceWorker& w : log.workers) {
        WorkerStatus s;
        s.name = w.name;
        s.pid = w.pid;
        s.lane = w.info;
        s.newEvents.assign(w.events.begin(), w.events.end());
        all.workers.push_back(std::move(s));
    }
    Timeline timeline(~std::uint64_t(0), ~std::size_t(0));
    timeline.add(all);
    std::uint64_t id = 0;
    for (std::size_t i = 0; i < timeline.lanes().size(); ++i) {
        for (const TimelineSpan& wait : timeline.lanes()[i].spans) {
            if (!isBlocked(wait.state) || wait.toNs - wait.fromNs < 2)
                continue;
            const auto waker = timeline.wakerOf(i, wait);
            if (!waker)
                continue;
            const pid_t from = log.workers[waker->lane].pid, to = log.workers[i].pid;
            const std::string common = ",\"cat\":\"wake\",\"name\":\"released\",\"id\":" + std::to_string(++id);
            out.event("\"ph\":\"s\"" + common + ",\"pid\":" + std::to_string(from)
                + ",\"tid\":" + std::to_string(StepThread) + ",\"ts\":" + out.ts(waker->ns + 1));
            out.event("\"ph\":\"f\",\"bp\":\"e\"" + common + ",\"pid\":" + std::to_string(to)
                + ",\"tid\":" + std::to_string(StateThread) + ",\"ts\":" + out.ts(wait.toNs - 1));
        }
    }
}

const std::string& cellOf(
    const std::vector<std::array<std::string, WorkerStateCount>>& table, std::uint32_t step, WorkerState state)
{
    static const std::string none;
    if (!isBlocked(state) || step >= table.size())
        return none;
    return table[step][stateIndex(state)];
}

} // namespace

const std::string& LaneInfo::waitText(std::uint32_t step, WorkerState state) const
{
    return cellOf(waitTexts, step, state);
}

const std::string& LaneInfo::waitObject(std::uint32_t step, WorkerState state) const
{
    return cellOf(waitObjects, step, state);
}

bool LaneInfo::posts(std::uint32_t step, const std::string& object) const
{
    return step < postsAt.size()
        && std::find(postsAt[step].begin(), postsAt[step].end(), object) != postsAt[step].end();
}

std::string chromeTraceJson(const TraceLog& log)
{
    TraceWriter out(log.startNs);
    out.metadata("process_name", log.runnerPid, 0,
        "\"name\":" + TraceWriter::str("objects and run events (" + log.scenario + ")"));
    for (const TraceWorker& w : log.workers)
        writeWorker(out, w);
    for (const TraceCounter& c : log.counters) {
        const std::size_t points = c.series.empty() ? 0 : std::min(c.times.size(), c.values.size() / c.series.size());
        for (std::size_t p = 0; p < points; ++p) {
            std::string args;
            for (std::size_t i = 0; i < c.series.size(); ++i) {
                char value[32];
                std::snprintf(value, sizeof value, "%.17g", c.value(p, i));
                args += (args.empty() ? "" : ",") + TraceWriter::str(c.series[i]) + ":" + value;
            }
            out.event("\"ph\":\"C\",\"name\":" + TraceWriter::str(c.name) + ",\"pid\":" + std::to_string(log.runnerPid)
                + ",\"tid\":0,\"ts\":" + out.ts(c.times[p]) + ",\"args\":{" + args + "}");
        }
    }
    writeFlows(out, log);
    for (const TraceInstant& i : log.instants)
        out.event("\"ph\":\"i\",\"s\":\"g\",\"name\":" + TraceWriter::str(i.text)
            + ",\"pid\":" + std::to_string(log.runnerPid) + ",\"tid\":0,\"ts\":" + out.ts(i.ns));
    return out.finish();
}

} // namespace ipccore
