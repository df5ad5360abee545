// Program workers as the models show them, against real worker processes: a counter-race run in the process table
// (role "program", the step each one is on, its parent, Python's exitcode once ended), the run history's counter
// series (increments made above the counter's value), and the editor models' view of programs and their objects.
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

    void counterRaceInTheProcessTable()
    {
        RunSession session;
        session.setWorkerPath(ipctest::workerPath());
        ProcessTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const ipccore::Scenario scenario = bundled("counter-race");
        QCOMPARE(scenario.workers.size(), std::size_t(4));
        model.setPrograms(scenario);
        connect(&session, &RunSession::snapshotReceived, &model, [&] {
            if (const SnapshotPtr snapshot = session.latest())
                model.apply(*snapshot);
        });
        QSignalSpy started(&session, &RunSession::runStarted);
        QSignalSpy stopped(&session, &RunSession::runStopped);
        QVERIFY(session.start(scenario));
        QVERIFY(started.wait(30000));
        const QString needle = session.prefix().mid(1);

        // Every row is a program on one of its three steps, a child of this process.
        const QRegularExpression step(
            QStringLiteral("^[123]/3 (read counter\\[0\\]|work 20us|write counter\\[0\\] \\+1)"));
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 4, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(model.worker(0).messages > 100, 30000);
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
        QVERIFY(session.history().latest(sums.front()) <= session.history().latest(increments.front()));

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
    }
};

QTEST_GUILESS_MAIN(TestProgramViews)
#include "tst_program_views.moc"
