// The wait-for verdict (wait_for.h), pure: tables of processes, what each holds, waits for and could post, and the
// verdict expected of them, worked out by hand. The real deadlocks (dining-philosophers, lock-order-inversion) run in
// tst_waits.
#include "ipccore/wait_for.h"

#include <QtTest>

using namespace ipccore;

Q_DECLARE_METATYPE(std::vector<ipccore::WaitForProcess>)

namespace {

// "name: holds a,b; waits c; needs room; posts d; fills e; drains f; paused" -> a process. Fields are optional; a
// process that waits is stuck.
WaitForProcess process(const QString& text)
{
    WaitForProcess p;
    const QStringList parts = text.split(QStringLiteral("; "));
    const QStringList head = parts.first().split(QStringLiteral(": "));
    p.name = head.first().toStdString();
    QStringList fields = parts.mid(1);
    if (head.size() > 1)
        fields.prepend(head[1]);
    for (const QString& field : fields) {
        const QString value = field.section(QLatin1Char(' '), 1);
        std::vector<std::string> list;
        for (const QString& item : value.split(QLatin1Char(','), Qt::SkipEmptyParts))
            list.push_back(item.toStdString());
        if (field.startsWith(QStringLiteral("holds")))
            p.holds = list;
        else if (field.startsWith(QStringLiteral("waits"))) {
            p.waitsFor = value.toStdString();
            p.stuck = true;
        } else if (field.startsWith(QStringLiteral("posts")))
            p.posts = list;
        else if (field.startsWith(QStringLiteral("fills")))
            p.fills = list;
        else if (field.startsWith(QStringLiteral("drains")))
            p.drains = list;
        else if (field.startsWith(QStringLiteral("needs")))
            p.needs = value == QLatin1String("room") ? WaitForProcess::Needs::Room : WaitForProcess::Needs::Data;
        else {
            p.free = false;
            p.notFree = field.toStdString();
        }
    }
    return p;
}

} // namespace

class TestWaitFor : public QObject {
    Q_OBJECT

private slots:
    void verdicts_data()
    {
        QTest::addColumn<QStringList>("processes");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QStringList>("members");
        QTest::addColumn<QString>("says");
        const int none = int(WaitForVerdict::Kind::None), deadlock = int(WaitForVerdict::Kind::Deadlock),
                  stall = int(WaitForVerdict::Kind::Stall);
        QTest::newRow("lock-order inversion")
            << QStringList { "left: holds a; waits b", "right: holds b; waits a" } << deadlock
            << QStringList { "left", "right" } << "left holds a and waits for b (held by right)";
        QTest::newRow("five philosophers")
            << QStringList { "p1: holds f1; waits f2", "p2: holds f2; waits f3", "p3: holds f3; waits f4",
                   "p4: holds f4; waits f5", "p5: holds f5; waits f1" }
            << deadlock << QStringList { "p1", "p2", "p3", "p4", "p5" } << "p5 holds f5 and waits for f1 (held by p1)";
        // One philosopher eating (not waiting) will put its forks down: the others wait, nobody is stuck for good.
        QTest::newRow("one philosopher still eats")
            << QStringList { "p1: holds f1; waits f2", "p2: holds f2; waits f3", "p3: holds f3,f4" } << none
            << QStringList {} << "";
        // The textbook bounded-buffer bug: a signal semaphore (full) that only the producer posts.
        QTest::newRow("mutex before full")
            << QStringList { "consumer: holds mutex; waits full; posts empty", "producer: waits mutex; posts full" }
            << deadlock << QStringList { "consumer", "producer" }
            << "consumer holds mutex and waits for full (which only producer could end)";
        // Acquiring a lock it already holds: only it could give it back.
        QTest::newRow("second acquire of its own lock")
            << QStringList { "greedy: holds lock; waits lock", "other: waits lock" } << deadlock
            << QStringList { "greedy" } << "greedy holds lock and waits for lock (held by itself";
        // A producer with no consumer left: a stall, naming the one who could have ended it.
        QTest::newRow("producer, dead consumer")
            << QStringList { "producer: waits queue; posts queue", "consumer: posts queue; dead" } << stall
            << QStringList { "producer" } << "only consumer (dead) could end it";
        QTest::newRow("paused poster") << QStringList { "consumer: waits queue; posts queue",
            "producer: posts queue; paused" }
                                       << stall << QStringList { "consumer" } << "only producer (paused) could end it";
        // Both consumers of a full buffer paused: the producers wait for room, which only a get gives. Each
        // producer puts into the buffer, but a put never ends another producer's wait: a stall, not a cycle.
        QTest::newRow("full buffer, consumers paused")
            << QStringList { "p1: waits buf; needs room; fills buf", "p2: waits buf; needs room; fills buf",
                   "c1: drains buf; paused", "c2: drains buf; paused" }
            << stall << QStringList { "p1", "p2" } << "p1 waits for buf: only c1 (paused) and c2 (paused) could end it";
        // One consumer free: the producers wait, nobody is stuck for good; consumers on an empty buffer likewise.
        QTest::newRow("full buffer, one consumer free")
            << QStringList { "p1: waits buf; needs room; fills buf", "c1: drains buf; paused", "c2: drains buf" }
            << none << QStringList {} << "";
        QTest::newRow("empty buffer, producers paused") << QStringList {
            "c1: waits buf; needs data; drains buf", "c2: waits buf; needs data; drains buf", "p1: fills buf; paused"
        } << stall << QStringList { "c1", "c2" } << "c2 waits for buf: only p1 (paused) could end it";
        QTest::newRow("nobody posts") << QStringList { "waiter: waits sem" } << stall << QStringList { "waiter" }
                                      << "no other process releases it, puts into it or takes from it";
        // A wait that says what it needs is told what nobody does (a server with no client: nobody puts into it).
        QTest::newRow("nobody puts") << QStringList { "server: waits manager; needs data; drains manager" } << stall
                                     << QStringList { "server" }
                                     << "server waits for manager: no other process puts into it";
        QTest::newRow("nobody takes") << QStringList { "producer: waits queue; needs room; fills queue" } << stall
                                      << QStringList { "producer" }
                                      << "producer waits for queue: no other process takes from it";
        // A waiter whose poster is free is not stuck, and neither is one waiting on it in turn.
        QTest::newRow("chain to a free poster")
            << QStringList { "a: waits x", "b: posts x; waits y", "c: posts y" } << none << QStringList {} << "";
        QTest::newRow("nobody waits") << QStringList { "a: holds x", "b: posts x" } << none << QStringList {} << "";
        // A cycle beside a stall: the cycle is what is named.
        QTest::newRow("cycle and a stall")
            << QStringList { "lonely: waits q", "left: holds a; waits b", "right: holds b; waits a" } << deadlock
            << QStringList { "left", "right" } << "right holds b and waits for a (held by left)";
    }
    void verdicts()
    {
        QFETCH(QStringList, processes);
        QFETCH(int, kind);
        QFETCH(QStringList, members);
        QFETCH(QString, says);
        std::vector<WaitForProcess> facts;
        for (const QString& text : processes)
            facts.push_back(process(text));
        const WaitForVerdict v = judgeWaits(facts);
        QCOMPARE(int(v.kind), kind);
        QStringList got;
        for (const std::string& m : v.members)
            got << QString::fromStdString(m);
        QCOMPARE(got, members);
        QVERIFY2(QString::fromStdString(v.text).contains(says), v.text.c_str());
    }
};

QTEST_GUILESS_MAIN(TestWaitFor)
#include "tst_wait_for.moc"
