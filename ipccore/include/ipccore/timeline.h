#pragma once
// A run as lanes of spans, for the Timeline view: one lane per worker, split wherever its state or its program step
// changes, as its event ring recorded them (telemetry.h), and one lane per lock with who held it when. Built from
// the snapshots' new events as they come (add), so it holds the run as it was, not as sampled. Bounded: spans that
// ended before the window, or beyond a budget of spans, are dropped and counted. Pure: no IPC, no Qt.
#include "ipccore/runner.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ipccore {

// A stretch of one worker's life in one state at one step (0 for a producer or consumer).
struct TimelineSpan {
    std::uint64_t fromNs = 0, toNs = 0; // CLOCK_MONOTONIC
    WorkerState state = WorkerState::Starting;
    std::uint32_t step = 0;
    bool stepBegins = false; // the step began at fromNs (not a state change within it)
};

// A lock held by one worker: from the end of its acquire to the start of its release.
struct HoldSpan {
    std::uint64_t fromNs = 0, toNs = 0;
    std::size_t lane = 0; // the holder's worker lane
};

class Timeline {
public:
    static constexpr std::uint64_t DefaultWindowNs = 600'000'000'000; // the last 10 minutes
    static constexpr std::size_t DefaultMaxSpans = 1'000'000; // about 32 MB, shared by all lanes

    struct Lane {
        std::string name;
        pid_t pid = 0;
        std::shared_ptr<const LaneInfo> info; // never null once the lane has seen a snapshot
        std::deque<TimelineSpan> spans; // ended, in time order, none overlapping
        std::optional<TimelineSpan> current; // the span going on now (toNs: the latest sample)
        bool alive = true;
        std::uint64_t exitNs = 0;
        std::vector<std::string> holding; // the locks its current step holds
        std::uint64_t lost = 0; // events its ring lost (full before the runner drained it)
        std::uint64_t dropped = 0; // spans dropped here to keep the window and the budget
    };
    struct LockLane {
        std::string object;
        std::deque<HoldSpan> spans; // ended, in order of their end
        std::uint64_t longestNs = 0; // the longest of them: spans ending later began at most this much earlier
        std::vector<HoldSpan> current; // holds going on now (toNs: the latest sample); a dead holder's stay
    };
    // Who most likely ended a wait: the latest step, begun during the wait, of another worker that posts to the
    // object waited on (a release, a put, a get). Only programs' steps are events, so a producer's or consumer's
    // put is never named.
    struct Waker {
        std::size_t lane = 0;
        std::uint64_t ns = 0; // when its step began
        std::uint32_t step = 0;
    };

    explicit Timeline(std::uint64_t windowNs = DefaultWindowNs, std::size_t maxSpans = DefaultMaxSpans);

    void clear();
    // Takes in a snapshot's new events (WorkerStatus::newEvents); snapshots must come in order, none left out.
    void add(const Snapshot& snapshot);

    std::uint64_t startNs() const { return m_startNs; }
    std::uint64_t nowNs() const { return m_nowNs; }
    const std::vector<Lane>& lanes() const { return m_lanes; }
    const std::vector<LockLane>& lockLanes() const { return m_locks; }
    std::size_t spanCount() const { return m_spanCount; }

    // The index in lane.spans of the first span that ends after ns (spans.size() when none does).
    static std::size_t firstEndingAfter(const Lane& lane, std::uint64_t ns);
    static std::size_t firstEndingAfter(const LockLane& lane, std::uint64_t ns);
    // What a span is, in words: "blocked on buffer: empty slots (sem)", "running", "paused".
    static std::string spanText(const Lane& lane, const TimelineSpan& span);
    // The object a blocked span waits on ("" when it is not blocked or no one object is it).
    static std::string waitObject(const Lane& lane, const TimelineSpan& span);
    std::optional<Waker> wakerOf(std::size_t lane, const TimelineSpan& wait) const;

private:
    void beginSpan(Lane& lane, std::size_t index, const TimelineSpan& span);
    void endSpan(Lane& lane, std::uint64_t ns);
    void setHolding(Lane& lane, std::size_t index, const std::vector<std::string>& holding, std::uint64_t ns);
    LockLane& lockLane(const std::string& object);
    void trim();

    std::uint64_t m_windowNs;
    std::size_t m_maxSpans;
    std::uint64_t m_startNs = 0, m_nowNs = 0;
    std::vector<Lane> m_lanes;
    std::vector<LockLane> m_locks;
    std::vector<std::string> m_objectOrder; // the scenario's objects, which orders the lock lanes
    std::size_t m_spanCount = 0;
};

} // namespace ipccore
