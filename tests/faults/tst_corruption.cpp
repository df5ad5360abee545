// Corrupt shared memory while workers run: garbage in ring slots, in the shared value, in the ring's header and in
// a telemetry slot. Readers must detect it (checksums, lengths, index bounds), count it, and never crash or read
// out of bounds; the runner keeps sampling, reports the damage (the ledger is not exact) and cleans up.
#include "test_support.h"

#include "ipccore/channel.h"
#include "ipccore/runner.h"
#include "ipccore/shared_memory.h"

#include <QElapsedTimer>
#include <QtTest>

#include <cstring>
#include <random>

using namespace ipccore;

namespace {

Scenario corruptionScenario()
{
    Scenario s;
    s.name = "corruption";
    s.sampleHz = 100;
    s.objects.push_back({ "ring", TransportKind::ShmRing, 8, 64 });
    s.objects.push_back({ "value", TransportKind::ShmValue, 1, 64 });
    s.objects.push_back({ "spsc", TransportKind::ShmSpsc, 8, 64 });
    for (const char* o : { "ring", "value", "spsc" }) {
        WorkerSpec p;
        p.name = std::string(o) + "-producer";
        p.role = Role::Producer;
        p.object = o;
        p.rate = 2000;
        WorkerSpec c = p;
        c.name = std::string(o) + "-consumer";
        c.role = Role::Consumer;
        c.rate = 0;
        s.workers.push_back(p);
        s.workers.push_back(c);
    }
    return s;
}

const WorkerStatus* find(const Snapshot& s, const std::string& name)
{
    for (const WorkerStatus& w : s.workers) {
        if (w.name == name)
            return &w;
    }
    return nullptr;
}

void scribble(std::byte* p, std::size_t n, std::mt19937& rng)
{
    for (std::size_t i = 0; i < n; ++i)
        p[i] = std::byte(rng() & 0xFF);
}

} // namespace

class TestCorruption : public QObject {
    Q_OBJECT
private slots:
    void garbageIsDetectedNotTrusted()
    {
        RunOptions options;
        options.workerPath = ipctest::workerPath().toStdString();
        auto runner = Runner::start(corruptionScenario(), options);
        QVERIFY2(runner, runner ? "" : runner.error().message().c_str());
        Runner& r = **runner;
        const std::string prefix = r.prefix();
        QTRY_VERIFY_WITH_TIMEOUT(r.sample().ledger.received > 100, 30000);

        std::mt19937 rng(12345);
        auto ring = SharedMemory::open(prefix + "ring", Access::ReadWrite);
        auto value = SharedMemory::open(prefix + "value", Access::ReadWrite);
        auto spsc = SharedMemory::open(prefix + "spsc", Access::ReadWrite);
        auto board = SharedMemory::open(prefix + "board", Access::ReadWrite);
        QVERIFY(ring && value && spsc && board);

        // 1. Garbage in the payload areas while traffic flows: slots of both rings and the shared value. A scribble
        // is seen only if it lands on a frame between its write and its check (microseconds at 2000 msgs/s), so
        // scribble until each consumer has seen one, for up to 30 s: a fixed half second sometimes caught none on a
        // loaded machine.
        QElapsedTimer t;
        t.start();
        auto allSeenCorruption = [&r] {
            const Snapshot s = r.sample();
            return find(s, "ring-consumer")->corrupt > 0 && find(s, "spsc-consumer")->corrupt > 0
                && find(s, "value-consumer")->corrupt > 0;
        };
        while (t.elapsed() < 30000 && (t.elapsed() < 500 || !allSeenCorruption())) {
            auto* ringSlots = static_cast<std::byte*>(ring->data()) + shmlayout::RingHeaderBytes;
            scribble(ringSlots, ring->size() - shmlayout::RingHeaderBytes, rng);
            auto* spscSlots = static_cast<std::byte*>(spsc->data()) + shmlayout::SpscHeaderBytes;
            scribble(spscSlots, spsc->size() - shmlayout::SpscHeaderBytes, rng);
            scribble(static_cast<std::byte*>(value->data()) + shmlayout::ValueHeaderBytes, 64, rng);
            (void)r.sample();
            QTest::qWait(2);
        }
        QTRY_VERIFY_WITH_TIMEOUT(find(r.sample(), "ring-consumer")->corrupt > 0, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(find(r.sample(), "spsc-consumer")->corrupt > 0, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(find(r.sample(), "value-consumer")->corrupt > 0, 30000);

        // 2. Garbage in a telemetry slot (the runner reads it): sampling must go on without crashing.
        // The value reader's slot (index 3): its garbage controls may well stop it, which is fine; the ring's
        // workers must keep running for step 3.
        auto* boardSlots = static_cast<std::byte*>(board->data()) + 64 + 3 * sizeof(WorkerSlot);
        scribble(boardSlots, sizeof(WorkerSlot), rng);
        for (int i = 0; i < 20; ++i) {
            const Snapshot s = r.sample();
            QCOMPARE(s.workers.size(), std::size_t(6));
            for (const WorkerStatus& w : s.workers)
                QVERIFY(w.blockedFraction >= 0 && w.blockedFraction <= 1);
            QTest::qWait(5);
        }

        // 3. Garbage in the ring's indices: its workers see impossible indices, say so and stop; others go on.
        auto* header = static_cast<shmlayout::RingHeader*>(ring->data());
        header->head.store(0xFFFF'FFFF'0000'0000ull);
        header->tail.store(0x1234'5678ull);
        // Whichever of the two reads the indices next stops with an error: usually the producer at its next
        // message, while the consumer, with no further "full" token coming, waits; but a consumer that already held
        // a token reads them first, stops, and leaves the producer waiting on "empty" for a slot nobody frees.
        auto damageSeen = [&] {
            const Snapshot s = r.sample();
            return !find(s, "ring-producer")->alive || !find(s, "ring-consumer")->alive;
        };
        QTRY_VERIFY_WITH_TIMEOUT(damageSeen(), 30000);
        const Snapshot afterDamage = r.sample(); // keep it alive: find() points into it
        for (const char* name : { "ring-producer", "ring-consumer" }) {
            const WorkerStatus* w = find(afterDamage, name);
            if (w->alive)
                continue;
            QCOMPARE(w->state, WorkerState::Dead);
            QVERIFY2(w->exitCode == 4, w->exitText.c_str()); // 4: the object's structure is damaged
        }
        QVERIFY(find(r.sample(), "spsc-consumer")->alive);

        const Report report = r.stop();
        QVERIFY2(!report.integrity.exact, "corruption must show in the ledger");
        QVERIFY(report.integrity.corrupt > 0);
        ring = Error {};
        value = Error {};
        spsc = Error {};
        board = Error {};
        runner->reset();
        const QStringList left = ipctest::leftoverObjects(QString::fromStdString(prefix.substr(1)));
        QVERIFY2(left.isEmpty(), qPrintable(left.join(", ")));
    }

    void cleanupTestCase() { QVERIFY2(ipctest::leftoversOfThisProcess().isEmpty(), "objects left behind"); }
};

QTEST_GUILESS_MAIN(TestCorruption)
#include "tst_corruption.moc"
