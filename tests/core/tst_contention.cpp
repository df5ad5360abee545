// Wait statistics (contention.h), pure: the log buckets' edges, percentiles read from them, and the sums per object
// and per worker that the run report and `--json` carry. The waits themselves are measured by real workers in
// tst_waits; here the arithmetic is checked against tables worked out by hand.
#include "ipccore/contention.h"

#include <QtTest>

using namespace ipccore;

namespace {

// One worker's waits of `ns` each on `object`, for `kind`.
WaitRecord record(const char* worker, const char* object, WaitKind kind, std::initializer_list<quint64> ns)
{
    WaitRecord r;
    r.worker = worker;
    r.object = object;
    r.kind = kind;
    r.what = std::string(object) + " " + waitKindName(kind);
    for (const quint64 n : ns)
        r.stats.add(n);
    return r;
}

} // namespace

class TestContention : public QObject {
    Q_OBJECT

private slots:
    void bucketEdges_data()
    {
        QTest::addColumn<quint64>("ns");
        QTest::addColumn<int>("bucket");
        QTest::newRow("0 ns") << quint64(0) << 0;
        QTest::newRow("255 ns") << quint64(255) << 0;
        QTest::newRow("256 ns, first octave") << quint64(256) << 1;
        QTest::newRow("383 ns, its lower half") << quint64(383) << 1;
        QTest::newRow("384 ns, its upper half") << quint64(384) << 2;
        QTest::newRow("511 ns") << quint64(511) << 2;
        QTest::newRow("512 ns") << quint64(512) << 3;
        QTest::newRow("1 ms = 2^19.93") << quint64(1'000'000) << 1 + 2 * (19 - 8) + 1;
        QTest::newRow("2^34 ns, last octave") << (quint64(1) << 34) << 53;
        QTest::newRow("2^35 ns, beyond") << (quint64(1) << 35) << 55;
        QTest::newRow("an hour") << quint64(3'600'000'000'000ull) << 55;
    }
    void bucketEdges()
    {
        QFETCH(quint64, ns);
        QFETCH(int, bucket);
        QCOMPARE(int(WaitHistogram::bucketOf(ns)), bucket);
        // The bucket's edges hold the wait, and consecutive buckets meet.
        QVERIFY(WaitHistogram::lowerNs(std::size_t(bucket)) <= ns);
        QVERIFY(ns < WaitHistogram::upperNs(std::size_t(bucket)));
        if (bucket > 0)
            QCOMPARE(WaitHistogram::upperNs(std::size_t(bucket - 1)), WaitHistogram::lowerNs(std::size_t(bucket)));
    }

    void bucketsAreAtMostSqrtTwoWide()
    {
        for (std::size_t b = 1; b + 1 < WaitHistogram::Buckets; ++b) {
            const double ratio = double(WaitHistogram::upperNs(b)) / double(WaitHistogram::lowerNs(b));
            QVERIFY2(ratio <= 1.5 + 1e-9, qPrintable(QString("bucket %1: %2").arg(b).arg(ratio)));
        }
    }

    void percentiles_data()
    {
        QTest::addColumn<QList<quint64>>("waits");
        QTest::addColumn<double>("p");
        QTest::addColumn<quint64>("expected");
        // 100 waits of 1 us and one of 10 ms: p50 and p99 are the short ones' bucket edge (1024 ns), max the long one.
        QList<quint64> mostlyShort(100, 1000);
        mostlyShort << 10'000'000;
        QTest::newRow("p50 of mostly 1 us") << mostlyShort << 0.5 << quint64(1024);
        QTest::newRow("p99 of mostly 1 us") << mostlyShort << 0.99 << quint64(1024);
        QTest::newRow("p100 is the longest wait") << mostlyShort << 1.0 << quint64(10'000'000);
        // A bucket's upper edge is never reported beyond the longest wait seen.
        QTest::newRow("one wait") << QList<quint64> { 700 } << 0.5 << quint64(700);
        QTest::newRow("no waits") << QList<quint64> {} << 0.5 << quint64(0);
        // Half at 300 ns, half at 3 ms: p50 is the lower half's bucket edge (384 ns), p90 the upper one's.
        QList<quint64> twoHumps(50, 300);
        twoHumps << QList<quint64>(50, 3'000'000);
        QTest::newRow("p50 of two humps") << twoHumps << 0.5 << quint64(384);
        QTest::newRow("p90 of two humps") << twoHumps << 0.9 << quint64(3'000'000);
    }
    void percentiles()
    {
        QFETCH(QList<quint64>, waits);
        QFETCH(double, p);
        QFETCH(quint64, expected);
        WaitStats stats;
        for (const quint64 ns : waits)
            stats.add(ns);
        QCOMPARE(quint64(stats.percentileNs(p)), expected);
        QCOMPARE(stats.waits, quint64(waits.size()));
    }

    void mergeAddsEverything()
    {
        WaitStats a, b;
        a.add(1000);
        a.add(5000);
        b.add(2'000'000);
        a.merge(b);
        QCOMPARE(a.waits, 3ull);
        QCOMPARE(a.totalNs, 2'006'000ull);
        QCOMPARE(a.maxNs, 2'000'000ull);
        QCOMPARE(a.meanNs(), 2'006'000.0 / 3);
        quint64 counted = 0;
        for (const auto n : a.histogram)
            counted += n;
        QCOMPARE(counted, 3ull);
    }

    // Per object and kind, the longest total first; per worker, every record's waits and the blocked time given.
    void contentionAddsUpPerObjectAndWorker()
    {
        const std::vector<WaitRecord> records {
            record("p1", "buffer", WaitKind::Room, { 1000, 2000 }), record("p2", "buffer", WaitKind::Room, { 3000 }),
            record("p1", "buffer", WaitKind::Lock, { 50 }), record("c1", "results", WaitKind::Data, { 1'000'000 }),
            record("c2", "results", WaitKind::Data, {}), // no waits: no row, no waiter
        };
        // The same object and kind, given up: a row of its own.
        std::vector<WaitRecord> withTimeouts = records;
        withTimeouts.push_back(record("p2", "buffer", WaitKind::Room, { 100 }));
        withTimeouts.back().gaveUp = true;
        QCOMPARE(contentionOf(withTimeouts, {}).objects.size(), std::size_t(4));
        const Contention split = contentionOf(withTimeouts, {});
        QCOMPARE(std::count_if(split.objects.begin(), split.objects.end(),
                     [](const ObjectContention& o) { return o.object == "buffer" && o.gaveUp && o.stats.waits == 1; }),
            1);
        const Contention c = contentionOf(records, { { "p1", 0, 0, 3050, 0 }, { "p2", 0, 0, 3000, 2 } });
        QCOMPARE(c.objects.size(), std::size_t(3));
        QCOMPARE(c.objects[0].object, std::string("results")); // 1 ms in all, the most
        QCOMPARE(c.objects[0].waiters, std::vector<std::string> { "c1" });
        QCOMPARE(c.objects[1].object, std::string("buffer"));
        QCOMPARE(c.objects[1].kind, WaitKind::Room);
        QCOMPARE(c.objects[1].stats.waits, 3ull);
        QCOMPARE(c.objects[1].stats.totalNs, 6000ull);
        QCOMPARE(c.objects[1].waiters, (std::vector<std::string> { "p1", "p2" }));
        QCOMPARE(c.objects[2].kind, WaitKind::Lock);
        // Workers keep the order given, and one not given (c1) is added after them.
        QCOMPARE(c.workers.size(), std::size_t(3));
        QCOMPARE(c.workers[0].worker, std::string("p1"));
        QCOMPARE(c.workers[0].waits, 3ull);
        QCOMPARE(c.workers[0].waitNs, 3050ull);
        QCOMPARE(c.workers[0].blockedNs, 3050ull);
        QCOMPARE(c.workers[1].untracked, 2ull);
        QCOMPARE(c.workers[2].worker, std::string("c1"));
        QVERIFY(!contentionOf({}, {}).any());
    }

    // A worker host's waits added to this machine's (the Waits tables of a run across machines): the same object,
    // kind and giving up is one row, its statistics merged and its waiters after these; the rest are rows of their
    // own, all ordered again by total wait; the host's workers after these; holds of one object are one.
    void anotherMachinesWaitsAreAdded()
    {
        WaitRecord held = record("p1", "wire", WaitKind::Lock, { 500 });
        held.hold = true;
        Contention here
            = contentionOf({ record("p1", "wire", WaitKind::Room, { 1000 }), held }, { { "p1", 0, 0, 1000, 0 } });
        WaitRecord heldThere = record("c1@lab2", "wire", WaitKind::Lock, { 700 });
        heldThere.hold = true;
        const Contention there = contentionOf({ record("c1@lab2", "wire", WaitKind::Room, { 4000 }),
                                                  record("c1@lab2", "far", WaitKind::Data, { 2000 }), heldThere },
            { { "c1@lab2", 0, 0, 6000, 0 } });
        addContention(here, there);
        QCOMPARE(here.objects.size(), std::size_t(2));
        QCOMPARE(here.objects[0].object, std::string("wire")); // 5 µs in all, the most
        QCOMPARE(here.objects[0].stats.waits, 2ull);
        QCOMPARE(here.objects[0].stats.totalNs, 5000ull);
        QCOMPARE(here.objects[0].stats.maxNs, 4000ull);
        QCOMPARE(here.objects[0].waiters, (std::vector<std::string> { "p1", "c1@lab2" }));
        QCOMPARE(here.objects[1].object, std::string("far"));
        QCOMPARE(here.workers.size(), std::size_t(2));
        QCOMPARE(here.workers[1].worker, std::string("c1@lab2"));
        QCOMPARE(here.workers[1].waitNs, 6000ull);
        QCOMPARE(here.holds.size(), std::size_t(1));
        QCOMPARE(here.holds[0].stats.totalNs, 1200ull);
        QCOMPARE(here.holds[0].holders, (std::vector<std::string> { "p1", "c1@lab2" }));
    }

    // A worker started again under its old name is a second worker of that name: a sample's records carry the index
    // of the worker they came from, so each one's waits stay its own, whatever order the records come in.
    void workersOfOneNameKeepTheirOwnWaits()
    {
        const WaitRecord second = record("consumer", "q", WaitKind::Data, { 1000, 1000 }),
                         first = record("consumer", "q", WaitKind::Data, { 7000, 7000, 7000, 7000, 7000 });
        const std::vector<WorkerContention> workers { { "consumer", 0, 0, 35'000, 0 }, { "consumer", 0, 0, 2000, 0 } };
        for (const bool secondFirst : { true, false }) {
            const std::vector<WorkerWaitRecord> records = secondFirst
                ? std::vector<WorkerWaitRecord> { { &second, 1 }, { &first, 0 } }
                : std::vector<WorkerWaitRecord> { { &first, 0 }, { &second, 1 } };
            const Contention c = contentionOfPointers(records, workers);
            QCOMPARE(c.workers.size(), std::size_t(2));
            QCOMPARE(c.workers[0].waits, 5ull);
            QCOMPARE(c.workers[0].waitNs, 35'000ull);
            QCOMPARE(c.workers[1].waits, 2ull);
            QCOMPARE(c.workers[1].waitNs, 2000ull);
            QCOMPARE(c.objects.size(), std::size_t(1));
            QCOMPARE(c.objects[0].stats.waits, 7ull);
            QCOMPARE(c.objects[0].waiters, std::vector<std::string> { "consumer" });
        }
        // Records that name their worker only go to the first of that name.
        const Contention byName = contentionOf({ second, first }, workers);
        QCOMPARE(byName.workers[0].waits, 7ull);
        QCOMPARE(byName.workers[1].waits, 0ull);
    }
};

QTEST_GUILESS_MAIN(TestContention)
#include "tst_contention.moc"
