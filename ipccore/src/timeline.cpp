#include "ipccore/timeline.h"

#include <algorithm>
#include <array>
#include <iterator>

namespace ipccore {

Timeline::Timeline(std::uint64_t windowNs, std::size_t maxSpans)
    : m_windowNs(windowNs)
    , m_maxSpans(std::max<std::size_t>(maxSpans, 64))
{ }

void Timeline::clear()
{
    m_startNs = m_nowNs = 0;
    m_lanes.clear();
    m_locks.clear();
    m_objectOrder.clear();
    m_markers.clear();
    m_objectsNow.clear();
    m_stopped = false;
    m_spanCount = 0;
}

void Timeline::add(const Snapshot& snapshot)
{
    if (snapshot.startNs != m_startNs) {
        clear(); // another run
        m_startNs = snapshot.startNs;
    }
    m_nowNs = std::max(m_nowNs, snapshot.nowNs);
    if (m_objectOrder.size() != snapshot.objects.size()) {
        m_objectOrder.clear();
        for (const ObjectStatus& o : snapshot.objects)
            m_objectOrder.push_back(o.name);
    }
    m_objectsNow.resize(snapshot.objects.size());
    for (std::size_t k = 0; k < snapshot.objects.size(); ++k)
        m_objectsNow[k] = { snapshot.objects[k].name, snapshot.objects[k].holders, snapshot.objects[k].waiters };
    for (const RunEvent& e : snapshot.events)
        m_markers.push_back({ m_startNs + std::uint64_t(std::max(0.0, e.t) * 1e9), e.kind, e.text });
    while (m_markers.size() > MaxMarkers)
        m_markers.pop_front();
    std::vector<std::pair<std::string, std::size_t>> heldBefore; // per lock: its ended holds so far
    for (const LockLane& lock : m_locks)
        heldBefore.emplace_back(lock.object, lock.spans.size());
    if (m_lanes.size() < snapshot.workers.size())
        m_lanes.resize(snapshot.workers.size());
    for (std::size_t i = 0; i < snapshot.workers.size(); ++i) {
        const WorkerStatus& w = snapshot.workers[i];
        Lane& lane = m_lanes[i];
        lane.name = w.name;
        lane.host = w.host;
        lane.pid = w.pid;
        if (w.lane)
            lane.info = w.lane;
        if (w.eventsLost > lane.lost) {
            const std::uint64_t before = lane.current ? lane.current->fromNs
                : lane.spans.empty()                  ? m_startNs
                                                      : lane.spans.back().toNs;
            const std::uint64_t after = w.newEvents.empty() ? m_nowNs : w.newEvents.front().ns;
            lane.gaps.push_back({ before, std::max(before, after), w.eventsLost - lane.lost });
            if (lane.gaps.size() > MaxGaps)
                lane.gaps.pop_front();
            // What it held is known up to its last event before the gap, not across it: in the gap it may have
            // released the lock and another process taken it. The events after the gap say what it holds again.
            setHolding(lane, i, {}, std::max(before, lane.lastEventNs));
        }
        lane.lost = w.eventsLost;
        lane.holdsNotRecorded = w.holdsNotRecorded;
        // A pause by the Pause control (SIGSTOP) that has ended since the last sample: back to the state it was in,
        // from the resume (no earlier than the pause's span, no later than its first event after it: a host's times
        // come through a clock offset). A process killed while paused was not resumed: its pause lasts until its
        // death, below.
        if (lane.pausedFromNs != 0 && w.pausedSinceNs == 0) {
            const bool resumed = w.alive || w.resumedNs >= lane.pausedFromNs;
            if (resumed && lane.current && lane.current->state == WorkerState::Paused) {
                std::uint64_t until = std::max(lane.current->fromNs, w.alive || w.exitNs == 0 ? m_nowNs : w.exitNs);
                for (const WorkerEvent& e : w.newEvents)
                    until = std::min(until, std::max(e.ns, lane.current->fromNs));
                const std::uint64_t at = std::clamp(w.resumedNs, lane.current->fromNs, until);
                const std::uint32_t step = lane.current->step;
                endSpan(lane, at);
                beginSpan(lane, i, TimelineSpan { at, at, lane.beforePause, step, false });
            }
            lane.pausedFromNs = 0;
        }
        for (const WorkerEvent& e : w.newEvents) {
            lane.lastEventNs = std::max(lane.lastEventNs, e.ns);
            if (e.kind() == WorkerSlot::EventLock) {
                if (lane.info && !lane.info->lock.empty())
                    holdLock(lane, i, lane.info->lock, e.step() != 0, e.ns);
                continue;
            }
            // Recorded in the instant between the pause's signal and its landing: the state it resumes in.
            if (lane.pausedFromNs != 0 && e.ns >= lane.pausedFromNs && e.state() != WorkerState::Finished
                && e.state() != WorkerState::Dead) {
                if (e.kind() == WorkerSlot::EventState)
                    lane.beforePause = e.state();
                continue;
            }
            TimelineSpan next;
            next.fromNs = e.ns;
            next.step = e.step();
            if (e.kind() == WorkerSlot::EventStep) {
                next.state = lane.current ? lane.current->state : WorkerState::Running;
                next.stepBegins = true;
            } else {
                next.state = e.state();
                next.stepBegins = false;
            }
            endSpan(lane, e.ns);
            if (next.state == WorkerState::Finished || next.state == WorkerState::Dead) {
                setHolding(lane, i, {}, e.ns);
                continue; // nothing is drawn after the end
            }
            beginSpan(lane, i, next);
        }
        // Paused by the Pause control since this sample: the process cannot say so itself, the runner does. (Not
        // once its lane has ended: no span is drawn after a process's end.)
        if (w.alive && lane.alive && lane.current && w.pausedSinceNs != 0 && lane.pausedFromNs == 0) {
            const std::uint64_t from = std::max(w.pausedSinceNs, lane.current->fromNs);
            lane.pausedFromNs = from;
            lane.beforePause = lane.current->state;
            const std::uint32_t step = lane.current->step;
            endSpan(lane, from);
            beginSpan(lane, i, TimelineSpan { from, from, WorkerState::Paused, step, false });
        }
        if (!w.alive && lane.alive) {
            lane.alive = false;
            lane.exitText = w.exitText;
            lane.exitNs = w.exitNs ? w.exitNs : m_nowNs;
            if (lane.current) {
                // It did not get to record its end: it was killed, or stopped on an error. It stays dead, holding
                // what it held (a killed process keeps a semaphore's permit).
                const std::uint32_t step = lane.current->step;
                endSpan(lane, lane.exitNs);
                lane.current = TimelineSpan { lane.exitNs, lane.exitNs, WorkerState::Dead, step, false };
            }
        }
        if (lane.current)
            lane.current->toNs = std::max(lane.current->fromNs, m_nowNs);
        // A ring's lock a dead worker held stays held until the runner repairs the ring: then its mutex is free.
        if (!lane.alive && lane.info && !lane.info->lock.empty()) {
            for (const ObjectStatus& o : snapshot.objects) {
                if (o.name + ".mutex" != lane.info->lock)
                    continue;
                for (const SemaphoreValue& v : o.semaphores) {
                    if (v.role == "mutex" && v.value > 0)
                        holdLock(lane, i, lane.info->lock, false, m_nowNs);
                }
            }
        }
    }
    // The lanes were taken one after another, each with its holds of this sample: put the lock lanes' new holds in
    // order of their end among themselves and after the older ones.
    const auto byEnd = [](const HoldSpan& a, const HoldSpan& b) { return a.toNs < b.toNs; };
    for (LockLane& lock : m_locks) {
        std::size_t before = 0;
        for (const auto& [object, count] : heldBefore) {
            if (object == lock.object)
                before = count;
        }
        const auto tail = lock.spans.begin() + std::ptrdiff_t(before);
        for (auto it = tail; it != lock.spans.end(); ++it) // before the merge moves them among the older ones
            lock.longestNs = std::max(lock.longestNs, it->toNs - it->fromNs);
        std::stable_sort(tail, lock.spans.end(), byEnd);
        std::inplace_merge(lock.spans.begin(), tail, lock.spans.end(), byEnd);
        for (HoldSpan& hold : lock.current)
            hold.toNs = std::max(hold.fromNs, m_nowNs);
    }
    trim();
}

void Timeline::endSpan(Lane& lane, std::uint64_t ns)
{
    if (!lane.current)
        return;
    TimelineSpan span = *lane.current;
    lane.current.reset();
    span.toNs = std::max(ns, span.fromNs);
    if (span.toNs == span.fromNs && !span.stepBegins)
        return; // nothing to see, nothing to find
    lane.spans.push_back(span);
    ++m_spanCount;
}

void Timeline::beginSpan(Lane& lane, std::size_t index, const TimelineSpan& span)
{
    lane.current = span;
    lane.current->toNs = span.fromNs;
    if (span.stepBegins && lane.info) {
        static const std::vector<std::string> none;
        const auto& during = lane.info->holdsDuring;
        setHolding(lane, index, span.step < during.size() ? during[span.step] : none, span.fromNs);
    }
}

void Timeline::setHolding(Lane& lane, std::size_t index, const std::vector<std::string>& holding, std::uint64_t ns)
{
    for (const std::string& object : lane.holding) {
        if (std::find(holding.begin(), holding.end(), object) != holding.end())
            continue;
        LockLane& lock = lockLane(object, lane.host);
        const auto it = std::find_if(
            lock.current.begin(), lock.current.end(), [&](const HoldSpan& h) { return h.lane == index; });
        if (it == lock.current.end())
            continue;
        HoldSpan ended = *it;
        lock.current.erase(it);
        ended.toNs = std::max(ns, ended.fromNs);
        lock.spans.push_back(ended);
        ++m_spanCount;
    }
    for (const std::string& object : holding) {
        if (std::find(lane.holding.begin(), lane.holding.end(), object) == lane.holding.end())
            lockLane(object, lane.host).current.push_back({ ns, ns, index });
    }
    lane.holding = holding;
}

void Timeline::holdLock(Lane& lane, std::size_t index, const std::string& object, bool held, std::uint64_t ns)
{
    std::vector<std::string> holding = lane.holding;
    const auto it = std::find(holding.begin(), holding.end(), object);
    if (held == (it != holding.end()))
        return;
    if (held)
        holding.push_back(object);
    else
        holding.erase(it);
    setHolding(lane, index, holding, ns);
}

Timeline::LockLane& Timeline::lockLane(const std::string& object, const std::string& host)
{
    for (LockLane& lock : m_locks) {
        if (lock.object == object)
            return lock;
    }
    // In the scenario's order of objects, not in the order they were first held.
    auto rank = [&](const std::string& name) {
        return std::size_t(std::find(m_objectOrder.begin(), m_objectOrder.end(), name) - m_objectOrder.begin());
    };
    const auto at = std::find_if(
        m_locks.begin(), m_locks.end(), [&](const LockLane& lock) { return rank(lock.object) > rank(object); });
    const auto it = m_locks.insert(at, LockLane {});
    it->object = object;
    it->host = host;
    return *it;
}

void Timeline::trim()
{
    const std::uint64_t cutoff = m_nowNs > m_windowNs ? m_nowNs - m_windowNs : 0;
    for (Lane& lane : m_lanes) {
        while (!lane.gaps.empty() && lane.gaps.front().toNs < cutoff)
            lane.gaps.pop_front();
        while (!lane.spans.empty() && lane.spans.front().toNs < cutoff) {
            lane.spans.pop_front();
            ++lane.dropped;
            --m_spanCount;
        }
    }
    for (LockLane& lock : m_locks) {
        while (!lock.spans.empty() && lock.spans.front().toNs < cutoff) {
            lock.spans.pop_front();
            --m_spanCount;
        }
    }
    while (!m_markers.empty() && m_markers.front().ns < cutoff)
        m_markers.pop_front();
    // Over the budget: the fullest lane summarises its older half, coarser each time that is not enough.
    while (m_spanCount > m_maxSpans) {
        Lane* fullest = nullptr;
        for (Lane& lane : m_lanes) {
            if (!fullest || lane.spans.size() > fullest->spans.size())
                fullest = &lane;
        }
        LockLane* fullestLock = nullptr;
        for (LockLane& lock : m_locks) {
            if (!fullestLock || lock.spans.size() > fullestLock->spans.size())
                fullestLock = &lock;
        }
        const bool lock = fullestLock && (!fullest || fullestLock->spans.size() > fullest->spans.size());
        if (lock ? summarise(*fullestLock) : fullest && summarise(*fullest))
            continue;
        // Summaries as coarse as the window allows and still too many (a tiny budget): the oldest eighth goes.
        if (lock) {
            const std::size_t drop = std::max<std::size_t>(1, fullestLock->spans.size() / 8);
            fullestLock->spans.erase(fullestLock->spans.begin(), fullestLock->spans.begin() + std::ptrdiff_t(drop));
            m_spanCount -= drop;
        } else if (fullest && !fullest->spans.empty()) {
            const std::size_t drop = std::max<std::size_t>(1, fullest->spans.size() / 8);
            fullest->spans.erase(fullest->spans.begin(), fullest->spans.begin() + std::ptrdiff_t(drop));
            fullest->dropped += drop;
            m_spanCount -= drop;
        } else {
            break;
        }
    }
}

namespace {

// Groups the first `count` entries of `spans` into runs no longer than `resolution` (a span already longer stays
// alone) and replaces each run of two or more by `merge(first, last)`. Returns how many entries went.
template <typename Span, typename Merge>
std::size_t summariseRuns(std::deque<Span>& spans, std::size_t count, std::uint64_t resolution, Merge merge)
{
    std::deque<Span> out;
    std::size_t i = 0;
    while (i < count) {
        std::size_t j = i + 1;
        while (j < count && spans[j].toNs - spans[i].fromNs <= resolution)
            ++j;
        if (j - i == 1)
            out.push_back(spans[i]);
        else
            out.push_back(merge(spans.begin() + std::ptrdiff_t(i), spans.begin() + std::ptrdiff_t(j)));
        i = j;
    }
    const std::size_t gone = count - out.size();
    spans.erase(spans.begin(), spans.begin() + std::ptrdiff_t(count));
    spans.insert(spans.begin(), out.begin(), out.end());
    return gone;
}

} // namespace

bool Timeline::summarise(Lane& lane)
{
    const std::size_t count = lane.spans.size() / 2;
    if (count < 2)
        return false;
    using It = std::deque<TimelineSpan>::iterator;
    auto merge = [](It first, It last) {
        std::array<std::uint64_t, WorkerStateCount> byState {};
        std::uint32_t merged = 0;
        for (It it = first; it != last; ++it) {
            const std::uint64_t length = it->toNs - it->fromNs;
            if (it->merged > 0) {
                byState[stateIndex(it->waitState)] += it->blockedNs;
                byState[stateIndex(it->state)] += length - std::min(length, it->blockedNs);
                merged += it->merged;
            } else {
                byState[stateIndex(it->state)] += length;
                ++merged;
            }
        }
        TimelineSpan out;
        out.fromNs = first->fromNs;
        out.toNs = std::prev(last)->toNs;
        out.merged = merged;
        std::uint64_t most = 0, mostWait = 0;
        for (std::size_t k = 0; k < byState.size(); ++k) {
            const auto state = WorkerState(k);
            if (isBlocked(state)) {
                out.blockedNs += byState[k];
                if (byState[k] > mostWait) {
                    mostWait = byState[k];
                    out.waitState = state;
                }
            } else if (byState[k] > most) {
                most = byState[k];
                out.state = state;
            }
        }
        if (most == 0) // waits only
            out.state = out.waitState;
        return out;
    };
    const std::uint64_t limit = std::max<std::uint64_t>(m_windowNs / 100, FirstSummaryNs);
    std::uint64_t resolution = std::max(lane.summaryNs, FirstSummaryNs);
    for (; resolution <= limit; resolution *= 2) {
        const std::uint64_t until = lane.spans[count - 1].toNs;
        const std::size_t gone = summariseRuns(lane.spans, count, resolution, merge);
        m_spanCount -= gone;
        if (gone > count / 8) {
            lane.summaryNs = resolution;
            lane.summarisedUntilNs = std::max(lane.summarisedUntilNs, until);
            return true;
        }
    }
    return false;
}

bool Timeline::summarise(LockLane& lock)
{
    const std::size_t count = lock.spans.size() / 2;
    if (count < 2)
        return false;
    const std::size_t lanes = m_lanes.size();
    using It = std::deque<HoldSpan>::iterator;
    auto merge = [lanes](It first, It last) {
        std::vector<std::uint64_t> byHolder(lanes + 1);
        HoldSpan out;
        out.fromNs = first->fromNs;
        for (It it = first; it != last; ++it) {
            const std::uint64_t held = it->merged > 0 ? it->heldNs : it->toNs - it->fromNs;
            byHolder[std::min(it->lane, lanes)] += held;
            out.heldNs += held;
            out.merged += std::max<std::uint32_t>(it->merged, 1);
            out.fromNs = std::min(out.fromNs, it->fromNs);
            out.toNs = std::max(out.toNs, it->toNs);
        }
        out.lane = std::size_t(std::max_element(byHolder.begin(), byHolder.end()) - byHolder.begin());
        return out;
    };
    const std::uint64_t limit = std::max<std::uint64_t>(m_windowNs / 100, FirstSummaryNs);
    for (std::uint64_t resolution = std::max(lock.summaryNs, FirstSummaryNs); resolution <= limit; resolution *= 2) {
        const std::uint64_t until = lock.spans[count - 1].toNs;
        const std::size_t gone = summariseRuns(lock.spans, count, resolution, merge);
        m_spanCount -= gone;
        for (const HoldSpan& h : lock.spans)
            lock.longestNs = std::max(lock.longestNs, h.toNs - h.fromNs);
        if (gone > count / 8) {
            lock.summaryNs = resolution;
            lock.summarisedUntilNs = std::max(lock.summarisedUntilNs, until);
            return true;
        }
    }
    return false;
}

void Timeline::stop()
{
    if (m_stopped || m_startNs == 0)
        return;
    m_stopped = true;
    m_markers.push_back({ m_nowNs, RunEvent::Kind::Info, "Run stopped" });
}

const Timeline::ObjectNow* Timeline::objectNow(const std::string& object) const
{
    for (const ObjectNow& o : m_objectsNow) {
        if (o.object == object)
            return &o;
    }
    return nullptr;
}

std::size_t Timeline::firstEndingAfter(const Lane& lane, std::uint64_t ns)
{
    return std::size_t(std::partition_point(lane.spans.begin(), lane.spans.end(), [&](const TimelineSpan& s) {
        return s.toNs <= ns;
    }) - lane.spans.begin());
}

std::size_t Timeline::firstEndingAfter(const LockLane& lane, std::uint64_t ns)
{
    return std::size_t(std::partition_point(lane.spans.begin(), lane.spans.end(), [&](const HoldSpan& s) {
        return s.toNs <= ns;
    }) - lane.spans.begin());
}

std::string Timeline::waitObject(const Lane& lane, const TimelineSpan& span)
{
    return lane.info ? lane.info->waitObject(span.step, span.state) : std::string();
}

std::string Timeline::spanText(const Lane& lane, const TimelineSpan& span)
{
    if (isBlocked(span.state) && lane.info) {
        const std::string& text = lane.info->waitText(span.step, span.state);
        if (!text.empty())
            return (span.state == WorkerState::WaitingLock ? "waiting for the lock of " : "blocked on ") + text;
    }
    return workerStateName(span.state);
}

std::optional<Timeline::Waker> Timeline::wakerOf(std::size_t laneIndex, const TimelineSpan& wait) const
{
    if (laneIndex >= m_lanes.size() || !isBlocked(wait.state))
        return std::nullopt;
    const std::string object = waitObject(m_lanes[laneIndex], wait);
    if (object.empty())
        return std::nullopt;
    std::optional<Waker> best;
    auto consider = [&](std::size_t c, const TimelineSpan& s) {
        if (s.stepBegins && s.fromNs >= wait.fromNs && s.fromNs <= wait.toNs && m_lanes[c].info->posts(s.step, object)
            && (!best || s.fromNs > best->ns))
            best = Waker { c, s.fromNs, s.step };
    };
    for (std::size_t c = 0; c < m_lanes.size(); ++c) {
        const Lane& lane = m_lanes[c];
        if (c == laneIndex || !lane.info)
            continue;
        const std::size_t steps = lane.info->postsAt.size();
        bool posts = false;
        for (std::uint32_t k = 0; k < steps && !posts; ++k)
            posts = lane.info->posts(k, object);
        if (!posts)
            continue;
        if (lane.current)
            consider(c, *lane.current);
        // Walk back over the spans that began during the wait, latest first; a step that posts ends the walk.
        std::size_t j
            = std::size_t(std::partition_point(lane.spans.begin(), lane.spans.end(), [&](const TimelineSpan& s) {
                  return s.fromNs <= wait.toNs;
              }) - lane.spans.begin());
        for (std::size_t seen = 0; j > 0 && seen < 4096; ++seen) {
            const TimelineSpan& s = lane.spans[--j];
            if (s.fromNs < wait.fromNs)
                break;
            if (s.stepBegins && lane.info->posts(s.step, object)) {
                consider(c, s);
                break;
            }
        }
    }
    return best;
}

} // namespace ipccore
