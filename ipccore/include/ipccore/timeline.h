#pragma once
// A run as lanes of spans, for the Timeline view: one lane per worker, split wherever its state or its program step
// changes, as its event ring recorded them (telemetry.h), and one lane per lock with who held it when: a program's
// locks from its steps, a ring's mutex from its producers' and consumers' lock events. Built from
// the snapshots' new events as they come (add), so it holds the run as it was, not as sampled. Bounded: spans that
// ended before the window are dropped and counted; beyond a budget of spans the oldest are summarised (several short
// spans in one, with how much of it was waiting), coarser the more room is needed. Pure: no IPC, no Qt.
#include "ipccore/runner.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ipccore {

// A stretch of one worker's life in one state at one step (0 for a producer or consumer). To keep ten minutes in
// bounded memory, old stretches may be summarised: `merged` exact spans in one, in `state` but for `blockedNs` of
// it spent in `waitState`; their steps and wakers are then no longer known.
struct TimelineSpan {
    std::uint64_t fromNs = 0, toNs = 0; // CLOCK_MONOTONIC
    WorkerState state = WorkerState::Starting;
    std::uint32_t step = 0;
    bool stepBegins = false; // the step began at fromNs (not a state change within it)
    std::uint32_t merged = 0; // 0: exact; else how many spans this summary stands for
    WorkerState waitState = WorkerState::Starting; // a summary: the wait it holds most of
    std::uint64_t blockedNs = 0; // a summary: its time in waits
};

// A lock held by one worker: from the end of its acquire to the start of its release. A summary of `merged` holds
// names the holder of most of them, held for `heldNs` of its length.
struct HoldSpan {
    std::uint64_t fromNs = 0, toNs = 0;
    std::size_t lane = 0; // the holder's worker lane
    std::uint32_t merged = 0;
    std::uint64_t heldNs = 0;
};

// A run event on the timeline: a kill, a stop, a repair, a deadlock found.
struct TimelineMarker {
    std::uint64_t ns = 0;
    RunEvent::Kind kind = RunEvent::Kind::Info;
    std::string text;
};

class Timeline {
public:
    static constexpr std::uint64_t DefaultWindowNs = 600'000'000'000; // the last 10 minutes
    static constexpr std::size_t DefaultMaxSpans = 1'000'000; // about 48 MB, shared by all lanes
    static constexpr std::uint64_t FirstSummaryNs = 10'000'000; // old spans are summarised 10 ms at a time first
    static constexpr std::size_t MaxMarkers = 10'000;
    static constexpr std::size_t MaxGaps = 10'000; // per lane

    struct Lane {
        std::string name;
        std::string host; // the worker host it runs on (WorkerStatus::host); empty = this machine
        pid_t pid = 0; // on a host: that machine's process id
        std::shared_ptr<const LaneInfo> info; // never null once the lane has seen a snapshot
        std::deque<TimelineSpan> spans; // ended, in time order, none overlapping
        std::optional<TimelineSpan> current; // the span going on now (toNs: the latest sample)
        bool alive = true;
        std::uint64_t exitNs = 0;
        std::string exitText; // how it ended ("killed by SIGKILL"), once it has
        std::vector<std::string> holding; // the locks its current step holds
        std::uint64_t lost = 0; // events its ring lost (full before the runner drained it)
        std::uint64_t lastEventNs = 0; // its latest event drained so far
        std::uint64_t holdsNotRecorded = 0; // its channel lock's holds too many to record (WorkerSlot::EventLock)
        // Paused by the user (WorkerStatus::pausedSinceNs) since pausedFromNs (where its "paused" span begins), 0
        // when not; beforePause is the state it goes back to when resumed. A pause ends when pausedSinceNs is 0
        // again: a host's times are converted anew in each snapshot, so they are not compared.
        std::uint64_t pausedFromNs = 0;
        WorkerState beforePause = WorkerState::Running;
        // Where they were lost: between the last event drained before and the first drained after (the latest
        // MaxGaps), so the view can say that the span there may hide states.
        struct Gap {
            std::uint64_t fromNs = 0, toNs = 0, events = 0;
        };
        std::deque<Gap> gaps;
        std::uint64_t dropped = 0; // spans dropped here (older than the window)
        std::uint64_t summaryNs = 0; // spans ending before summarisedUntilNs are summaries this long at most
        std::uint64_t summarisedUntilNs = 0;
    };
    struct LockLane {
        std::string object;
        std::string host; // the worker host it lives on (that of the lane that first held it); empty = this machine
        std::deque<HoldSpan> spans; // ended, in order of their end
        std::uint64_t longestNs = 0; // the longest of them: spans ending later began at most this much earlier
        std::vector<HoldSpan> current; // holds going on now (toNs: the latest sample); a dead holder's stay
        std::uint64_t summaryNs = 0, summarisedUntilNs = 0; // as in Lane
    };
    // Who holds each object and who waits on it at the latest sample (ObjectStatus), for what the events cannot
    // tell: a producer's or consumer's lock, a semaphore's permits.
    struct ObjectNow {
        std::string object;
        std::vector<ObjectStatus::User> holders, waiters;
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
    // The run has stopped: what is still going on at the latest sample ended there (the view stops saying "now").
    void stop();
    bool stopped() const { return m_stopped; }

    std::uint64_t startNs() const { return m_startNs; }
    std::uint64_t nowNs() const { return m_nowNs; }
    const std::vector<Lane>& lanes() const { return m_lanes; }
    const std::vector<LockLane>& lockLanes() const { return m_locks; }
    std::size_t spanCount() const { return m_spanCount; }
    const std::deque<TimelineMarker>& markers() const { return m_markers; }
    const std::vector<ObjectNow>& objectsNow() const { return m_objectsNow; }
    const ObjectNow* objectNow(const std::string& object) const;

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
    // A producer's or consumer's channel lock (LaneInfo::lock), taken or released at ns.
    void holdLock(Lane& lane, std::size_t index, const std::string& object, bool held, std::uint64_t ns);
    LockLane& lockLane(const std::string& object, const std::string& host);
    void trim();
    bool summarise(Lane& lane); // false when nothing more could be summarised
    bool summarise(LockLane& lock);

    std::uint64_t m_windowNs;
    std::size_t m_maxSpans;
    std::uint64_t m_startNs = 0, m_nowNs = 0;
    std::vector<Lane> m_lanes;
    std::vector<LockLane> m_locks;
    std::vector<std::string> m_objectOrder; // the scenario's objects, which orders the lock lanes
    std::deque<TimelineMarker> m_markers;
    bool m_stopped = false;
    std::vector<ObjectNow> m_objectsNow;
    std::size_t m_spanCount = 0;
};

} // namespace ipccore
