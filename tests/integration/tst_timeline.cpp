// The timeline (ipccore/timeline.h) built from real runs' snapshots, as the GUI builds it: every worker's lane is
// spans in time order that never overlap and whose waits add up to the blocked time the worker's slot counts; a
// one-permit lock's lane never shows two holders at once, and a ring's mutex lane has one hold per message moved; a
// wait's waker is a process whose step posts to the object waited on, and its hold of the lock ended exactly when its
// release began; a killed worker's lane ends dead; the window and the span budget bound the memory.
#include "test_support.h"

#include "ipccore/host.h"
#include "ipccore/runner.h"
#include "ipccore/scenario.h"
#include "ipccore/timeline.h"

#include <QElapsedTimer>
#include <QFile>
#include <QStringList>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <thread>

using namespace ipccore;

namespace {

// Runs a bundled scenario for `ms`, handing every snapshot to `each` in order, as the GUI does (with `halfway` called
// once half the time has passed, if given), stops it and checks it left nothing behind. Returns the last snapshot.
Snapshot runSampled(const char* name, int ms, const std::function<void(const Snapshot&)>& each,
    const std::function<void(Runner&)>& halfway = {})
{
    Snapshot last;
    auto scenario = resolveScenario(name);
    if (!scenario) {
        QTest::qFail(scenario.error().message().c_str(), __FILE__, __LINE__);
        return last;
    }
    auto runner = Runner::start(*scenario);
    if (!runner) {
        QTest::qFail(runner.error().message().c_str(), __FILE__, __LINE__);
        return last;
    }
    const std::string prefix = (*runner)->prefix();
    QElapsedTimer clock;
    clock.start();
    bool halfwayDone = !halfway;
    while (clock.elapsed() < ms) {
        last = (*runner)->sample();
        each(last);
        if (!halfwayDone && clock.elapsed() >= ms / 2) {
            halfway(**runner);
            halfwayDone = true;
        }
        QTest::qWait(20);
    }
    (*runner)->stop();
    runner->reset();
    const QStringList left = ipctest::leftoverObjects(QString::fromStdString(prefix.substr(1)));
    if (!left.isEmpty())
        QTest::qFail(qPrintable(left.join(QStringLiteral(", "))), __FILE__, __LINE__);
    return last;
}

bool inOrder(const Timeline::Lane& lane)
{
    for (std::size_t i = 0; i < lane.spans.size(); ++i) {
        const TimelineSpan& s = lane.spans[i];
        if (s.toNs < s.fromNs || (i > 0 && lane.spans[i - 1].toNs > s.fromNs))
            return false;
    }
    return !lane.current || lane.spans.empty() || lane.spans.back().toNs <= lane.current->fromNs;
}

} // namespace

class TestTimeline : public QObject {
    Q_OBJECT

    QTemporaryDir m_runtime;

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        qputenv("XDG_RUNTIME_DIR", m_runtime.path().toLocal8Bit());
    }

    void cleanupTestCase() { QCOMPARE(ipctest::leftoversOfThisProcess(), QStringList()); }

    // counter-race-locked: four processes take turns at one lock.
    void lanesFollowTheEvents()
    {
        Timeline timeline;
        const Snapshot last = runSampled("counter-race-locked", 1500, [&](const Snapshot& s) { timeline.add(s); });
        if (QTest::currentTestFailed())
            return;

        QCOMPARE(timeline.lanes().size(), last.workers.size());
        QCOMPARE(timeline.startNs(), last.startNs);
        QCOMPARE(timeline.nowNs(), last.nowNs);
        std::size_t waits = 0, wokenBy = 0, lossy = 0;
        for (std::size_t i = 0; i < timeline.lanes().size(); ++i) {
            const Timeline::Lane& lane = timeline.lanes()[i];
            const WorkerStatus& w = last.workers[i];
            QCOMPARE(lane.name, w.name);
            QVERIFY2(inOrder(lane), lane.name.c_str());
            QVERIFY2(lane.spans.size() > 100, lane.name.c_str());
            QCOMPARE(lane.dropped, std::uint64_t(0));
            // Its waits that ended add up to what its slot counted (read just before the events were drained, so a
            // wait that ended in between is in the spans only): within 1 % and a millisecond.
            std::uint64_t blocked = 0;
            for (const TimelineSpan& s : lane.spans) {
                // A lane that lost events (see below) may carry a span across the gap with the step before it, so
                // its spans are not checked one by one either (TSan in CI once met a blocked span there whose step
                // waits on nothing).
                if (!isBlocked(s.state) || lane.lost > 0)
                    continue;
                blocked += s.toNs - s.fromNs;
                QCOMPARE(Timeline::waitObject(lane, s), std::string("counter"));
                QVERIFY(Timeline::spanText(lane, s).find("counter") != std::string::npos);
                ++waits;
                const auto waker = timeline.wakerOf(i, s);
                if (!waker)
                    continue;
                ++wokenBy;
                QVERIFY(waker->lane != i);
                QVERIFY(waker->ns >= s.fromNs && waker->ns <= s.toNs);
                QVERIFY(timeline.lanes()[waker->lane].info->posts(waker->step, "counter"));
            }
            // A ring that filled before it was drained (a slow sampler: ThreadSanitizer) lost events, and the span
            // around them is not what happened: such a lane is not compared (the view hatches it and says so).
            if (lane.lost > 0) {
                ++lossy;
                continue;
            }
            QVERIFY2(blocked + 1'000'000 >= w.blockedNs, lane.name.c_str());
            QVERIFY2(blocked <= w.blockedNs + w.blockedNs / 100 + 1'000'000, lane.name.c_str());
        }
        QVERIFY(waits > 0 || lossy == timeline.lanes().size());
        if (lossy > 0)
            qWarning("%zu of %zu lanes lost events; their waits were not compared", lossy, timeline.lanes().size());
        QVERIFY2(waits == 0 || wokenBy * 2 > waits, "fewer than half of the lock's waits have a waker");

        // The lock's lane: one holder at a time.
        QCOMPARE(timeline.lockLanes().size(), std::size_t(1));
        const Timeline::LockLane& lock = timeline.lockLanes()[0];
        QCOMPARE(lock.object, std::string("counter"));
        QVERIFY(lock.spans.size() > 100);
        // (Its holds going on now may be two for a moment: a sample drains one lane after another, so it may see
        // the next holder's acquire but not yet the previous holder's release. Ended holds carry their own times.)
        for (std::size_t i = 1; i < lock.spans.size(); ++i)
            QVERIFY2(lock.spans[i - 1].toNs <= lock.spans[i].fromNs, "two holders of a one-permit lock at once");
    }

    // Workers on a worker host (a host in this process, on loopback): their lanes are filled from the host's
    // snapshots, named with the host, in this machine's clock, their waits in their object's words and a ring's
    // mutex holds in a lock lane, like this machine's workers; and their waits are in the Waits tables.
    void aHostsWorkersHaveLanes()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string folder = dir.path().toStdString() + "/";
        QVERIFY(writeKeyPair(folder + "host"));
        QVERIFY(writeKeyPair(folder + "controller"));
        auto host = HostServer::listen({ "tcp://127.0.0.1:*", folder + "host.key", { folder + "controller.pub" } });
        QVERIFY2(host, host ? "" : host.error().message().c_str());
        std::atomic<bool> stop { false };
        std::thread serving([&] { (*host)->serve(stop, [](const std::string&) {}); });
        struct Joined {
            std::atomic<bool>& stop;
            std::thread& thread;
            ~Joined()
            {
                stop = true;
                thread.join();
            }
        } joined { stop, serving };

        // Escaped, not a raw string: moc misreads "//" inside one.
        const QString text = QString("{ \"name\": \"timeline-on-a-host\", \"duration_s\": 20, "
                                     "\"controller_key\": \"controller.key\", "
                                     "\"hosts\": [ { \"name\": \"lab2\", \"endpoint\": \"%1\", "
                                     "\"key\": \"host.pub\" } ], "
                                     "\"objects\": [ { \"name\": \"near\", \"transport\": \"mq\", "
                                     "\"capacity\": 8, \"message_size\": 64 }, "
                                     "{ \"name\": \"far\", \"transport\": \"shm-ring\", "
                                     "\"capacity\": 8, \"message_size\": 64 } ], "
                                     "\"workers\": [ "
                                     "{ \"name\": \"p-near\", \"role\": \"producer\", \"object\": \"near\", "
                                     "\"rate\": 1000 }, "
                                     "{ \"name\": \"c-near\", \"role\": \"consumer\", \"object\": \"near\" }, "
                                     "{ \"name\": \"p-far\", \"role\": \"producer\", \"object\": \"far\", "
                                     "\"host\": \"lab2\", \"rate\": 1000 }, "
                                     "{ \"name\": \"c-far\", \"role\": \"consumer\", \"object\": \"far\", "
                                     "\"host\": \"lab2\" } ] }")
                                 .arg(QString::fromStdString((*host)->endpoint()));
        QFile file(dir.filePath("scenario.json"));
        QVERIFY(file.open(QIODevice::WriteOnly) && file.write(text.toUtf8()) == text.toUtf8().size());
        file.close();
        auto scenario = loadScenarioFile(file.fileName().toStdString());
        QVERIFY2(scenario, scenario ? "" : scenario.error().message().c_str());
        QElapsedTimer starting;
        starting.start();
        auto runner = Runner::start(*scenario);
        const auto startTookNs = std::uint64_t(starting.nsecsElapsed());
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        const std::string prefix = (*runner)->prefix();
        Timeline timeline;
        Snapshot last;
        std::string events;
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 2000) {
            last = (*runner)->sample();
            timeline.add(last);
            for (const RunEvent& e : last.events)
                events += e.text + "\n";
            QTest::qWait(20);
        }
        (*runner)->stop();
        const TraceLog trace = (*runner)->takeTraceLog();
        runner->reset();
        QVERIFY2(events.find("host 'lab2'") != std::string::npos
                && events.find("its workers' timeline events are") != std::string::npos,
            events.c_str());

        QCOMPARE(timeline.lanes().size(), std::size_t(4));
        std::size_t lossy = 0;
        for (std::size_t i = 0; i < timeline.lanes().size(); ++i) {
            const Timeline::Lane& lane = timeline.lanes()[i];
            const WorkerStatus& w = last.workers[i];
            QCOMPARE(lane.name, w.name);
            QCOMPARE(lane.host, std::string(lane.name.ends_with("far") ? "lab2" : ""));
            QVERIFY2(inOrder(lane), lane.name.c_str());
            QVERIFY2(lane.spans.size() > 100, lane.name.c_str());
            QVERIFY2(lane.info, lane.name.c_str());
            // A host's events, put in this machine's clock, are never after the sample that brought them (this
            // machine's own may be: they are drained just after the sample's time is read).
            if (!lane.host.empty())
                QVERIFY2(lane.spans.back().toNs <= timeline.nowNs(), lane.name.c_str());
            if (lane.lost > 0) {
                ++lossy; // a slow sampler (ThreadSanitizer): its spans around the gap are not what happened
                continue;
            }
            std::uint64_t blocked = 0;
            for (const TimelineSpan& s : lane.spans) {
                if (!isBlocked(s.state))
                    continue;
                blocked += s.toNs - s.fromNs;
                const std::string object = lane.name.ends_with("far") ? "far" : "near";
                QCOMPARE(Timeline::waitObject(lane, s), object);
                QVERIFY2(
                    Timeline::spanText(lane, s).find(object) != std::string::npos, Timeline::spanText(lane, s).c_str());
            }
            // As this machine's lanes: the waits that ended add up to what its slot counted, within 1 % and 1 ms;
            // but the host starts its part before this machine's run begins (within Runner::start), and a wait begun
            // before that is drawn from the start.
            const std::uint64_t headStart = lane.host.empty() ? 0 : startTookNs;
            QVERIFY2(blocked + headStart + 1'000'000 >= w.blockedNs, lane.name.c_str());
            QVERIFY2(blocked <= w.blockedNs + w.blockedNs / 100 + 1'000'000, lane.name.c_str());
        }
        if (lossy > 0)
            qWarning("%zu of 4 lanes lost events; their waits were not compared", lossy);
        // The ring's mutex on the host, held by its producer and consumer one at a time.
        const auto ring = std::find_if(timeline.lockLanes().begin(), timeline.lockLanes().end(),
            [](const Timeline::LockLane& l) { return l.object == "far.mutex"; });
        QVERIFY(ring != timeline.lockLanes().end());
        QCOMPARE(ring->host, std::string("lab2")); // drawn "far.mutex@lab2"
        // The ring's semaphores come with the host's snapshots (the semaphore chart draws "far.empty@lab2"): empty
        // and full within its 8 slots, its mutex free or taken.
        const auto farNow = std::find_if(
            last.objects.begin(), last.objects.end(), [](const ObjectStatus& o) { return o.name == "far"; });
        QVERIFY(farNow != last.objects.end());
        QCOMPARE(farNow->host, std::string("lab2"));
        QCOMPARE(farNow->semaphores.size(), std::size_t(3));
        for (const SemaphoreValue& v : farNow->semaphores) {
            QVERIFY2(v.role == "empty" || v.role == "full" || v.role == "mutex", v.role.c_str());
            QVERIFY2(v.value >= 0 && v.value <= (v.role == "mutex" ? 1 : 8), v.role.c_str());
        }
        QVERIFY(ring->spans.size() > 100);
        for (const HoldSpan& h : ring->spans)
            QVERIFY(timeline.lanes()[h.lane].host == "lab2");
        // The trace (--trace, Export trace) has the host's workers too, each on a track no process here can have.
        const auto traced = std::find_if(
            trace.workers.begin(), trace.workers.end(), [](const TraceWorker& w) { return w.name == "c-far@lab2"; });
        QVERIFY(traced != trace.workers.end());
        QCOMPARE(traced->host, std::string("lab2"));
        QCOMPARE(traced->hostPid, last.workers[3].pid);
        QVERIFY(traced->pid >= (1 << 22));
        QVERIFY(traced->events.size() > 100);
        const std::string json = chromeTraceJson(trace);
        const std::string label = "c-far@lab2 (pid " + std::to_string(last.workers[3].pid) + " on lab2)";
        QVERIFY2(json.find(label) != std::string::npos, label.c_str());
        // The Waits tables carry the host's waits too: its consumer's on its ring, named on the host.
        QVERIFY(last.contention);
        const auto far = std::find_if(last.contention->objects.begin(), last.contention->objects.end(),
            [](const ObjectContention& o) { return o.object == "far@lab2" && o.kind == WaitKind::Data; });
        QVERIFY(far != last.contention->objects.end());
        QVERIFY(far->stats.waits > 100);
        QCOMPARE(far->waiters, std::vector<std::string> { "c-far@lab2" });
        QVERIFY2(far->what.starts_with("far@lab2: "), far->what.c_str());
        const auto consumer = std::find_if(last.contention->workers.begin(), last.contention->workers.end(),
            [](const WorkerContention& w) { return w.worker == "c-far@lab2"; });
        QVERIFY(consumer != last.contention->workers.end());
        QVERIFY(consumer->waitNs > 0 && consumer->waitNs <= consumer->blockedNs + 1'000'000);
        const QStringList left = ipctest::leftoverObjects(QString::fromStdString(prefix.substr(1)));
        QVERIFY2(left.isEmpty(), qPrintable(left.join(", ")));
    }

    // A waker ended its hold of the lock exactly when its release began: the lock lane and the waker agree.
    // A rate-limited producer is asleep between its messages, not "running"; shm-spsc's consumer, which yields the
    // CPU for a while before it sleeps on its futex, shows that stretch as spinning, then blocked: empty.
    void sleepingForARateAndSpinningAreStatesOfTheirOwn()
    {
        Timeline timeline;
        int samples = 0, producerAsleep = 0;
        const Snapshot last = runSampled("producer-consumer-shm-spsc", 1500, [&](const Snapshot& s) {
            timeline.add(s);
            for (const WorkerStatus& w : s.workers) {
                if (w.role == Role::Producer) {
                    ++samples;
                    producerAsleep += w.state == WorkerState::Sleeping ? 1 : 0;
                }
            }
        });
        if (QTest::currentTestFailed())
            return;
        QVERIFY(last.workers.size() == 2 && last.workers[0].messages > 500);
        // 2000 messages a second, each sent in microseconds: asleep in nearly every sample.
        QVERIFY2(producerAsleep * 2 > samples, qPrintable(QStringLiteral("%1 of %2").arg(producerAsleep).arg(samples)));
        std::map<WorkerState, std::uint64_t> producer, consumer;
        for (std::size_t i = 0; i < 2; ++i) {
            auto& shares = last.workers[i].role == Role::Producer ? producer : consumer;
            for (const TimelineSpan& span : timeline.lanes()[i].spans)
                shares[span.merged > 0 ? span.waitState : span.state] += span.toNs - span.fromNs;
        }
        QVERIFY(producer[WorkerState::Sleeping] > producer[WorkerState::Running]);
        // (The producer may spin too, for room, when a busy machine holds the consumer off its core.)
        QVERIFY2(consumer[WorkerState::Spinning] > 0 && consumer[WorkerState::BlockedEmpty] > 0,
            qPrintable(QStringLiteral("spinning %1 ns, blocked %2 ns")
                           .arg(consumer[WorkerState::Spinning])
                           .arg(consumer[WorkerState::BlockedEmpty])));
        QCOMPARE(consumer[WorkerState::Sleeping], std::uint64_t(0)); // its rate is unlimited
    }

    void wakerReleasedTheLock()
    {
        Timeline timeline;
        runSampled("counter-race-locked", 1000, [&](const Snapshot& s) { timeline.add(s); });
        if (QTest::currentTestFailed())
            return;

        QCOMPARE(timeline.lockLanes().size(), std::size_t(1));
        const Timeline::LockLane& lock = timeline.lockLanes()[0];
        std::size_t checked = 0, lossy = 0;
        for (std::size_t i = 0; i < timeline.lanes().size(); ++i) {
            lossy += timeline.lanes()[i].lost > 0 ? 1 : 0;
            for (const TimelineSpan& s : timeline.lanes()[i].spans) {
                const auto waker = isBlocked(s.state) ? timeline.wakerOf(i, s) : std::nullopt;
                // A lane that lost events (a ring that filled before a slow sampler drained it: ThreadSanitizer in
                // CI) has its holds ended at the gap, not where the release was: such pairs are not compared.
                if (!waker || timeline.lanes()[i].lost > 0 || timeline.lanes()[waker->lane].lost > 0)
                    continue;
                const bool released = std::any_of(lock.spans.begin(), lock.spans.end(),
                    [&](const HoldSpan& h) { return h.lane == waker->lane && h.toNs == waker->ns; });
                QVERIFY2(released, "the waker's release is not the end of one of its holds");
                ++checked;
            }
        }
        if (lossy > 0)
            qWarning("%zu of %zu lanes lost events; their wakers were not compared", lossy, timeline.lanes().size());
        QVERIFY(checked > 0 || lossy > 0);
    }

    // A ring's mutex is held for microseconds, far below any sample; its lock lane is drawn from the producers' and
    // consumers' lock events: one hold per message each moved, never two holders at once.
    void ringMutexHoldsComeFromTheEvents()
    {
        Timeline timeline;
        const Snapshot last = runSampled("bounded-buffer-3x2", 1000, [&](const Snapshot& s) { timeline.add(s); });
        if (QTest::currentTestFailed())
            return;

        QCOMPARE(timeline.lockLanes().size(), std::size_t(1));
        const Timeline::LockLane& lock = timeline.lockLanes()[0];
        QCOMPARE(lock.object, std::string("buffer.mutex"));
        std::vector<HoldSpan> holds(lock.spans.begin(), lock.spans.end());
        holds.insert(holds.end(), lock.current.begin(), lock.current.end());
        std::sort(holds.begin(), holds.end(), [](const HoldSpan& a, const HoldSpan& b) { return a.fromNs < b.fromNs; });
        for (std::size_t k = 1; k < holds.size(); ++k)
            QVERIFY2(holds[k].fromNs >= holds[k - 1].toNs, "two holders of a one-permit lock at once");
        std::uint64_t longest = 0;
        for (const HoldSpan& h : holds)
            longest = std::max(longest, h.toNs - h.fromNs);
        QVERIFY2(longest < 50'000'000, "a hold as long as a sample interval: not from the events");

        QCOMPARE(last.workers.size(), timeline.lanes().size());
        for (std::size_t i = 0; i < last.workers.size(); ++i) {
            const WorkerStatus& w = last.workers[i];
            QCOMPARE(w.holdsNotRecorded, std::uint64_t(0));
            if (w.eventsLost > 0) { // a sampler held off its core (see lanesFollowTheEvents): its holds are not all
                qWarning("%s lost %llu events; its holds were not counted", w.name.c_str(),
                    static_cast<unsigned long long>(w.eventsLost));
                continue;
            }
            const auto held = std::uint64_t(
                std::count_if(holds.begin(), holds.end(), [&](const HoldSpan& h) { return h.lane == i; }));
            const std::uint64_t moved = w.messages;
            QVERIFY(moved > 100);
            // The counters and the events are read one after the other: a message may fall between.
            QVERIFY2(held + 1 >= moved && held <= moved + 1,
                qPrintable(QStringLiteral("%1: %2 holds for %3 messages").arg(w.name.c_str()).arg(held).arg(moved)));
        }
    }

    // Events a lane lost (its ring was full before it was drained) may have held a release and another process's
    // hold: what the lane held ends at its last event before the gap, so the lock lane never shows two holders at
    // once across it. (Fed by hand, in the events' own encoding, to put the gap exactly there; a slow machine makes
    // such gaps in real runs, which is how lanesFollowTheEvents once saw two holders.)
    void aGapEndsTheHoldsItMayHide()
    {
        auto info = std::make_shared<LaneInfo>();
        info->steps = { "sem_wait(counter)", "x = counter.value", "sem_post(counter)" };
        info->holdsDuring = { {}, { "counter" }, {} };
        const auto step = [](std::uint64_t ns, std::uint32_t k) {
            return WorkerEvent { ns, WorkerSlot::eventWhat(WorkerSlot::EventStep, WorkerState::Running, k) };
        };
        Snapshot first;
        first.startNs = 0;
        first.nowNs = 200;
        first.workers.resize(2);
        first.workers[0].name = "a";
        first.workers[1].name = "b";
        for (WorkerStatus& w : first.workers)
            w.lane = info;
        first.workers[0].newEvents = { step(100, 1) }; // a holds the counter from 100
        Timeline timeline;
        timeline.add(first);
        QCOMPARE(timeline.lockLanes().size(), std::size_t(1));
        QCOMPARE(timeline.lockLanes()[0].current.size(), std::size_t(1));

        // a's ring lost its release at ~250 and its next acquire; b held the counter from 300 to 400 meanwhile.
        Snapshot second = first;
        second.nowNs = 600;
        second.workers[0].eventsLost = 2;
        second.workers[0].newEvents = { step(500, 1) };
        second.workers[1].newEvents = { step(300, 1), step(400, 2) };
        timeline.add(second);

        const Timeline::LockLane& lock = timeline.lockLanes()[0];
        std::vector<HoldSpan> holds(lock.spans.begin(), lock.spans.end());
        holds.insert(holds.end(), lock.current.begin(), lock.current.end());
        std::sort(holds.begin(), holds.end(), [](const HoldSpan& a, const HoldSpan& b) { return a.fromNs < b.fromNs; });
        QCOMPARE(holds.size(), std::size_t(3));
        for (std::size_t k = 1; k < holds.size(); ++k)
            QVERIFY2(holds[k].fromNs >= holds[k - 1].toNs, "two holders of a one-permit lock at once");
        QCOMPARE(holds[0].lane, std::size_t(0));
        QCOMPARE(holds[0].toNs, std::uint64_t(100)); // known up to its last event before the gap
        QCOMPARE(holds[1].lane, std::size_t(1));
        QCOMPARE(holds[1].fromNs, std::uint64_t(300));
        QCOMPARE(holds[1].toNs, std::uint64_t(400));
        QCOMPARE(holds[2].lane, std::size_t(0));
        QCOMPARE(holds[2].fromNs, std::uint64_t(500)); // known again from its first event after it
        QCOMPARE(timeline.lanes()[0].gaps.size(), std::size_t(1));
    }

    // The Pause control stops the process (SIGSTOP), which cannot record that itself: the lane is paused from the
    // runner's signal to its resume, whatever state the worker was in (a producer at 2000 a second sleeps between
    // messages), and goes on after it. Paused again and killed, it stays paused until its death.
    void aPausedLaneIsPausedUntilResumed()
    {
        auto scenario = resolveScenario("producer-consumer-shm-spsc");
        QVERIFY2(scenario, scenario ? "" : scenario.error().message().c_str());
        auto runner = Runner::start(*scenario);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        const std::string prefix = r.prefix();
        Timeline timeline;
        Snapshot s;
        // Samples into the timeline until `done` holds of the producer's lane (or 20 s pass).
        auto sampleUntil = [&](const std::function<bool(const Timeline::Lane&)>& done) {
            QElapsedTimer clock;
            clock.start();
            while (clock.elapsed() < 20000) {
                s = r.sample();
                timeline.add(s);
                if (done(timeline.lanes()[0]))
                    return true;
                QTest::qWait(20);
            }
            return false;
        };
        const auto isPaused
            = [](const Timeline::Lane& lane) { return lane.current && lane.current->state == WorkerState::Paused; };
        QVERIFY(sampleUntil([&](const Timeline::Lane&) { return s.workers[0].messages > 100; }));
        const std::uint64_t pauseFrom = monotonicNs();
        QVERIFY(r.pauseWorker(0));
        const std::uint64_t pauseTo = monotonicNs();
        QVERIFY2(sampleUntil(isPaused), "the producer's lane was not paused while it was");
        QTest::qWait(300);
        QVERIFY(sampleUntil(isPaused)); // still
        const std::uint64_t sentAtResume = s.workers[0].messages;
        const std::uint64_t resumeFrom = monotonicNs();
        QVERIFY(r.resumeWorker(0));
        const std::uint64_t resumeTo = monotonicNs();
        QVERIFY2(sampleUntil([&](const Timeline::Lane& lane) {
            return !isPaused(lane) && s.workers[0].messages > sentAtResume + 100;
        }),
            "the producer's lane did not run on after its resume");
        QVERIFY(r.pauseWorker(0));
        QVERIFY(sampleUntil(isPaused));
        QVERIFY(r.killWorker(0));
        QVERIFY(sampleUntil([](const Timeline::Lane& lane) { return !lane.alive; }));
        r.stop();
        runner->reset();
        QVERIFY(ipctest::leftoverObjects(QString::fromStdString(prefix.substr(1))).isEmpty());

        const Timeline::Lane& lane = timeline.lanes()[0];
        QVERIFY(inOrder(lane));
        std::vector<TimelineSpan> paused;
        for (const TimelineSpan& span : lane.spans) {
            if (span.state == WorkerState::Paused)
                paused.push_back(span);
        }
        QCOMPARE(paused.size(), std::size_t(2));
        // From the signal (or the worker's last event before it landed, microseconds later) to the resume.
        QVERIFY2(paused[0].fromNs >= pauseFrom && paused[0].fromNs <= pauseTo + 5'000'000,
            qPrintable(QString::number(qint64(paused[0].fromNs - pauseFrom))));
        QVERIFY2(paused[0].toNs >= resumeFrom && paused[0].toNs <= resumeTo,
            qPrintable(QString::number(qint64(paused[0].toNs - resumeFrom))));
        // The second pause ends where the process did.
        QCOMPARE(paused[1].toNs, lane.exitNs);
        QVERIFY(lane.current && lane.current->state == WorkerState::Dead);
    }

    // The same from snapshots made up here, with the times a host whose clock is off could send: a pause said to
    // begin before the worker's last event, a pause time that moves from one snapshot to the next, a resume said
    // to come before the pause, and a Terminate while paused. The lane's spans stay in order, and each pause is one.
    void pausesFromOddTimesKeepTheLaneInOrder()
    {
        Timeline timeline;
        Snapshot s;
        s.startNs = 1000;
        s.workers.resize(1);
        WorkerStatus& w = s.workers[0];
        w.name = "far";
        w.host = "lab2";
        const auto state = [](std::uint64_t ns, WorkerState st) {
            return WorkerEvent { ns, WorkerSlot::eventWhat(WorkerSlot::EventState, st, 0) };
        };
        const auto add = [&](std::uint64_t now, std::vector<WorkerEvent> events) {
            s.nowNs = now;
            w.newEvents = std::move(events);
            timeline.add(s);
        };
        add(2000, { state(1100, WorkerState::Running), state(1500, WorkerState::Sleeping) });
        w.pausedSinceNs = 1400; // before its last event
        add(3000, {});
        w.pausedSinceNs = 0;
        w.resumedNs = 1450; // before the pause as drawn
        add(4000, { state(3500, WorkerState::Running) });
        w.pausedSinceNs = 3600;
        add(4500, {});
        w.pausedSinceNs = 4400; // converted anew, it moved: still the same pause
        add(5000, {});
        w.pausedSinceNs = 0;
        w.resumedNs = 5500;
        add(6000, { state(5600, WorkerState::Sleeping) });
        w.pausedSinceNs = 6500;
        add(7000, {});
        // Terminated while paused: resumed (so it could see SIGTERM), then it finished and was reaped.
        w.pausedSinceNs = 0;
        w.resumedNs = 7500;
        w.alive = false;
        w.exitNs = 7600;
        add(8000, { state(7550, WorkerState::Finished) });

        const Timeline::Lane& lane = timeline.lanes()[0];
        QVERIFY(inOrder(lane));
        std::vector<std::pair<std::uint64_t, std::uint64_t>> paused;
        for (const TimelineSpan& span : lane.spans) {
            if (span.state == WorkerState::Paused)
                paused.emplace_back(span.fromNs, span.toNs);
        }
        // The first pause has no length left between its odd times; the second is one span from its first time;
        // the third ends at the resume, not at the exit.
        const std::vector<std::pair<std::uint64_t, std::uint64_t>> expected { { 3600, 5500 }, { 6500, 7500 } };
        QCOMPARE(paused, expected);
        QVERIFY(!lane.alive);
    }

    // A killed worker's lane ends in a dead span that lasts, from its exit on.
    void killedLaneEndsDead()
    {
        Timeline timeline;
        bool killed = false;
        runSampled(
            "counter-race-locked", 600, [&](const Snapshot& s) { timeline.add(s); },
            [&](Runner& runner) { killed = bool(runner.killWorker(0)); });
        if (QTest::currentTestFailed())
            return;
        QVERIFY(killed);

        const Timeline::Lane& lane = timeline.lanes()[0];
        QVERIFY(!lane.alive);
        QVERIFY(lane.exitNs > 0);
        QVERIFY(lane.current);
        QCOMPARE(int(lane.current->state), int(WorkerState::Dead));
        QCOMPARE(lane.current->fromNs, lane.exitNs);
        QVERIFY(lane.current->toNs > lane.exitNs + 100'000'000); // still dead 300 ms later
        QVERIFY(inOrder(lane));
        QVERIFY(timeline.lanes()[1].alive);
    }

    // A budget far below what the run makes: the oldest spans are summarised, not dropped, so the lanes still start
    // where the run did, and the summaries keep how long each worker waited (what its slot counted, within 1 %).
    void summariesKeepTheWholeRun()
    {
        const std::size_t budget = 3000;
        Timeline timeline(Timeline::DefaultWindowNs, budget);
        Timeline exact; // the same run, unsummarised, for the first span of each lane
        std::size_t mostKept = 0;
        const Snapshot last = runSampled("counter-race-locked", 1500, [&](const Snapshot& s) {
            timeline.add(s);
            exact.add(s);
            mostKept = std::max(mostKept, timeline.spanCount());
        });
        if (QTest::currentTestFailed())
            return;
        QVERIFY(mostKept <= budget);
        QVERIFY(exact.spanCount() > 4 * budget);
        std::size_t summaries = 0;
        for (std::size_t i = 0; i < timeline.lanes().size(); ++i) {
            const Timeline::Lane& lane = timeline.lanes()[i];
            QVERIFY(inOrder(lane));
            QCOMPARE(lane.dropped, std::uint64_t(0));
            QCOMPARE(lane.spans.front().fromNs, exact.lanes()[i].spans.front().fromNs);
            QCOMPARE(lane.spans.back().toNs, exact.lanes()[i].spans.back().toNs);
            std::uint64_t blocked = 0;
            for (const TimelineSpan& s : lane.spans) {
                if (s.merged > 0) {
                    ++summaries;
                    QVERIFY(s.toNs - s.fromNs <= lane.summaryNs || s.merged == 1);
                    QVERIFY(s.blockedNs <= s.toNs - s.fromNs);
                    blocked += s.blockedNs;
                } else if (isBlocked(s.state)) {
                    blocked += s.toNs - s.fromNs;
                }
            }
            const std::uint64_t slot = last.workers[i].blockedNs;
            if (lane.lost > 0)
                continue; // lost events (a slow sampler): see lanesFollowTheEvents
            QVERIFY2(blocked + 1'000'000 >= slot && blocked <= slot + slot / 100 + 1'000'000,
                qPrintable(QString("%1: %2 ns waiting in the lane, %3 in the slot")
                               .arg(QString::fromStdString(lane.name))
                               .arg(blocked)
                               .arg(slot)));
        }
        QVERIFY(summaries > 0);
        QCOMPARE(timeline.lockLanes().size(), std::size_t(1));
        QCOMPARE(timeline.lockLanes()[0].spans.front().fromNs, exact.lockLanes()[0].spans.front().fromNs);
    }

    // A short window and a small budget: the spans kept stay within both, and what went is counted.
    void memoryIsBounded()
    {
        const std::size_t budget = 2000;
        Timeline timeline(200'000'000, budget);
        std::size_t mostKept = 0;
        runSampled("counter-race-locked", 1000, [&](const Snapshot& s) {
            timeline.add(s);
            mostKept = std::max(mostKept, timeline.spanCount());
        });
        if (QTest::currentTestFailed())
            return;
        QVERIFY(mostKept <= budget);
        std::uint64_t dropped = 0;
        std::size_t kept = 0;
        for (const Timeline::Lane& lane : timeline.lanes()) {
            dropped += lane.dropped;
            kept += lane.spans.size();
            QVERIFY(inOrder(lane));
            if (!lane.spans.empty())
                QVERIFY(lane.spans.front().toNs + 200'000'000 >= timeline.nowNs());
        }
        for (const Timeline::LockLane& lock : timeline.lockLanes())
            kept += lock.spans.size();
        QCOMPARE(kept, timeline.spanCount());
        QVERIFY(dropped > 0);
    }
};

QTEST_GUILESS_MAIN(TestTimeline)
#include "tst_timeline.moc"
