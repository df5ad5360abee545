// The controls of a worker that runs on a worker host, through the controller's Runner as the window and the CLI use
// it: a host in this process (HostServer on 127.0.0.1) runs a producer and a consumer; pausing the consumer stops
// it there (its state, its count, the ring filling up behind it), resuming lets it go on, a new rate, size and work
// reach the host and the producer slows, a bad value is refused at once, a kill and a terminate end the workers (and
// a control of an ended one is refused), and a host that no longer answers refuses controls with the reason. A
// consumer paused on a host still takes, at the stop, all that this machine's producers sent it over ZeroMQ. Nothing
// is left behind. (What a host refuses itself is in tst_hosts, with a controller's raw messages.)
#include "test_support.h"

#include "ipccore/host.h"
#include "ipccore/runner.h"
#include "ipccore/scenario.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

using namespace ipccore;

namespace {

const WorkerStatus* workerNamed(const Snapshot& s, const std::string& name)
{
    for (const WorkerStatus& w : s.workers)
        if (w.name == name)
            return &w;
    return nullptr;
}

const ObjectStatus* objectNamed(const Snapshot& s, const std::string& name)
{
    for (const ObjectStatus& o : s.objects)
        if (o.name == name)
            return &o;
    return nullptr;
}

// A worker host in this process, serving on 127.0.0.1 until stopServing() or its end, with both sides' key pairs in
// a folder of its own; scenarioFile() writes a scenario there that names it lab2 (its "%1" is the endpoint).
class InProcessHost {
public:
    InProcessHost()
    {
        const std::string folder = m_dir.path().toStdString() + "/";
        if (!m_dir.isValid() || !writeKeyPair(folder + "host") || !writeKeyPair(folder + "controller")) {
            m_error = "cannot write the key pairs";
            return;
        }
        auto host = HostServer::listen({ "tcp://127.0.0.1:*", folder + "host.key", { folder + "controller.pub" } });
        if (!host) {
            m_error = host.error().message();
            return;
        }
        m_host = std::move(*host);
        m_serving = std::thread([this] { m_host->serve(m_stop, [](const std::string&) {}); });
    }
    ~InProcessHost()
    {
        stopServing();
        m_host.reset(); // stops the host's run, which removes its objects
    }
    const std::string& error() const { return m_error; }
    void stopServing()
    {
        m_stop = true;
        if (m_serving.joinable())
            m_serving.join();
    }
    std::string scenarioFile(const QString& text)
    {
        QFile file(m_dir.filePath(QStringLiteral("scenario.json")));
        const QByteArray bytes = text.arg(QString::fromStdString(m_host->endpoint())).toUtf8();
        if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
            return {};
        return file.fileName().toStdString();
    }

private:
    QTemporaryDir m_dir;
    std::string m_error;
    std::unique_ptr<HostServer> m_host;
    std::atomic<bool> m_stop { false };
    std::thread m_serving; // last: it uses the rest
};

} // namespace

class TestHostControls : public QObject {
    Q_OBJECT

    QTemporaryDir m_runtime;
    std::string m_events; // every run event seen, one a line

    // Samples until `done` holds (every 20 ms, at most `ms`); the last snapshot in `last`.
    bool sampleUntil(Runner& r, int ms, const std::function<bool(const Snapshot&)>& done, Snapshot& last)
    {
        QElapsedTimer clock;
        clock.start();
        do {
            last = r.sample();
            for (const RunEvent& e : last.events)
                m_events += e.text + "\n";
            if (done(last))
                return true;
            QTest::qWait(20);
        } while (clock.elapsed() < ms);
        return false;
    }

    // A scenario in the host's folder: one zmq-tcp object "wire" between machines, the producer "p-here" here at
    // `rate` messages a second, the consumer "c-there" on the host.
    static std::string wireAcross(InProcessHost& host, const char* name, int rate)
    {
        // "%1" is left for scenarioFile(): the host's endpoint.
        return host.scenarioFile(QString("{ \"name\": \"") + QString::fromLatin1(name)
            + "\", \"duration_s\": 60, \"controller_key\": \"controller.key\", "
              "\"hosts\": [ { \"name\": \"lab2\", \"endpoint\": \"%1\", \"key\": \"host.pub\" } ], "
              "\"objects\": [ { \"name\": \"wire\", \"transport\": \"zmq-tcp\", \"capacity\": 8, "
              "\"message_size\": 64 } ], "
              "\"workers\": [ { \"name\": \"p-here\", \"role\": \"producer\", \"object\": \"wire\", "
              "\"rate\": "
            + QString::number(rate)
            + " }, { \"name\": \"c-there\", \"role\": \"consumer\", \"object\": \"wire\", "
              "\"host\": \"lab2\" } ] }");
    }

    // Starts the scenario in `file` and samples until `consumer` has received more than `messages`.
    void startUntilReceived(const std::string& file, const std::string& consumer, std::uint64_t messages,
        std::unique_ptr<Runner>& runner, Snapshot& last)
    {
        QVERIFY(!file.empty());
        auto scenario = loadScenarioFile(file);
        QVERIFY2(scenario, scenario ? "" : scenario.error().message().c_str());
        auto started = Runner::start(*scenario);
        QVERIFY2(started, started ? "" : started.error().message().c_str());
        runner = std::move(*started);
        QVERIFY2(sampleUntil(
                     *runner, 10000,
                     [&](const Snapshot& x) {
                         const WorkerStatus* c = workerNamed(x, consumer);
                         return c && c->messages > messages;
                     },
                     last),
            m_events.c_str());
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        qputenv("XDG_RUNTIME_DIR", m_runtime.path().toLocal8Bit());
    }
    void cleanupTestCase() { QCOMPARE(ipctest::leftoversOfThisProcess(), QStringList()); }

    void aHostsWorkersArePausedTunedAndKilledFromHere()
    {
        InProcessHost host;
        QVERIFY2(host.error().empty(), host.error().c_str());
        // Escaped, not a raw string: moc misreads "//" inside one.
        const QString text = QString("{ \"name\": \"controls-on-a-host\", \"duration_s\": 60, "
                                     "\"controller_key\": \"controller.key\", "
                                     "\"hosts\": [ { \"name\": \"lab2\", \"endpoint\": \"%1\", "
                                     "\"key\": \"host.pub\" } ], "
                                     "\"objects\": [ { \"name\": \"near\", \"transport\": \"mq\", "
                                     "\"capacity\": 8, \"message_size\": 64 }, "
                                     "{ \"name\": \"far\", \"transport\": \"shm-ring\", "
                                     "\"capacity\": 8, \"message_size\": 64 } ], "
                                     "\"workers\": [ "
                                     "{ \"name\": \"p-near\", \"role\": \"producer\", \"object\": \"near\", "
                                     "\"rate\": 500 }, "
                                     "{ \"name\": \"c-near\", \"role\": \"consumer\", \"object\": \"near\" }, "
                                     "{ \"name\": \"p-far\", \"role\": \"producer\", \"object\": \"far\", "
                                     "\"host\": \"lab2\", \"rate\": 2000 }, "
                                     "{ \"name\": \"c-far\", \"role\": \"consumer\", \"object\": \"far\", "
                                     "\"host\": \"lab2\" } ] }");
        std::unique_ptr<Runner> runner;
        Snapshot s;
        startUntilReceived(host.scenarioFile(text), "c-far", 50, runner, s);
        if (QTest::currentTestFailed())
            return;
        Runner& r = *runner;
        const std::size_t consumer = ipctest::workerIndex(s, "c-far");
        const std::size_t producer = ipctest::workerIndex(s, "p-far");
        QCOMPARE(s.workers[consumer].host, std::string("lab2"));

        // Paused there: shown paused, its count stands still, and the ring fills up behind it. (SIGSTOP may land
        // while it holds the ring's lock: the producer then waits for the lock, not for room; resume and pause
        // again, as a student would.)
        QVERIFY(r.pauseWorker(consumer));
        bool full = false;
        for (int attempt = 0; attempt < 5 && !full; ++attempt) {
            full = sampleUntil(
                r, 10000,
                [&](const Snapshot& x) {
                    const ObjectStatus* far = objectNamed(x, "far");
                    return x.workers[consumer].state == WorkerState::Paused
                        && ((far && far->depth == 8 && x.workers[producer].state == WorkerState::BlockedFull)
                            || (x.workers[producer].state == WorkerState::WaitingLock
                                && x.workers[producer].stateSeconds > 0.5));
                },
                s);
            if (full && s.workers[producer].state == WorkerState::WaitingLock) {
                full = false;
                QVERIFY(r.resumeWorker(consumer));
                QTest::qWait(50);
                QVERIFY(r.pauseWorker(consumer));
            }
        }
        QVERIFY2(full,
            (workerStateName(s.workers[consumer].state) + std::string(" / ")
                + workerStateName(s.workers[producer].state) + "\n" + m_events)
                .c_str());
        const std::uint64_t pausedAt = s.workers[consumer].messages;
        QTest::qWait(500);
        s = r.sample();
        QCOMPARE(s.workers[consumer].messages, pausedAt);
        QCOMPARE(s.workers[consumer].state, WorkerState::Paused);
        // When the pause began comes across too (the timeline draws it), in this machine's clock.
        const std::uint64_t pausedSince = s.workers[consumer].pausedSinceNs;
        QVERIFY2(pausedSince >= s.startNs && pausedSince + 500'000'000 <= s.nowNs,
            qPrintable(QString::number(qint64(s.nowNs - pausedSince))));

        // Resumed: it takes messages again.
        QVERIFY(r.resumeWorker(consumer));
        QVERIFY(sampleUntil(
            r, 10000,
            [&](const Snapshot& x) {
                return x.workers[consumer].state != WorkerState::Paused && x.workers[consumer].messages > pausedAt + 50;
            },
            s));
        QCOMPARE(s.workers[consumer].pausedSinceNs, std::uint64_t(0));
        QVERIFY(s.workers[consumer].resumedNs > pausedSince);

        // A new rate, size and work, applied there: the host's snapshots show them, and the producer slows.
        QVERIFY(r.setRate(producer, 20));
        QVERIFY(r.setMessageSize(producer, 48));
        QVERIFY(r.setWorkUs(consumer, 700));
        QVERIFY2(sampleUntil(
                     r, 10000,
                     [&](const Snapshot& x) {
                         return x.workers[producer].rate == 20.0 && x.workers[producer].messageSize == 48
                             && x.workers[consumer].workUs == 700;
                     },
                     s),
            m_events.c_str());
        QTest::qWait(1000); // what was queued drains
        s = r.sample();
        const std::uint64_t before = s.workers[producer].messages;
        QTest::qWait(1500);
        s = r.sample();
        const std::uint64_t sent = s.workers[producer].messages - before;
        qInfo("p-far sent %llu messages in 1.5 s at 20 a second", static_cast<unsigned long long>(sent));
        // 30 expected. Both counts are the host's latest snapshots as this machine last received them, and under
        // TSan in CI the first was most of a second old (47 seen), so the bound is loose; at the old 2000 a second
        // it would be ~3000.
        QVERIFY2(sent >= 5 && sent <= 90, qPrintable(QString::number(sent)));

        // Values no worker takes are refused here, at once, with the reason; the worker keeps what it had.
        const Status negative = r.setRate(producer, -5);
        QVERIFY(!negative);
        QVERIFY2(!negative.error().message().empty(), negative.error().message().c_str());
        const Status tooBig = r.setMessageSize(producer, 1u << 20);
        QVERIFY(!tooBig);
        qInfo("%s", tooBig.error().message().c_str());
        QTest::qWait(300);
        s = r.sample();
        QCOMPARE(s.workers[producer].rate, 20.0);
        QCOMPARE(s.workers[producer].messageSize, 48u);

        // Killed there: shown dead; then a control of it is refused at once, as for a worker here.
        QVERIFY(r.killWorker(consumer));
        QVERIFY(sampleUntil(
            r, 10000, [&](const Snapshot& x) { return !x.workers[consumer].alive; }, s));
        QCOMPARE(s.workers[consumer].state, WorkerState::Dead);
        const Status ended = r.pauseWorker(consumer);
        QVERIFY(!ended);
        QVERIFY2(
            ended.error().message().find("no longer running") != std::string::npos, ended.error().message().c_str());
        // Terminated there: it finishes the message in hand and ends.
        QVERIFY(r.terminateWorker(producer));
        QVERIFY(sampleUntil(
            r, 10000, [&](const Snapshot& x) { return !x.workers[producer].alive; }, s));

        // A host that no longer answers: its workers cannot be reached, and a control says so at once. (A slow
        // machine may have seen it silent for a while earlier, and answering again: the latest word is what counts.)
        host.stopServing();
        const auto silentNow = [&](const Snapshot&) {
            const std::size_t silent = m_events.rfind("stopped answering");
            const std::size_t again = m_events.rfind("answers again");
            return silent != std::string::npos && (again == std::string::npos || again < silent);
        };
        QVERIFY2(sampleUntil(r, 10000, silentNow, s), m_events.c_str());
        const Status unreachable = r.pauseWorker(producer);
        QVERIFY(!unreachable);
        QVERIFY2(unreachable.error().message().find("does not answer") != std::string::npos,
            (unreachable.error().message() + "\n" + m_events).c_str());
        // A paused consumer is a stall, never a deadlock: not even in the moment after its resume, while its slot
        // still shows the wait it was paused in.
        QVERIFY2(m_events.find("Deadlock") == std::string::npos, m_events.c_str());
        // The workers here are still controlled as before.
        QVERIFY(r.pauseWorker(ipctest::workerIndex(s, "c-near")));
        QVERIFY(r.resumeWorker(ipctest::workerIndex(s, "c-near")));

        r.stop();
        runner.reset();
    }

    // ZeroMQ between machines: the consumer on the host paused, the producer here fills the queues toward it. At the
    // stop it is resumed first and takes everything, so the books balance exactly. (Left paused, it was resumed only
    // by its host's own stop: the books still balanced here, but the stop first held the producer for the whole
    // settling limit.)
    void aPausedConsumerOnAHostTakesAllThatWasSentByTheStop()
    {
        InProcessHost host;
        QVERIFY2(host.error().empty(), host.error().c_str());
        const std::string file = wireAcross(host, "paused-across", 5000);
        std::unique_ptr<Runner> runner;
        Snapshot s;
        startUntilReceived(file, "c-there", 100, runner, s);
        if (QTest::currentTestFailed())
            return;
        Runner& r = *runner;
        const std::size_t consumer = ipctest::workerIndex(s, "c-there");
        QVERIFY(r.pauseWorker(consumer));
        QVERIFY(sampleUntil(
            r, 10000, [&](const Snapshot& x) { return x.workers[consumer].state == WorkerState::Paused; }, s));
        QTest::qWait(700); // the producer sends on into ZeroMQ's queues and the socket buffers
        s = r.sample();
        const std::uint64_t sentByNow = s.workers[ipctest::workerIndex(s, "p-here")].messages;
        QVERIFY2(sentByNow > s.workers[consumer].messages + 100,
            qPrintable(QString("%1 sent, %2 received").arg(sentByNow).arg(s.workers[consumer].messages)));
        const Report report = r.stop();
        runner.reset();
        std::string workers;
        for (const WorkerSummary& w : report.workers)
            workers += w.name + ": " + std::to_string(w.messages) + " " + w.exitText + "; ";
        QVERIFY2(report.integrity.exact, workers.c_str());
        QCOMPARE(report.workers.size(), std::size_t(2));
        QCOMPARE(report.workers[1].messages, report.workers[0].messages);
    }

    // Its producer here paused, the host's consumer of an object between machines waits for data: the host cannot
    // see the producer (nor whether it is held by a pause or by step mode), so it must not say that nobody puts into
    // the object ("Stalled: ... no other process ... puts into it", seen in a new-user trial with step mode on).
    void aHostDoesNotCallAWaitForProducersElsewhereAStall()
    {
        InProcessHost host;
        QVERIFY2(host.error().empty(), host.error().c_str());
        const std::string file = wireAcross(host, "held-here", 500);
        std::unique_ptr<Runner> runner;
        Snapshot s;
        startUntilReceived(file, "c-there", 50, runner, s);
        if (QTest::currentTestFailed())
            return;
        Runner& r = *runner;
        const std::size_t producer = ipctest::workerIndex(s, "p-here");
        const std::size_t consumer = ipctest::workerIndex(s, "c-there");
        m_events.clear();
        QVERIFY(r.pauseWorker(producer));
        // The consumer there waits for data; a wait that nothing here can end is judged after 2 s of it.
        QElapsedTimer blocked;
        QVERIFY(sampleUntil(
            r, 10000,
            [&](const Snapshot& x) {
                if (x.workers[consumer].state != WorkerState::BlockedEmpty)
                    blocked.invalidate();
                else if (!blocked.isValid())
                    blocked.start();
                return blocked.isValid() && blocked.elapsed() > 3500;
            },
            s));
        QVERIFY2(m_events.find("Stalled") == std::string::npos, m_events.c_str());
        QVERIFY(r.resumeWorker(producer));
        const Report report = r.stop();
        runner.reset();
        QVERIFY(report.integrity.exact);
    }

    // A broadcast wholly on a host (zmq-pub there): its slow subscriber is named here as the one furthest behind, as
    // the host's snapshots tell it, and its books in copies come back exact.
    void aBroadcastOnAHostNamesItsSlowSubscriber()
    {
        InProcessHost host;
        QVERIFY2(host.error().empty(), host.error().c_str());
        const QString text = QString("{ \"name\": \"broadcast-on-a-host\", \"duration_s\": 60, "
                                     "\"controller_key\": \"controller.key\", "
                                     "\"hosts\": [ { \"name\": \"lab2\", \"endpoint\": \"%1\", "
                                     "\"key\": \"host.pub\" } ], "
                                     "\"objects\": [ { \"name\": \"news\", \"transport\": \"zmq-pub\", "
                                     "\"capacity\": 8, \"message_size\": 64 } ], "
                                     "\"workers\": [ "
                                     "{ \"name\": \"pub\", \"role\": \"producer\", \"object\": \"news\", "
                                     "\"host\": \"lab2\", \"rate\": 2000 }, "
                                     "{ \"name\": \"fast\", \"role\": \"consumer\", \"object\": \"news\", "
                                     "\"host\": \"lab2\" }, "
                                     "{ \"name\": \"slow\", \"role\": \"consumer\", \"object\": \"news\", "
                                     "\"host\": \"lab2\", \"work_us\": 900 } ] }");
        std::unique_ptr<Runner> runner;
        Snapshot s;
        startUntilReceived(host.scenarioFile(text), "slow", 50, runner, s);
        if (QTest::currentTestFailed())
            return;
        // The slow one falls behind by more than its queue (8) holds: the publisher waits for it.
        QVERIFY2(sampleUntil(
                     *runner, 10000,
                     [](const Snapshot& x) {
                         const ObjectStatus* news = objectNamed(x, "news");
                         return news && news->furthestBehind == "slow" && news->furthestBehindBy > 8;
                     },
                     s),
            m_events.c_str());
        const ObjectStatus& news = *objectNamed(s, "news");
        QCOMPARE(news.host, std::string("lab2"));
        QCOMPARE(news.furthestBehindBy,
            std::int64_t(workerNamed(s, "fast")->messages) - std::int64_t(workerNamed(s, "slow")->messages));
        const Report report = runner->stop();
        runner.reset();
        QVERIFY(report.integrity.exact);
        QCOMPARE(report.workers.size(), std::size_t(3));
        const std::uint64_t sent = report.workers[0].messages;
        QCOMPARE(report.workers[1].messages, sent);
        QCOMPARE(report.workers[2].messages, sent);
        QCOMPARE(report.integrity.received, 2 * sent);
    }
};

QTEST_GUILESS_MAIN(TestHostControls)
#include "tst_host_controls.moc"
