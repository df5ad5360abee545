// Program workers as the models show them, against real worker processes: a counter-race run in the process table
// (role "program", the step each one is on, its parent, Python's exitcode once ended), the run history's counter
// series (increments made above the counter's value), a pool-map run's tasks per process (the caller's collected of
// submitted, each pool worker's taken and share), pipe-duplex's two programs on their socketpair, mq-priority's final
// books per priority, and the editor models' view of programs and their objects, pipes and priorities.
#include "model/object_list_model.h"
#include "model/process_table_model.h"
#include "model/run_history.h"
#include "model/run_session.h"
#include "model/scenario_document.h"
#include "model/worker_list_model.h"

#include "test_support.h"

#include <QAbstractItemModelTester>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QtTest>

#include <cmath>
#include <unistd.h>

using namespace ipcui;

namespace {
ipccore::Scenario bundled(const char* name)
{
    auto scenario = ipccore::resolveScenario(name);
    return scenario ? *scenario : ipccore::Scenario {};
}

ipccore::WorkerStatus programWorker()
{
    ipccore::WorkerStatus w;
    w.name = "adder-1";
    w.role = ipccore::Role::Program;
    w.object = "counter";
    w.transport = ipccore::TransportKind::ShmArray;
    w.pid = 4242;
    w.ppid = 4000;
    w.state = ipccore::WorkerState::Running;
    w.step = "write counter[0] +1";
    w.stepIndex = 2;
    w.stepDone = { 10, 10, 9 };
    w.stepMissed = { 0, 0, 0 };
    return w;
}
// A run whose snapshots feed a process table, wired as the window wires them; the table knows the programs first.
struct LiveTable {
    explicit LiveTable(const ipccore::Scenario& scenario)
    {
        session.setWorkerPath(ipctest::workerPath());
        model.setPrograms(scenario);
        QObject::connect(&session, &RunSession::snapshotReceived, &model, [this] {
            if (const SnapshotPtr snapshot = session.latest())
                model.apply(*snapshot);
        });
    }
    bool start(const ipccore::Scenario& scenario) { return session.start(scenario) && started.wait(30000); }

    RunSession session;
    ProcessTableModel model;
    QAbstractItemModelTester tester { &model, QAbstractItemModelTester::FailureReportingMode::QtTest };
    QSignalSpy started { &session, &RunSession::runStarted };
    QSignalSpy stopped { &session, &RunSession::runStopped };
};

} // namespace

class TestProgramViews : public QObject {
    Q_OBJECT
private slots:
    void stepColumnNamesTheStepAndHowLong()
    {
        ProcessTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        ipccore::Snapshot snapshot;
        snapshot.workers = { programWorker() };
        model.apply(snapshot);
        QCOMPARE(
            model.index(0, ProcessTableModel::StepColumn).data().toString(), QStringLiteral("3/3 write counter[0] +1"));
        QCOMPARE(model.index(0, ProcessTableModel::RoleColumn).data().toString(), QStringLiteral("program"));
        QCOMPARE(model.index(0, ProcessTableModel::PpidColumn).data().toInt(), 4000);
        // Programs make passes, not messages.
        QCOMPARE(
            model.headerData(ProcessTableModel::RateColumn, Qt::Horizontal).toString(), QStringLiteral("passes/s"));
        // A step held for a while shows for how long.
        snapshot.workers[0].stepSeconds = 1.25;
        model.apply(snapshot);
        QVERIFY2(model.index(0, ProcessTableModel::StepColumn).data().toString().endsWith(QStringLiteral("(1.3 s)"))
                || model.index(0, ProcessTableModel::StepColumn).data().toString().endsWith(QStringLiteral("(1.2 s)")),
            qPrintable(model.index(0, ProcessTableModel::StepColumn).data().toString()));
        // A producer has no step.
        snapshot.workers[0].role = ipccore::Role::Producer;
        QSignalSpy headers(&model, &QAbstractItemModel::headerDataChanged);
        model.apply(snapshot);
        QCOMPARE(model.index(0, ProcessTableModel::StepColumn).data().toString(), QString());
        QCOMPARE(headers.count(), 1);
        QCOMPARE(model.headerData(ProcessTableModel::RateColumn, Qt::Horizontal).toString(), QStringLiteral("msgs/s"));
    }

    void endedProgramShowsPythonsExitcode()
    {
        ProcessTableModel model;
        ipccore::Snapshot snapshot;
        snapshot.workers = { programWorker() };
        model.apply(snapshot);
        ipccore::WorkerStatus& w = snapshot.workers[0];
        w.alive = false;
        w.state = ipccore::WorkerState::Dead;
        w.termSignal = 9;
        w.exitText = "killed by SIGKILL";
        w.exitcode = -9;
        model.apply(snapshot);
        QCOMPARE(model.index(0, ProcessTableModel::ExitColumn).data().toString(),
            QStringLiteral("killed by SIGKILL (exitcode -9)"));
    }

    void rendezvousSenderWaitsForAReceiver()
    {
        // csp-rendezvous: a program blocked putting into a channel of capacity 0 waits for a receiver (there is no
        // queue to be full); the same state on a queue still reads "blocked: full".
        const ipccore::Scenario scenario = bundled("csp-rendezvous");
        ProcessTableModel model;
        model.setPrograms(scenario);
        ipccore::Snapshot snapshot;
        for (const ipccore::WorkerSpec& spec : scenario.workers) {
            const auto put = std::find_if(spec.program.begin(), spec.program.end(),
                [](const ipccore::ProgramStep& step) { return step.op == ipccore::StepOp::Put; });
            if (put == spec.program.end())
                continue;
            ipccore::WorkerStatus w = programWorker();
            w.name = spec.name;
            w.stepIndex = std::uint32_t(put - spec.program.begin());
            w.state = ipccore::WorkerState::BlockedFull;
            snapshot.workers.push_back(w);
        }
        QVERIFY(!snapshot.workers.empty());
        ipccore::WorkerStatus queued = programWorker();
        queued.role = ipccore::Role::Producer;
        queued.object = "not-a-channel";
        queued.state = ipccore::WorkerState::BlockedFull;
        snapshot.workers.push_back(queued);
        ipccore::WorkerStatus sink = programWorker();
        sink.name = "sink";
        sink.role = ipccore::Role::Consumer;
        sink.object = "ch2";
        sink.state = ipccore::WorkerState::BlockedEmpty;
        snapshot.workers.insert(snapshot.workers.begin(), sink);
        model.apply(snapshot);
        QCOMPARE(
            model.index(0, ProcessTableModel::StateColumn).data().toString(), QStringLiteral("waiting for a sender"));
        const int last = model.rowCount() - 1;
        for (int row = 1; row < last; ++row)
            QCOMPARE(model.index(row, ProcessTableModel::StateColumn).data().toString(),
                QStringLiteral("waiting for a receiver"));
        QCOMPARE(model.index(last, ProcessTableModel::StateColumn).data().toString(), QStringLiteral("blocked: full"));
    }

    void counterRaceInTheProcessTable()
    {
        const ipccore::Scenario scenario = bundled("counter-race");
        QCOMPARE(scenario.workers.size(), std::size_t(4));
        LiveTable live(scenario);
        RunSession& session = live.session;
        ProcessTableModel& model = live.model;
        QSignalSpy& stopped = live.stopped;
        QVERIFY(live.start(scenario));
        const QString needle = session.prefix().mid(1);

        // Every row is a program on one of its three steps, a child of this process.
        const QRegularExpression step(
            QStringLiteral("^[123]/3 (read counter\\[0\\]|work 20us|write counter\\[0\\] \\+1)"));
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 4, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(model.worker(0).messages > 100, 30000);
        // No pool: no Tasks column; every row a program: no message size either.
        QVERIFY(model.isColumnUnused(ProcessTableModel::TasksColumn));
        QVERIFY(model.isColumnUnused(ProcessTableModel::SizeColumn));
        QVERIFY(model.isColumnUnused(ProcessTableModel::PriorityColumn));
        QCOMPARE(model.index(0, ProcessTableModel::TasksColumn).data().toString(), QString());
        for (int row = 0; row < model.rowCount(); ++row) {
            QCOMPARE(model.index(row, ProcessTableModel::RoleColumn).data().toString(), QStringLiteral("program"));
            const QString text = model.index(row, ProcessTableModel::StepColumn).data().toString();
            QVERIFY2(step.match(text).hasMatch(), qPrintable(text));
            QCOMPARE(model.index(row, ProcessTableModel::PpidColumn).data().toInt(), int(getpid()));
            // The tooltip lists every step with its Python line.
            const QString tip = model.index(row, ProcessTableModel::StepColumn).data(Qt::ToolTipRole).toString();
            for (const ipccore::ProgramStep& s : scenario.workers.front().program)
                QVERIFY2(tip.contains(QString::fromStdString(ipccore::stepPython(s))), qPrintable(tip));
            QVERIFY2(tip.contains(QStringLiteral("done")), qPrintable(tip));
        }

        // The history charts the counter: what the writes added, and the (smaller, once updates are lost) value.
        const QList<int> increments = session.history().seriesOfKind(SeriesKind::Increments);
        const QList<int> sums = session.history().seriesOfKind(SeriesKind::CellSum);
        QCOMPARE(increments.size(), 1);
        QCOMPARE(sums.size(), 1);
        QVERIFY(session.history().seriesOfKind(SeriesKind::Depth).isEmpty()); // an array has no depth
        QTRY_VERIFY_WITH_TIMEOUT(session.history().latest(increments.front()) > 100, 30000);
        // A sample reads the workers' counts before the cells, so within one sample the value may run ahead of the
        // increments by every write made in between (many, when the sampler is descheduled). The bound that holds:
        // the value one sample read is at most the increments the next sample counted, plus the one write each of
        // the four may have stored and not counted yet.
        const double sumSeen = session.history().latest(sums.front());
        const quint64 revisionSeen = session.history().revision();
        QTRY_VERIFY_WITH_TIMEOUT(session.history().revision() > revisionSeen, 30000);
        QVERIFY2(sumSeen <= session.history().latest(increments.front()) + 4,
            qPrintable(QStringLiteral("value %1, increments of the next sample %2")
                           .arg(sumSeen)
                           .arg(session.history().latest(increments.front()))));

        session.stop();
        QVERIFY(stopped.wait(30000));
        // The final snapshot was applied as the last one: each row tells how it ended, with Python's exitcode.
        if (const SnapshotPtr last = session.latest())
            model.apply(*last);
        QVERIFY2(ipctest::leftoverObjects(needle).isEmpty(),
            qPrintable(ipctest::leftoverObjects(needle).join(QStringLiteral(", "))));
        const auto summary = stopped.first().at(0).value<RunSummary>();
        QCOMPARE(summary.objects.size(), std::size_t(1));
        QCOMPARE(summary.objects.front().transport, ipccore::TransportKind::ShmArray);
        // The report's books, as the window applies them at stop: every row says how its process ended, as the
        // report does (the stop control asks each to finish its pass and exit 0; a process too slow for that, as
        // under a sanitizer, is terminated), and none is left "running" from the last live sample.
        model.applyFinalCounts(summary.workers);
        QCOMPARE(std::size_t(model.rowCount()), summary.workers.size());
        for (int row = 0; row < model.rowCount(); ++row) {
            const ipccore::WorkerSummary& ended = summary.workers[std::size_t(row)];
            QVERIFY(!model.index(row, 0).data(ProcessTableModel::AliveRole).toBool());
            QVERIFY(ended.state == ipccore::WorkerState::Finished || ended.state == ipccore::WorkerState::Dead);
            QCOMPARE(model.index(row, 0).data(ProcessTableModel::StateRole).toInt(), int(ended.state));
            // "exited 0" says the exitcode already; "terminated by SIGTERM" gets "(exitcode -15)".
            const QString said = QString::fromStdString(ended.exitText);
            QCOMPARE(model.index(row, ProcessTableModel::ExitColumn).data().toString(),
                said == QStringLiteral("exited %1").arg(ended.exitcode)
                    ? said
                    : QStringLiteral("%1 (exitcode %2)").arg(said).arg(ended.exitcode));
        }
    }

    void tasksColumnSharesPerPoolWorker()
    {
        // The caller is the program that calls map, whatever it has counted so far; the pool workers get from its
        // task queue.
        ProcessTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy unused(&model, &ProcessTableModel::unusedColumnsChanged);
        ipccore::Scenario pool;
        pool.name = "pool";
        pool.objects
            = { { "tasks", ipccore::TransportKind::Mq, 8, 64 }, { "results", ipccore::TransportKind::Mq, 8, 64 } };
        for (const char* name : { "caller", "pool-1", "pool-2" }) {
            ipccore::WorkerSpec w;
            w.name = name;
            w.role = ipccore::Role::Program;
            w.program = *ipccore::parseProgramText(std::string_view(name) == "caller"
                    ? "map tasks results 512 chunk 32"
                    : "get tasks; work 50us each; put results");
            pool.workers.push_back(w);
        }
        model.setPrograms(pool);
        ipccore::Snapshot snapshot;
        ipccore::WorkerStatus caller = programWorker(), first = programWorker(), second = programWorker();
        caller.name = "caller";
        caller.tasks.out = 512;
        caller.tasks.in = 480;
        caller.tasks.framesOut = 16;
        first.name = "pool-1";
        first.tasks.in = 300;
        first.tasks.out = 290;
        first.tasks.inHand = 10;
        second.name = "pool-2";
        second.tasks.in = 100;
        second.tasks.out = 100;
        snapshot.workers = { caller, first, second };
        model.apply(snapshot);
        QVERIFY(!model.isColumnUnused(ProcessTableModel::TasksColumn));
        QVERIFY(unused.count() >= 1);
        const QLocale locale;
        QCOMPARE(model.index(0, ProcessTableModel::TasksColumn).data().toString(),
            QStringLiteral("%1 of %2").arg(locale.toString(480), locale.toString(512)));
        QCOMPARE(model.index(1, ProcessTableModel::TasksColumn).data().toString(),
            QStringLiteral("%1 (75%)").arg(locale.toString(300)));
        QCOMPARE(model.index(2, ProcessTableModel::TasksColumn).data().toString(),
            QStringLiteral("%1 (25%)").arg(locale.toString(100)));
        QCOMPARE(
            model.index(1, ProcessTableModel::TasksColumn).data(ProcessTableModel::SortRole).toULongLong(), 300ull);
        // A share changes when another worker takes tasks: the row is announced though its own count did not move.
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        snapshot.workers[2].tasks.in = 300;
        model.apply(snapshot);
        QCOMPARE(model.index(1, ProcessTableModel::TasksColumn).data().toString(),
            QStringLiteral("%1 (50%)").arg(locale.toString(300)));
        bool announced = false;
        for (const QList<QVariant>& signal : changed) {
            const auto topLeft = signal.at(0).value<QModelIndex>(), bottomRight = signal.at(1).value<QModelIndex>();
            announced = announced
                || (topLeft.row() == 1 && topLeft.column() <= ProcessTableModel::TasksColumn
                    && bottomRight.column() >= ProcessTableModel::TasksColumn);
        }
        QVERIFY(announced);
        const QString tip = model.index(1, ProcessTableModel::TasksColumn).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(QStringLiteral("took")) && tip.contains(QStringLiteral("answered"))
                && tip.contains(QStringLiteral("holds 10")),
            qPrintable(tip));
    }

    void poolMapInTheProcessTable()
    {
        const ipccore::Scenario scenario = bundled("pool-map");
        QCOMPARE(scenario.workers.size(), std::size_t(5));
        LiveTable live(scenario);
        RunSession& session = live.session;
        ProcessTableModel& model = live.model;
        QSignalSpy& stopped = live.stopped;
        // The Tasks column is there from the start of a pool run, and the Step column knows its widest text.
        QVERIFY(!model.isColumnUnused(ProcessTableModel::TasksColumn));
        QCOMPARE(model.widestStepText(), QStringLiteral("1/1 map tasks results 256 chunk 32"));
        QVERIFY(live.start(scenario));
        const QString needle = session.prefix().mid(1);

        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 5, 30000);
        // Every pool worker has taken a few chunks (32 tasks each) and the caller has had whole maps back.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (int row = 1; row < model.rowCount(); ++row) {
                    if (model.worker(row).tasks.in < 4 * 32)
                        return false;
                }
                return model.worker(0).tasks.in >= 4 * 256;
            }(),
            30000);
        QCOMPARE(model.worker(0).name, std::string("caller"));
        QVERIFY(model.isColumnUnused(ProcessTableModel::SizeColumn));

        const auto number = [](QString text) {
            text.remove(QLocale().groupSeparator());
            return text.toLongLong();
        };
        // The caller: collected of submitted, at most one map (256 tasks) apart.
        const QRegularExpression callerText(QStringLiteral("^(.+) of (.+)$"));
        const QString callerTasks = model.index(0, ProcessTableModel::TasksColumn).data().toString();
        const QRegularExpressionMatch callerMatch = callerText.match(callerTasks);
        QVERIFY2(callerMatch.hasMatch(), qPrintable(callerTasks));
        const qint64 collected = number(callerMatch.captured(1)), submitted = number(callerMatch.captured(2));
        QVERIFY2(collected > 0 && collected <= submitted && submitted - collected <= 256, qPrintable(callerTasks));
        QCOMPARE(model.index(0, ProcessTableModel::StepColumn).data().toString(),
            QStringLiteral("1/1 map tasks results 256 chunk 32"));
        const QString callerTip = model.index(0, ProcessTableModel::TasksColumn).data(Qt::ToolTipRole).toString();
        for (const char* word : { "submitted", "collected", "Out of order" })
            QVERIFY2(callerTip.contains(QLatin1String(word)), qPrintable(callerTip));
        // The caller's program tooltip says it too.
        QVERIFY(model.index(0, ProcessTableModel::NameColumn)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("submitted")));

        // Each pool worker: tasks taken and its share; the shares make the whole (give or take rounding).
        const QRegularExpression workerText(QStringLiteral("^(.+) \\((\\d+)%\\)$"));
        int shares = 0;
        for (int row = 1; row < model.rowCount(); ++row) {
            const QString text = model.index(row, ProcessTableModel::TasksColumn).data().toString();
            const QRegularExpressionMatch match = workerText.match(text);
            QVERIFY2(match.hasMatch(), qPrintable(text));
            QVERIFY2(number(match.captured(1)) >= 4 * 32, qPrintable(text));
            shares += match.captured(2).toInt();
            const QString tip = model.index(row, ProcessTableModel::TasksColumn).data(Qt::ToolTipRole).toString();
            for (const char* word : { "took", "answered", "holds" })
                QVERIFY2(tip.contains(QLatin1String(word)), qPrintable(tip));
            QCOMPARE(model.index(row, ProcessTableModel::TasksColumn).data(ProcessTableModel::SortRole).toULongLong(),
                qulonglong(model.worker(row).tasks.in));
        }
        QVERIFY2(shares >= 98 && shares <= 102, qPrintable(QString::number(shares)));

        session.stop();
        QVERIFY(stopped.wait(30000));
        if (const SnapshotPtr last = session.latest())
            model.apply(*last);
        QVERIFY2(ipctest::leftoverObjects(needle).isEmpty(),
            qPrintable(ipctest::leftoverObjects(needle).join(QStringLiteral(", "))));
        // The final books: the pool is kept on its task queue and balances.
        const auto summary = stopped.first().at(0).value<RunSummary>();
        QCOMPARE(summary.objects.size(), std::size_t(2));
        const ipccore::PoolLedger& pool = summary.objects.front().ledger.pool;
        QVERIFY(pool.present);
        QVERIFY(!summary.objects.back().ledger.pool.present);
        QVERIFY(pool.exact);
        QCOMPARE(pool.submitted,
            pool.collected + pool.inTaskQueue + pool.inResultQueue + pool.heldAtStop + pool.diedWithWorkers
                + pool.dropped);
    }

    void pipeDuplexInTheProcessTable()
    {
        // Two programs ping-pong on the two ends of one socketpair: each row a program on it, putting and getting.
        const ipccore::Scenario scenario = bundled("pipe-duplex");
        QCOMPARE(scenario.objects.size(), std::size_t(1));
        LiveTable live(scenario);
        RunSession& session = live.session;
        ProcessTableModel& model = live.model;
        QSignalSpy& stopped = live.stopped;
        QVERIFY(live.start(scenario));
        const QString needle = session.prefix().mid(1);

        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 2, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(model.worker(0).messages > 100 && model.worker(1).messages > 100, 30000);
        const QRegularExpression step(QStringLiteral("^[12]/2 (put|get) conn"));
        for (int row = 0; row < model.rowCount(); ++row) {
            QCOMPARE(model.index(row, ProcessTableModel::RoleColumn).data().toString(), QStringLiteral("program"));
            QCOMPARE(model.index(row, ProcessTableModel::TransportColumn).data().toString(),
                QStringLiteral("socketpair (conn)"));
            const QString text = model.index(row, ProcessTableModel::StepColumn).data().toString();
            QVERIFY2(step.match(text).hasMatch(), qPrintable(text));
        }
        // What waits in a socketpair cannot be seen: the history charts no depth for it, rather than a made-up 0.
        const QList<int> depth = session.history().seriesOfKind(SeriesKind::Depth);
        QCOMPARE(depth.size(), 1);
        QVERIFY(std::isnan(session.history().latest(depth.front())));
        const SnapshotPtr snapshot = session.latest();
        QVERIFY(snapshot);
        QCOMPARE(snapshot->objects.front().depth, std::int64_t(-1));

        session.stop();
        QVERIFY(stopped.wait(30000));
        QVERIFY2(ipctest::leftoverObjects(needle).isEmpty(),
            qPrintable(ipctest::leftoverObjects(needle).join(QStringLiteral(", "))));
        // The final books balance, and the summary's totals are the object's.
        const auto summary = stopped.first().at(0).value<RunSummary>();
        QCOMPARE(summary.objects.size(), std::size_t(1));
        const ipccore::Ledger& books = summary.objects.front().ledger;
        QCOMPARE(summary.objects.front().transport, ipccore::TransportKind::SocketPair);
        QVERIFY(books.exact);
        QVERIFY(books.received > 100);
        QCOMPARE(books.sent, books.received + books.left);
        QCOMPARE(summary.integrity.sent, books.sent);
        QCOMPARE(summary.integrity.received, books.received);
    }

    void mqPrioritySummaryCarriesTheFinalBooks()
    {
        // The window shows a queue's priorities live (the snapshot's object ledger) and at stop (the summary's); the
        // summary's message totals are counted with them, so the two add up.
        RunSession session;
        session.setWorkerPath(ipctest::workerPath());
        const ipccore::Scenario scenario = bundled("mq-priority");
        QSignalSpy started(&session, &RunSession::runStarted);
        QSignalSpy stopped(&session, &RunSession::runStopped);
        QVERIFY(session.start(scenario));
        QVERIFY(started.wait(30000));
        const QString needle = session.prefix().mid(1);
        const auto taken = [&session](std::size_t k) -> std::uint64_t {
            const SnapshotPtr snapshot = session.latest();
            if (!snapshot || snapshot->objectLedgers.empty() || snapshot->objectLedgers.front().priorities.size() <= k)
                return 0;
            return snapshot->objectLedgers.front().priorities[k].received;
        };
        QTRY_VERIFY_WITH_TIMEOUT(taken(0) > 50 && taken(1) > 50, 30000);
        // The process table's Priority column: each producer's priority, the consumer's share of each.
        ProcessTableModel model;
        model.apply(*session.latest());
        QVERIFY(!model.isColumnUnused(ProcessTableModel::PriorityColumn));
        QCOMPARE(model.index(0, ProcessTableModel::PriorityColumn).data().toString(), QStringLiteral("9"));
        QCOMPARE(model.index(1, ProcessTableModel::PriorityColumn).data().toString(), QStringLiteral("0"));
        const QString shares = model.index(2, ProcessTableModel::PriorityColumn).data().toString();
        QVERIFY2(
            QRegularExpression(QStringLiteral("^9: \\d+ % · 0: \\d+ %$")).match(shares).hasMatch(), qPrintable(shares));
        const std::vector<ipccore::PriorityShare> live = session.latest()->objectLedgers.front().priorities;
        QCOMPARE(live.size(), std::size_t(2));
        QCOMPARE(live[0].priority, 9u);
        QCOMPARE(live[1].priority, 0u);

        session.stop();
        QVERIFY(stopped.wait(30000));
        QVERIFY2(ipctest::leftoverObjects(needle).isEmpty(),
            qPrintable(ipctest::leftoverObjects(needle).join(QStringLiteral(", "))));
        const auto summary = stopped.first().at(0).value<RunSummary>();
        QCOMPARE(summary.objects.size(), std::size_t(1));
        const ipccore::Ledger& books = summary.objects.front().ledger;
        QCOMPARE(books.priorities.size(), std::size_t(2));
        std::uint64_t received = books.receivedOtherPriorities;
        for (const ipccore::PriorityShare& p : books.priorities)
            received += p.received;
        QCOMPARE(received, books.received);
        QCOMPARE(summary.integrity.received, books.received);
        QCOMPARE(summary.integrity.sent, books.sent);
        // Urgent messages are taken first, so they wait less in the queue.
        QVERIFY2(books.priorities[0].meanLatencyUs < books.priorities[1].meanLatencyUs,
            qPrintable(QStringLiteral("%1 us / %2 us")
                           .arg(books.priorities[0].meanLatencyUs)
                           .arg(books.priorities[1].meanLatencyUs)));
    }

    // Before a run, the experiment's worker list says which workers a worker host runs, named as the run will show
    // them, with the host's endpoint on hover.
    void editorShowsWhereWorkersRun()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QFile file(dir.filePath(QStringLiteral("two-machines.json")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{ \"name\": \"two-machines\", \"controller_key\": \"controller.key\", "
                   "\"hosts\": [ { \"name\": \"lab2\", \"endpoint\": \"tcp://10.0.0.2:5555\", "
                   "\"key\": \"lab2.pub\" } ], "
                   "\"objects\": [ { \"name\": \"q\", \"transport\": \"mq\" } ], "
                   "\"workers\": [ { \"name\": \"p\", \"role\": \"producer\", \"object\": \"q\", "
                   "\"host\": \"lab2\" }, { \"name\": \"c\", \"role\": \"consumer\", \"object\": \"q\", "
                   "\"host\": \"lab2\" } ] }");
        file.close();
        ScenarioDocument document(ipccore::readMqLimits());
        WorkerListModel workers(&document);
        ObjectListModel objects(&document);
        QCOMPARE(document.loadFile(file.fileName()), QString());
        QCOMPARE(workers.index(0, WorkerListModel::NameColumn).data().toString(), QStringLiteral("p@lab2"));
        QCOMPARE(objects.index(0, ObjectListModel::NameColumn).data().toString(), QStringLiteral("q@lab2"));
        // Its workers brought here in the editor: the object comes with them.
        for (int i = 0; i < 2; ++i) {
            ipccore::WorkerSpec here = document.scenario().workers[std::size_t(i)];
            here.host.clear();
            QCOMPARE(document.replaceWorker(i, here), QString());
        }
        QCOMPARE(objects.index(0, ObjectListModel::NameColumn).data().toString(), QStringLiteral("q"));
        QVERIFY(document.loadFile(file.fileName()).isEmpty());
        const QString tip = workers.index(1, WorkerListModel::NameColumn).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(QStringLiteral("lab2")) && tip.contains(QStringLiteral("tcp://10.0.0.2:5555")),
            qPrintable(tip));
        // Its workers lost with the host during a run: not known to be dead, nor how they ended.
        ProcessTableModel table;
        ipccore::Snapshot lost;
        lost.workers.resize(1);
        ipccore::WorkerStatus& w = lost.workers[0];
        w.name = "c";
        w.host = "lab2";
        w.role = ipccore::Role::Consumer;
        w.alive = false;
        w.lostWithHost = true;
        w.state = ipccore::WorkerState::Dead;
        w.exitText = "lost with host lab2 (no answer since 3.5 s into the run)";
        table.apply(lost);
        QCOMPARE(table.index(0, ProcessTableModel::StateColumn).data().toString(), QStringLiteral("lost with host"));
        QVERIFY(table.index(0, ProcessTableModel::ExitColumn).data().toString().endsWith("(exitcode unknown)"));
        // After its host left (stopped there, its part handed back): ended, and why.
        w.lostWithHost = false;
        w.leftWithHost = true;
        w.state = ipccore::WorkerState::Finished;
        w.exitcode = 0;
        w.exitText = "stopped early as host lab2 left: exited 0";
        table.apply(lost);
        QCOMPARE(table.index(0, ProcessTableModel::StateColumn).data().toString(), QStringLiteral("host left"));
        QCOMPARE(table.index(0, ProcessTableModel::ExitColumn).data().toString(),
            QStringLiteral("stopped early as host lab2 left: exited 0"));
        QVERIFY(document.loadBundled(QStringLiteral("pipe-one-way")).isEmpty());
        QCOMPARE(workers.index(0, WorkerListModel::NameColumn).data(Qt::ToolTipRole), QVariant());
        QVERIFY(!workers.index(0, WorkerListModel::NameColumn).data().toString().contains(QLatin1Char('@')));
    }

    void editorModelsShowPipesAndPriorities()
    {
        ScenarioDocument document(ipccore::readMqLimits());
        ObjectListModel objects(&document);
        WorkerListModel workers(&document);
        QAbstractItemModelTester objectTester(&objects, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester workerTester(&workers, QAbstractItemModelTester::FailureReportingMode::QtTest);
        // A pipe and a socketpair: the kernel sizes their buffers; their messages have a size.
        for (const char* name : { "pipe-one-way", "pipe-duplex" }) {
            QCOMPARE(document.loadBundled(QString::fromLatin1(name)), QString());
            QCOMPARE(objects.rowCount(), 1);
            QCOMPARE(
                objects.index(0, ObjectListModel::CapacityColumn).data().toString(), QStringLiteral("kernel buffer"));
            QCOMPARE(objects.index(0, ObjectListModel::MessageSizeColumn).data().toUInt(), 64u);
            QCOMPARE(objects.index(0, ObjectListModel::UsersColumn).data().toInt(), 2);
        }
        QCOMPARE(objects.index(0, ObjectListModel::TransportColumn).data().toString(), QStringLiteral("socketpair"));
        QCOMPARE(
            workers.index(0, WorkerListModel::ProgramColumn).data().toString(), QStringLiteral("put conn; get conn"));
        // Renaming the socketpair renames the programs' steps, and the experiment stays valid.
        ipccore::ObjectSpec renamed = document.scenario().objects.front();
        renamed.name = "link";
        QCOMPARE(document.replaceObject(0, renamed), QString());
        QCOMPARE(
            workers.index(1, WorkerListModel::ProgramColumn).data().toString(), QStringLiteral("get link; put link"));
        QCOMPARE(document.problem(), QString());

        // mq-priority: each producer's priority in its row.
        QCOMPARE(document.loadBundled(QStringLiteral("mq-priority")), QString());
        QCOMPARE(workers.index(0, WorkerListModel::PriorityColumn).data().toUInt(), 9u);
        QCOMPARE(workers.index(1, WorkerListModel::PriorityColumn).data().toUInt(), 0u);
    }

    void editorModelsShowProgramsAndTheirObjects()
    {
        ScenarioDocument document(ipccore::readMqLimits());
        QCOMPARE(document.loadBundled(QStringLiteral("semaphore-pool")), QString());
        ObjectListModel objects(&document);
        WorkerListModel workers(&document);
        QAbstractItemModelTester objectTester(&objects, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester workerTester(&workers, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(objects.index(0, ObjectListModel::CapacityColumn).data().toString(), QStringLiteral("2 permits"));
        QCOMPARE(objects.index(0, ObjectListModel::MessageSizeColumn).data().toString(), QStringLiteral("–"));
        QCOMPARE(objects.index(0, ObjectListModel::UsersColumn).data().toInt(), 5); // the programs use "pool"
        QCOMPARE(workers.index(0, WorkerListModel::RoleColumn).data().toString(), QStringLiteral("program"));
        QCOMPARE(workers.index(0, WorkerListModel::ObjectColumn).data().toString(), QStringLiteral("pool"));
        QVERIFY(workers.index(0, WorkerListModel::ProgramColumn)
                    .data()
                    .toString()
                    .startsWith(QStringLiteral("acquire pool 100ms")));
        // Programs name their objects in their steps: the object cannot go while they do.
        QVERIFY(document.removeObject(0).contains(QStringLiteral("client-1")));
        // Renaming it renames the steps too, and the experiment stays valid.
        ipccore::ObjectSpec renamed = document.scenario().objects.front();
        renamed.name = "connections";
        QCOMPARE(document.replaceObject(0, renamed), QString());
        QCOMPARE(QString::fromStdString(document.scenario().workers.front().program.front().object),
            QStringLiteral("connections"));
        QCOMPARE(document.problem(), QString());

        // A pool's caller names two objects in one step: both are its objects, and renaming the result queue
        // renames it in the step.
        QCOMPARE(document.loadBundled(QStringLiteral("pool-map")), QString());
        QCOMPARE(workers.index(0, WorkerListModel::ObjectColumn).data().toString(), QStringLiteral("tasks, results"));
        QCOMPARE(objects.index(1, ObjectListModel::UsersColumn).data().toInt(), 5);
        ipccore::ObjectSpec answers = document.scenario().objects.back();
        QCOMPARE(answers.name, std::string("results"));
        answers.name = "answers";
        QCOMPARE(document.replaceObject(1, answers), QString());
        QCOMPARE(document.scenario().workers.front().program.front().results, std::string("answers"));
        QCOMPARE(QString::fromStdString(ipccore::programText(document.scenario().workers.front().program)),
            QStringLiteral("map tasks answers 256 chunk 32"));
        QCOMPARE(document.problem(), QString());
    }
};

QTEST_GUILESS_MAIN(TestProgramViews)
#include "tst_program_views.moc"
