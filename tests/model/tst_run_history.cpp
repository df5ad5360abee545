// RunHistory stays bounded (record rate, retention), decimates without losing spikes and exports CSV.
#include "model/run_history.h"

#include <QBuffer>
#include <QtTest>

#include <cmath>

using ipcui::RunHistory;
using ipcui::SeriesKind;

Q_DECLARE_METATYPE(ipccore::TransportKind)

namespace {
ipccore::Snapshot snapshot(double t, std::uint64_t messages, std::int64_t depth, ipccore::WorkerState state)
{
    ipccore::Snapshot s;
    s.t = t;
    ipccore::WorkerStatus producer;
    producer.name = "p1";
    producer.messages = messages;
    producer.state = state;
    s.workers.push_back(producer);
    ipccore::ObjectStatus buffer;
    buffer.name = "buffer";
    buffer.transport = ipccore::TransportKind::ShmRing;
    buffer.capacity = 8;
    buffer.depth = depth;
    buffer.semaphores = { { "empty", "", int(8 - depth) }, { "full", "", int(depth) }, { "mutex", "", 1 } };
    s.objects.push_back(buffer);
    s.totalMsgsPerS = 100;
    return s;
}
} // namespace

class TestRunHistory : public QObject {
    Q_OBJECT
private slots:
    void createsOneSeriesPerWorkerObjectAndSemaphore()
    {
        RunHistory history;
        history.append(snapshot(0, 0, 0, ipccore::WorkerState::Running));
        QCOMPARE(history.seriesOfKind(SeriesKind::TotalThroughput).size(), 1);
        QCOMPARE(history.seriesOfKind(SeriesKind::WorkerThroughput).size(), 1);
        QCOMPARE(history.seriesOfKind(SeriesKind::Blocked).size(), 1);
        QCOMPARE(history.seriesOfKind(SeriesKind::Depth).size(), 1);
        QCOMPARE(history.seriesOfKind(SeriesKind::Semaphore).size(), 3);
        QCOMPARE(
            history.series(history.seriesOfKind(SeriesKind::Semaphore).at(0)).label, QStringLiteral("buffer.empty"));
    }

    // A worker or object on a worker host is named with it in the legends, as in the process table.
    void seriesOnAHostNameIt()
    {
        RunHistory history;
        ipccore::Snapshot s = snapshot(0, 0, 0, ipccore::WorkerState::Running);
        s.workers[0].host = "lab2";
        s.objects[0].host = "lab2";
        history.append(s);
        QCOMPARE(
            history.series(history.seriesOfKind(SeriesKind::WorkerThroughput).at(0)).label, QStringLiteral("p1@lab2"));
        QCOMPARE(history.series(history.seriesOfKind(SeriesKind::Blocked).at(0)).label, QStringLiteral("p1@lab2"));
        QCOMPARE(history.series(history.seriesOfKind(SeriesKind::Depth).at(0)).label, QStringLiteral("buffer@lab2"));
        QCOMPARE(history.series(history.seriesOfKind(SeriesKind::Semaphore).at(0)).label,
            QStringLiteral("buffer.empty@lab2"));
    }

    // An object on a worker host is listed before its host's first snapshot, with no semaphores: they get their
    // series when they come.
    void semaphoresThatComeLaterGetTheirSeries()
    {
        RunHistory history;
        ipccore::Snapshot s = snapshot(0, 0, 0, ipccore::WorkerState::Running);
        s.objects[0].host = "lab2";
        const std::vector<ipccore::SemaphoreValue> semaphores = s.objects[0].semaphores;
        s.objects[0].semaphores.clear();
        history.append(s);
        QCOMPARE(history.seriesOfKind(SeriesKind::Semaphore).size(), 0);
        const int seriesBefore = history.seriesCount();
        s.t = 0.5;
        s.objects[0].semaphores = semaphores;
        history.append(s);
        const QList<int> series = history.seriesOfKind(SeriesKind::Semaphore);
        QCOMPARE(series.size(), qsizetype(semaphores.size()));
        QCOMPARE(history.series(series.at(0)).label, QStringLiteral("buffer.empty@lab2"));
        QCOMPARE(history.latest(series.at(0)), double(semaphores[0].value));
        // Later snapshots, with them, without them (a lost host's), with them again: no series more.
        for (const bool with : { true, false, true }) {
            s.t += 0.5;
            s.objects[0].semaphores = with ? semaphores : std::vector<ipccore::SemaphoreValue> {};
            history.append(s);
            QCOMPARE(history.seriesOfKind(SeriesKind::Semaphore), series);
        }
        QCOMPARE(history.seriesCount(), seriesBefore + int(semaphores.size()));
    }

    void recordsAtMostRecordHz()
    {
        RunHistory history(20, 600);
        // 1000 Hz sampling for 2 s.
        for (int i = 0; i <= 2000; ++i)
            history.append(snapshot(i / 1000.0, std::uint64_t(i), i % 9, ipccore::WorkerState::Running));
        QVERIFY2(history.sampleCount() >= 38 && history.sampleCount() <= 42,
            qPrintable(QString::number(history.sampleCount())));
        // 1 message per ms = 1000 msgs/s, over the last second.
        QCOMPARE(qRound(history.workerRate(0)), 1000);
        // Only a producer: nothing has got through.
        QCOMPARE(qRound(history.totalRate()), 0);
    }

    // The total is what got through: what consumers received, or what was written to a shared value (where readers
    // do not consume). It meters the same counters as the workers' lines, so from the first second they agree.
    void totalCountsWhatGotThrough_data()
    {
        QTest::addColumn<ipccore::TransportKind>("transport");
        QTest::addColumn<int>("expected");
        QTest::newRow("ring: received") << ipccore::TransportKind::ShmRing << 400;
        QTest::newRow("shared value: written") << ipccore::TransportKind::ShmValue << 1000;
    }
    void totalCountsWhatGotThrough()
    {
        QFETCH(ipccore::TransportKind, transport);
        QFETCH(int, expected);
        RunHistory history(20, 600);
        for (int i = 0; i <= 500; ++i) { // 50 Hz for 10 s: the producer sends 1000/s, the consumer takes 400/s
            ipccore::Snapshot s = snapshot(i / 50.0, std::uint64_t(i) * 20, 0, ipccore::WorkerState::Running);
            s.workers[0].transport = transport;
            ipccore::WorkerStatus consumer;
            consumer.name = "c1";
            consumer.role = ipccore::Role::Consumer;
            consumer.transport = transport;
            consumer.messages = std::uint64_t(i) * 8;
            s.workers.push_back(consumer);
            history.append(s);
            if (i == 60) // 1.2 s in: the total already matches what the worker lines say
                QCOMPARE(qRound(history.totalRate()), expected);
        }
        QCOMPARE(qRound(history.totalRate()), expected);
    }

    // Each role's workers as one line: their rates summed, and the mean of the live ones' blocked time.
    void roleSeriesAddUpTheirWorkers()
    {
        RunHistory history(50, 600);
        for (int i = 0; i <= 150; ++i) { // 50 Hz for 3 s
            ipccore::Snapshot s = snapshot(i / 50.0, std::uint64_t(i) * 20, 0, ipccore::WorkerState::BlockedFull);
            ipccore::WorkerStatus second = s.workers[0]; // a second producer, 500 msgs/s, never blocked
            second.name = "p2";
            second.messages = std::uint64_t(i) * 10;
            second.state = ipccore::WorkerState::Running;
            s.workers.push_back(second);
            ipccore::WorkerStatus dead = second; // a third, dead and once blocked: not in the mean
            dead.name = "p3";
            dead.messages = 0;
            dead.alive = false;
            dead.state = i < 10 ? ipccore::WorkerState::BlockedFull : ipccore::WorkerState::Dead;
            s.workers.push_back(dead);
            ipccore::WorkerStatus consumer = second;
            consumer.name = "c1";
            consumer.role = ipccore::Role::Consumer;
            consumer.messages = std::uint64_t(i) * 4;
            s.workers.push_back(consumer);
            history.append(s);
        }
        const QList<int> rates = history.seriesOfKind(SeriesKind::RoleThroughput);
        const QList<int> blocked = history.seriesOfKind(SeriesKind::RoleBlocked);
        QCOMPARE(rates.size(), 2); // producers and consumers; no programs
        QCOMPARE(blocked.size(), 2);
        QCOMPARE(history.series(rates[0]).label, QStringLiteral("all producers"));
        QCOMPARE(history.series(rates[1]).role, ipccore::Role::Consumer);
        QCOMPARE(qRound(history.latest(rates[0])), 1500); // 1000 + 500 + 0
        QCOMPARE(qRound(history.latest(rates[1])), 200);
        QCOMPARE(qRound(history.latest(blocked[0])), 50); // p1 100 %, p2 0 %; p3 is dead
        QCOMPARE(qRound(history.latest(blocked[1])), 0);
    }

    void trimsToRetention()
    {
        RunHistory history(10, 5);
        for (int i = 0; i <= 600; ++i)
            history.append(snapshot(i / 10.0, std::uint64_t(i), 0, ipccore::WorkerState::Running));
        QVERIFY(history.firstTime() >= 55.0 - 1e-9);
        QCOMPARE(history.lastTime(), 60.0);
        QVERIFY(history.sampleCount() <= 52);
    }

    void decimationKeepsSpikes()
    {
        RunHistory history(1000, 600);
        for (int i = 0; i < 5000; ++i)
            history.append(snapshot(i / 1000.0, 0, i == 3333 ? 8 : 1, ipccore::WorkerState::Running));
        const int depth = history.seriesOfKind(SeriesKind::Depth).first();
        const QList<QPointF> points = history.points(depth, 0, 5, 200);
        QVERIFY(points.size() <= 200);
        double top = 0;
        for (const QPointF& p : points)
            top = std::max(top, p.y());
        QCOMPARE(top, 8.0);
        QCOMPARE(history.maxValue(depth, 0, 5), 8.0);
        // Points stay in time order.
        for (int i = 1; i < points.size(); ++i)
            QVERIFY(points[i].x() >= points[i - 1].x());
    }

    void blockedPercentFollowsSampledState()
    {
        RunHistory history(50, 600);
        for (int i = 0; i <= 100; ++i)
            history.append(snapshot(i / 50.0, 0, 8, ipccore::WorkerState::BlockedFull));
        QCOMPARE(qRound(history.workerBlockedPercent(0)), 100);
        for (int i = 101; i <= 200; ++i)
            history.append(snapshot(i / 50.0, 0, 8, ipccore::WorkerState::Running));
        QCOMPARE(qRound(history.workerBlockedPercent(0)), 0);
    }

    void csvHasAHeaderWithUnitsAndARowPerSample()
    {
        RunHistory history(10, 600);
        for (int i = 0; i < 10; ++i)
            history.append(snapshot(i / 10.0, std::uint64_t(i), 3, ipccore::WorkerState::Running));
        QBuffer buffer;
        QVERIFY(buffer.open(QIODevice::ReadWrite));
        QVERIFY(history.writeCsv(buffer));
        const QStringList lines = QString::fromUtf8(buffer.data()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 11);
        QVERIFY(lines.first().startsWith(QStringLiteral("t_s,throughput:total (msgs/s)")));
        QVERIFY(lines.first().contains(QStringLiteral("depth:buffer (messages)")));
        QCOMPARE(lines.at(1).count(QLatin1Char(',')), lines.first().count(QLatin1Char(',')));
    }

    // A broadcast (zmq-pub) holds a copy of each message for each subscriber yet to receive it: its depth is in copies.
    void broadcastDepthIsInCopies()
    {
        RunHistory history(10, 600);
        ipccore::Snapshot s = snapshot(0, 0, 3, ipccore::WorkerState::Running);
        s.objects[0].transport = ipccore::TransportKind::ZmqPub;
        s.objects[0].semaphores.clear();
        history.append(s);
        const QList<int> depth = history.seriesOfKind(SeriesKind::Depth);
        QCOMPARE(depth.size(), 1);
        QCOMPARE(history.series(depth.first()).unit, QStringLiteral("copies"));
        QBuffer buffer;
        QVERIFY(buffer.open(QIODevice::ReadWrite));
        QVERIFY(history.writeCsv(buffer));
        QVERIFY(QString::fromUtf8(buffer.data()).contains(QStringLiteral("depth:buffer (copies)")));
    }

    void clearStartsOver()
    {
        RunHistory history;
        history.append(snapshot(0, 0, 0, ipccore::WorkerState::Running));
        const auto revision = history.revision();
        history.clear();
        QCOMPARE(history.sampleCount(), std::size_t(0));
        QCOMPARE(history.seriesCount(), 1); // the total
        QVERIFY(history.revision() != revision);
    }
};

QTEST_GUILESS_MAIN(TestRunHistory)
#include "tst_run_history.moc"
