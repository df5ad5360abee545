// ProcessTableModel applies snapshots as diffs: rows are inserted, changed cells announced, never a reset per tick.
#include "model/process_table_model.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

using ipccore::Role;
using ipccore::WorkerState;
using ipcui::ProcessTableModel;

Q_DECLARE_METATYPE(ipccore::WorkerState)

namespace {
ipccore::WorkerStatus worker(const std::string& name, Role role, std::uint64_t messages = 0)
{
    ipccore::WorkerStatus w;
    w.name = name;
    w.role = role;
    w.object = "buffer";
    w.transport = ipccore::TransportKind::ShmRing;
    w.pid = 1000 + int(name.size());
    w.state = WorkerState::Running;
    w.messages = messages;
    return w;
}

ipccore::Snapshot snapshot(double t, std::vector<ipccore::WorkerStatus> workers)
{
    ipccore::Snapshot s;
    s.t = t;
    s.workers = std::move(workers);
    return s;
}
} // namespace

class TestProcessTableModel : public QObject {
    Q_OBJECT
private slots:
    void newWorkersAreInsertedNotReset()
    {
        ProcessTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);

        model.apply(snapshot(0.0, { worker("p1", Role::Producer), worker("c1", Role::Consumer) }));
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(inserted.count(), 1);
        model.apply(snapshot(
            0.1, { worker("p1", Role::Producer), worker("c1", Role::Consumer), worker("p2", Role::Producer) }));
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(inserted.count(), 2);
        QCOMPARE(inserted.last().at(1).toInt(), 2);
        QCOMPARE(inserted.last().at(2).toInt(), 2);
        QCOMPARE(reset.count(), 0);
        QCOMPARE(model.index(2, ProcessTableModel::NameColumn).data().toString(), QStringLiteral("p2"));
    }

    void changedCellsAreAnnouncedAndSelectionSurvives()
    {
        ProcessTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.apply(snapshot(0.0, { worker("p1", Role::Producer, 0), worker("c1", Role::Consumer, 0) }));
        const QPersistentModelIndex selected = model.index(1, 0);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);

        model.apply(snapshot(0.5, { worker("p1", Role::Producer, 0), worker("c1", Role::Consumer, 250) }));
        QCOMPARE(reset.count(), 0);
        QVERIFY(selected.isValid());
        QCOMPARE(selected.row(), 1);
        QCOMPARE(changed.count(), 1); // only the consumer's row changed
        const auto topLeft = changed.first().at(0).value<QModelIndex>();
        const auto bottomRight = changed.first().at(1).value<QModelIndex>();
        QCOMPARE(topLeft.row(), 1);
        QVERIFY(topLeft.column() <= ProcessTableModel::TotalColumn);
        QVERIFY(bottomRight.column() >= ProcessTableModel::TotalColumn);
        QCOMPARE(
            model.index(1, ProcessTableModel::TotalColumn).data(ProcessTableModel::SortRole).toULongLong(), 250ull);
        // 250 messages in 0.5 s.
        QCOMPARE(qRound(model.smoothedRate(1)), 500);

        changed.clear();
        model.apply(snapshot(0.6, { worker("p1", Role::Producer, 0), worker("c1", Role::Consumer, 250) }));
        // Only the rate moved (it fell as the window widened with no new messages).
        for (const QList<QVariant>& args : changed)
            QCOMPARE(args.at(0).value<QModelIndex>().row(), 1);
    }

    void stateRolesAndText_data()
    {
        QTest::addColumn<WorkerState>("state");
        QTest::addColumn<QString>("text");
        QTest::newRow("running") << WorkerState::Running << QStringLiteral("running");
        QTest::newRow("blocked full") << WorkerState::BlockedFull << QStringLiteral("blocked: full");
        QTest::newRow("blocked empty") << WorkerState::BlockedEmpty << QStringLiteral("blocked: empty");
        QTest::newRow("lock") << WorkerState::WaitingLock << QStringLiteral("waiting for lock");
        QTest::newRow("paused") << WorkerState::Paused << QStringLiteral("paused");
        QTest::newRow("sleeping") << WorkerState::Sleeping << QStringLiteral("sleeping (rate limit)");
        QTest::newRow("spinning") << WorkerState::Spinning << QStringLiteral("spinning (on CPU)");
        QTest::newRow("finished") << WorkerState::Finished << QStringLiteral("finished");
        QTest::newRow("dead") << WorkerState::Dead << QStringLiteral("dead");
    }

    void stateRolesAndText()
    {
        QFETCH(WorkerState, state);
        QFETCH(QString, text);
        ProcessTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto w = worker("p1", Role::Producer);
        w.state = state;
        model.apply(snapshot(0, { w }));
        const QModelIndex cell = model.index(0, ProcessTableModel::StateColumn);
        QCOMPARE(cell.data().toString(), text);
        QCOMPARE(cell.data(ProcessTableModel::StateRole).toInt(), int(state));
    }

    // A socket consumer that holds no connection waits however much its object holds: its state says so, and the
    // tooltip says why (a socket's messages go to the consumer that accepted their producer's connection).
    void socketConsumerWithoutAConnectionSaysSo()
    {
        ProcessTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto w = worker("c1", Role::Consumer);
        w.transport = ipccore::TransportKind::Socket;
        w.state = WorkerState::BlockedEmpty;
        w.connections = 1;
        w.waitingOn = "buffer: empty (socket)";
        model.apply(snapshot(0, { w }));
        const QModelIndex cell = model.index(0, ProcessTableModel::StateColumn);
        QCOMPARE(cell.data().toString(), QStringLiteral("blocked: empty"));
        QVERIFY(cell.data(Qt::ToolTipRole).toString().contains(QStringLiteral("waiting on buffer: empty")));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        w.connections = 0;
        model.apply(snapshot(0.1, { w }));
        QVERIFY(!changed.isEmpty());
        QCOMPARE(cell.data().toString(), QStringLiteral("blocked: no connection"));
        QVERIFY(cell.data(Qt::ToolTipRole).toString().contains(QStringLiteral("holds no connection")));
        QVERIFY(!cell.data(Qt::ToolTipRole).toString().contains(QStringLiteral("empty")));
        w.state = WorkerState::Running;
        model.apply(snapshot(0.2, { w }));
        QCOMPARE(cell.data().toString(), QStringLiteral("running"));
    }

    void deadWorkerShowsHowItDied()
    {
        ProcessTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.apply(snapshot(0, { worker("c1", Role::Consumer, 10) }));
        auto dead = worker("c1", Role::Consumer, 10);
        dead.state = WorkerState::Dead;
        dead.alive = false;
        dead.termSignal = 9;
        dead.exitText = "killed by SIGKILL";
        dead.exitcode = -9;
        model.apply(snapshot(0.1, { dead }));
        // Beside the runner's words, the number Python's Process.exitcode gives.
        QCOMPARE(model.index(0, ProcessTableModel::ExitColumn).data().toString(),
            QStringLiteral("killed by SIGKILL (exitcode -9)"));
        QCOMPARE(model.index(0, 0).data(ProcessTableModel::AliveRole).toBool(), false);
        QVERIFY(model.index(0, ProcessTableModel::StateColumn)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("SIGKILL")));
    }

    void clearRemovesRows()
    {
        ProcessTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.apply(snapshot(0, { worker("p1", Role::Producer), worker("c1", Role::Consumer) }));
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        model.clear();
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(removed.count(), 1);
        model.clear(); // nothing to remove: no signal
        QCOMPARE(removed.count(), 1);
    }

    void headersNameTheUnits()
    {
        ProcessTableModel model;
        QCOMPARE(model.headerData(ProcessTableModel::RateColumn, Qt::Horizontal).toString(), QStringLiteral("msgs/s"));
        QCOMPARE(model.headerData(ProcessTableModel::CpuColumn, Qt::Horizontal).toString(), QStringLiteral("CPU %"));
        QCOMPARE(model.columnCount(), int(ProcessTableModel::ColumnCount));
    }

    // A consumer's mean latency, in the unit that reads (µs below a millisecond); nothing for a producer or a consumer
    // that has taken nothing yet; and the column is unused until a consumer is among the rows.
    void latencyIsAConsumersMeanInItsUnit()
    {
        ProcessTableModel model;
        model.apply(snapshot(0.1, { worker("producer", Role::Producer, 10) }));
        QVERIFY(model.isColumnUnused(ProcessTableModel::LatencyColumn));
        auto fast = worker("fast", Role::Consumer, 10);
        fast.meanLatencyUs = 21.4;
        auto slow = worker("slow", Role::Consumer, 10);
        slow.meanLatencyUs = 68'500;
        auto idle = worker("idle", Role::Consumer, 0);
        model.apply(snapshot(0.2, { worker("producer", Role::Producer, 10), fast, slow, idle }));
        QVERIFY(!model.isColumnUnused(ProcessTableModel::LatencyColumn));
        auto text = [&](int row) { return model.index(row, ProcessTableModel::LatencyColumn).data().toString(); };
        QCOMPARE(text(0), QStringLiteral("-"));
        QCOMPARE(text(1), QStringLiteral("21 µs"));
        QCOMPARE(text(2), QStringLiteral("68.5 ms"));
        QCOMPARE(text(3), QStringLiteral("-"));
    }

    // Where each process runs: the Host column is unused while every worker runs here; with a worker on a host it
    // names the machine of each row, and sorting by it puts this machine's first, then each host's together.
    void hostColumnNamesTheMachine()
    {
        ProcessTableModel model;
        model.apply(snapshot(0.1, { worker("p", Role::Producer) }));
        QVERIFY(model.isColumnUnused(ProcessTableModel::HostColumn));
        auto there = worker("c", Role::Consumer);
        there.host = "lab2";
        model.apply(snapshot(0.2, { there, worker("p", Role::Producer) }));
        QVERIFY(!model.isColumnUnused(ProcessTableModel::HostColumn));
        auto at = [&](int row, int role) { return model.index(row, ProcessTableModel::HostColumn).data(role); };
        QCOMPARE(at(0, Qt::DisplayRole).toString(), QStringLiteral("lab2"));
        QCOMPARE(at(1, Qt::DisplayRole).toString(), QStringLiteral("this machine"));
        QVERIFY(at(1, ProcessTableModel::SortRole).toString() < at(0, ProcessTableModel::SortRole).toString());
        QCOMPARE(model.index(0, ProcessTableModel::NameColumn).data().toString(), QStringLiteral("c@lab2"));
    }
};

QTEST_GUILESS_MAIN(TestProcessTableModel)
#include "tst_process_table_model.moc"
