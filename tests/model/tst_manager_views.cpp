// A Manager (manager-dict) as the models show it, fed by hand-made snapshots: the program steps table with each
// step's mean time (a request's round trip beside a shared-memory read, in µs, ms or s) and its share of the
// process's time; the process table's tooltips with the same times, each client's requests and the server's, and
// what a blocked client or server waits for (a reply that never comes once the server is dead); and the editor's
// models, where the server uses its clients' reply queues too.
#include "model/duration_text.h"
#include "model/object_list_model.h"
#include "model/process_table_model.h"
#include "model/program_steps_model.h"
#include "model/scenario_document.h"
#include "model/worker_list_model.h"

#include "ipccore/program.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

using namespace ipcui;

namespace {
ipccore::Scenario managerDict()
{
    auto scenario = ipccore::resolveScenario("manager-dict");
    if (!scenario)
        qFatal("manager-dict is not a bundled scenario");
    return *scenario;
}

// A row as the runner would sample it: the worker on step `step` of its program, in `state`.
ipccore::WorkerStatus sampled(const ipccore::Scenario& scenario, const std::string& name, std::uint32_t step,
    ipccore::WorkerState state = ipccore::WorkerState::Running)
{
    ipccore::WorkerStatus w;
    w.name = name;
    w.role = ipccore::Role::Program;
    w.pid = 4000 + int(name.size());
    w.state = state;
    for (const ipccore::WorkerSpec& spec : scenario.workers) {
        if (spec.name != name)
            continue;
        w.object = "manager";
        w.step = ipccore::stepText(spec.program[step]);
        w.stepIndex = step;
        w.stepDone.assign(spec.program.size(), 0);
        w.stepMissed.assign(spec.program.size(), 0);
        w.stepMeanUs.assign(spec.program.size(), 0);
    }
    return w;
}

QString cell(const QAbstractItemModel& model, int row, int column, int role = Qt::DisplayRole)
{
    return model.index(row, column).data(role).toString();
}
} // namespace

class TestManagerViews : public QObject {
    Q_OBJECT
private slots:
    void durationsReadInTheirUnit()
    {
        QCOMPARE(durationText(0.05), QStringLiteral("0.05 µs"));
        QCOMPARE(durationText(0.183), QStringLiteral("0.18 µs"));
        QCOMPARE(durationText(2.44), QStringLiteral("2.4 µs"));
        QCOMPARE(durationText(37.2), QStringLiteral("37 µs"));
        QCOMPARE(durationText(9.97), QStringLiteral("10 µs")); // judged after rounding: not "10.0 µs"
        QCOMPARE(durationText(850), QStringLiteral("850 µs"));
        QCOMPARE(durationText(2400), QStringLiteral("2.4 ms"));
        QCOMPARE(durationText(213'000), QStringLiteral("213 ms"));
        QCOMPARE(durationText(1.4e6), QStringLiteral("1.4 s"));
        QCOMPARE(durationText(0.001), QStringLiteral("< 0.01 µs"));
        QCOMPARE(durationText(0), QStringLiteral("–")); // not timed yet
    }

    // A step that gave up says why in its Missed cell; with a 0 ms timeout, why the count can run into millions.
    void missedCellSaysWhyAStepGaveUp()
    {
        ipccore::Scenario scenario;
        scenario.objects = { { "jobs", ipccore::TransportKind::Mq, 10, 64 } };
        // The poller's step text ends in its priority, not its timeout.
        for (const char* text : { "put jobs 0ms prio 3; work 10us", "get jobs 50ms" }) {
            ipccore::WorkerSpec poller;
            poller.name = text[0] == 'p' ? "poller" : "waiter";
            poller.role = ipccore::Role::Program;
            auto program = ipccore::parseProgramText(text);
            QVERIFY(program.has_value());
            poller.program = *program;
            scenario.workers.push_back(poller);
        }
        ProgramStepsModel model;
        model.setPrograms(scenario);
        QVERIFY(!model.isColumnUnused(ProgramStepsModel::MissedColumn));
        ipccore::WorkerStatus poller = sampled(scenario, "poller", 0);
        poller.stepMissed = { 2'400'000, 0 };
        ipccore::WorkerStatus waiter = sampled(scenario, "waiter", 0);
        waiter.stepMissed = { 12 };
        ipccore::Snapshot snapshot;
        snapshot.workers = { poller, waiter };
        model.apply(snapshot);
        const QString fast = cell(model, model.rowOf("poller", 0), ProgramStepsModel::MissedColumn, Qt::ToolTipRole);
        QVERIFY2(
            fast.contains(QLocale().toString(2'400'000)) && fast.contains(QStringLiteral("0 ms, so it never waits")),
            qPrintable(fast));
        const QString slow = cell(model, model.rowOf("waiter", 0), ProgramStepsModel::MissedColumn, Qt::ToolTipRole);
        QVERIFY2(slow.contains(QStringLiteral("gave up 12 times")) && !slow.contains(QStringLiteral("never waits")),
            qPrintable(slow));
        // A step that cannot time out has nothing to say there.
        QVERIFY(model.index(model.rowOf("poller", 1), ProgramStepsModel::MissedColumn).data(Qt::ToolTipRole).isNull());
    }

    void stepsTableShowsEachStepsMeanTime()
    {
        const ipccore::Scenario scenario = managerDict();
        ProgramStepsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(!model.hasPrograms());
        model.setPrograms(scenario);
        QVERIFY(model.hasPrograms());
        // server 1 step, client-1 and client-2 6 each, client-3 4.
        QCOMPARE(model.rowCount(), 17);
        // No step has a timeout: nothing can be missed, so the column is not worth showing.
        QVERIFY(model.isColumnUnused(ProgramStepsModel::MissedColumn));
        const int get = model.rowOf("client-1", 0);
        const int read = model.rowOf("client-1", 3);
        QCOMPARE(get, 1);
        QCOMPARE(cell(model, get, ProgramStepsModel::ProcessColumn), QStringLiteral("client-1"));
        QCOMPARE(cell(model, read, ProgramStepsModel::ProcessColumn), QString()); // the name once per process
        QCOMPARE(cell(model, read, ProgramStepsModel::ProcessColumn, ProgramStepsModel::WorkerRole),
            QStringLiteral("client-1"));
        QCOMPARE(cell(model, get, ProgramStepsModel::StepColumn),
            QStringLiteral("1/6 request manager replies-1 get d[count]"));
        QCOMPARE(cell(model, get, ProgramStepsModel::PythonColumn), QStringLiteral("x = d['count']"));
        // Nothing timed yet.
        QCOMPARE(cell(model, get, ProgramStepsModel::MeanColumn), QStringLiteral("–"));
        QCOMPARE(cell(model, get, ProgramStepsModel::ShareColumn), QStringLiteral("–"));

        // A sample: the round trips take 60 us, the locked counter's steps hundredths of one.
        ipccore::WorkerStatus client = sampled(scenario, "client-1", 1, ipccore::WorkerState::BlockedEmpty);
        client.stepDone = { 1000, 1000, 1000, 1000, 1000, 1000 };
        client.stepMeanUs = { 60, 59, 0.18, 0.11, 0.03, 0.13 };
        ipccore::Snapshot snapshot;
        snapshot.workers = { sampled(scenario, "server", 0), client };
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.apply(snapshot);
        QCOMPARE(reset.count(), 0); // figures change, rows stay
        QVERIFY(changed.count() >= 1);
        QCOMPARE(cell(model, get, ProgramStepsModel::MeanColumn), QStringLiteral("60 µs"));
        QCOMPARE(cell(model, read, ProgramStepsModel::MeanColumn), QStringLiteral("0.11 µs"));
        QCOMPARE(cell(model, get, ProgramStepsModel::DoneColumn), QLocale().toString(1000));
        QCOMPARE(model.index(get, ProgramStepsModel::MeanColumn).data(ProgramStepsModel::MeanUsRole).toDouble(), 60.0);
        // Where client-1's time goes: half in each round trip, a sliver in the counter.
        QCOMPARE(cell(model, get, ProgramStepsModel::ShareColumn), QStringLiteral("50%"));
        QCOMPARE(cell(model, read, ProgramStepsModel::ShareColumn), QStringLiteral("0.09%"));
        QVERIFY(
            cell(model, get, ProgramStepsModel::MeanColumn, Qt::ToolTipRole).contains(QStringLiteral("round trip")));
        // Unchanged figures announce nothing.
        changed.clear();
        model.apply(snapshot);
        QCOMPARE(changed.count(), 0);

        // The report's figures, made after the last sample, are the last word.
        ipccore::WorkerSummary ended;
        ended.name = "client-1";
        ended.role = ipccore::Role::Program;
        ended.stepDone = { 1200, 1200, 1200, 1200, 1200, 1200 };
        ended.stepMissed = { 0, 0, 0, 0, 0, 0 };
        ended.stepMeanUs = { 2400, 59, 0.18, 0.11, 0.03, 0.13 };
        model.applyFinalCounts({ ended });
        QCOMPARE(cell(model, get, ProgramStepsModel::MeanColumn), QStringLiteral("2.4 ms"));
        QCOMPARE(cell(model, get, ProgramStepsModel::DoneColumn), QLocale().toString(1200));

        // A scenario without programs has nothing to show.
        model.setPrograms(ipccore::Scenario {});
        QVERIFY(!model.hasPrograms());
        QCOMPARE(model.rowCount(), 0);
    }

    void missedShowsOnlyForStepsThatCanGiveUp()
    {
        ipccore::Scenario scenario;
        ipccore::WorkerSpec worker;
        worker.name = "client";
        worker.role = ipccore::Role::Program;
        worker.program = *ipccore::parseProgramText("request manager replies get d[k] 100ms; work 10us");
        scenario.workers = { worker };
        ProgramStepsModel model;
        model.setPrograms(scenario);
        QVERIFY(!model.isColumnUnused(ProgramStepsModel::MissedColumn));
        QCOMPARE(cell(model, 0, ProgramStepsModel::MissedColumn), QStringLiteral("0"));
        QCOMPARE(cell(model, 1, ProgramStepsModel::MissedColumn), QString()); // work cannot give up
    }

    void processTableTellsRoundTripsAndRequests()
    {
        const ipccore::Scenario scenario = managerDict();
        ProcessTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPrograms(scenario);
        ipccore::WorkerStatus server = sampled(scenario, "server", 0, ipccore::WorkerState::BlockedEmpty);
        server.object = "manager, replies-1, replies-2, replies-3";
        server.waitingOn = "manager: empty (mq)";
        server.stepDone = { 3000 };
        server.stepMeanUs = { 20 };
        server.requests.requestsIn = 3000;
        server.requests.repliesOut = 2999;
        server.requests.inHand = 1;
        ipccore::WorkerStatus client = sampled(scenario, "client-1", 0, ipccore::WorkerState::BlockedEmpty);
        client.object = "manager, replies-1, counter";
        client.waitingOn = "replies-1: empty (mq)";
        client.stepDone = { 1000, 1000, 1000, 1000, 1000, 1000 };
        client.stepMeanUs = { 60, 59, 0.18, 0.11, 0.03, 0.13 };
        client.requests.requestsOut = 2001;
        client.requests.repliesIn = 2000;
        ipccore::Snapshot snapshot;
        snapshot.workers = { server, client };
        model.apply(snapshot);

        // No pool: no Tasks column for a server and its clients.
        QVERIFY(model.isColumnUnused(ProcessTableModel::TasksColumn));
        QCOMPARE(cell(model, 1, ProcessTableModel::TasksColumn), QString());

        // Each step with its mean time: a request's round trip beside the counter's locked read.
        const QString clientTip = cell(model, 1, ProcessTableModel::StepColumn, Qt::ToolTipRole);
        QVERIFY2(clientTip.contains(QStringLiteral("request manager replies-1 get d[count] — done %1, round trip 60 µs")
                                        .arg(QLocale().toString(1000))),
            qPrintable(clientTip));
        QVERIFY2(
            clientTip.contains(QStringLiteral("read counter[0] — done %1, 0.11 µs each").arg(QLocale().toString(1000))),
            qPrintable(clientTip));
        QVERIFY2(clientTip.contains(QStringLiteral("sent %1 requests and took %2 replies")
                                        .arg(QLocale().toString(2001), QLocale().toString(2000))),
            qPrintable(clientTip));
        QVERIFY2(!clientTip.contains(QStringLiteral("missed")), qPrintable(clientTip)); // no step can give up
        const QString serverTip = cell(model, 0, ProcessTableModel::NameColumn, Qt::ToolTipRole);
        QVERIFY2(serverTip.contains(QStringLiteral("20 µs each")), qPrintable(serverTip));
        QVERIFY2(serverTip.contains(QStringLiteral("is the server: it took %1 requests, answered %2 and holds 1 now")
                                        .arg(QLocale().toString(3000), QLocale().toString(2999))),
            qPrintable(serverTip));

        // What each waits for, in its own terms.
        const QString clientState = cell(model, 1, ProcessTableModel::StateColumn, Qt::ToolTipRole);
        QVERIFY2(clientState.contains(QStringLiteral("waiting on replies-1: empty (mq)")), qPrintable(clientState));
        QVERIFY2(clientState.contains(QStringLiteral("the server's reply to its request (x = d['count'])")),
            qPrintable(clientState));
        QVERIFY2(!clientState.contains(QStringLiteral("dead")), qPrintable(clientState));
        const QString serverState = cell(model, 0, ProcessTableModel::StateColumn, Qt::ToolTipRole);
        QVERIFY2(serverState.contains(QStringLiteral("waits for a request")), qPrintable(serverState));
        // The server's objects whole, though the column elides them.
        QVERIFY(cell(model, 0, ProcessTableModel::TransportColumn, Qt::ToolTipRole)
                    .contains(QStringLiteral("manager, replies-1, replies-2, replies-3")));

        // The server is killed: the client's reply never comes, and its tooltip says so (Python would raise).
        snapshot.workers[0].alive = false;
        snapshot.workers[0].state = ipccore::WorkerState::Dead;
        snapshot.workers[0].waitingOn.clear();
        snapshot.workers[0].exitText = "killed by SIGKILL";
        model.apply(snapshot);
        const QString orphaned = cell(model, 1, ProcessTableModel::StateColumn, Qt::ToolTipRole);
        QVERIFY2(orphaned.contains(QStringLiteral("The server server is dead: this reply never comes")),
            qPrintable(orphaned));
        QVERIFY2(orphaned.contains(QStringLiteral("EOFError")), qPrintable(orphaned));

        // The report's counts replace the last sample's: times and requests too.
        ipccore::WorkerSummary ended;
        ended.name = "client-1";
        ended.role = ipccore::Role::Program;
        ended.stepDone = { 1100, 1100, 1100, 1100, 1100, 1100 };
        ended.stepMissed = { 0, 0, 0, 0, 0, 0 };
        ended.stepMeanUs = { 61, 59, 0.18, 0.11, 0.03, 0.13 };
        ended.requests.requestsOut = 2200;
        ended.requests.repliesIn = 2200;
        ipccore::WorkerSummary serverEnded;
        serverEnded.name = "server";
        serverEnded.role = ipccore::Role::Program;
        model.applyFinalCounts({ serverEnded, ended });
        const QString finalTip = cell(model, 1, ProcessTableModel::StepColumn, Qt::ToolTipRole);
        QVERIFY2(finalTip.contains(QStringLiteral("round trip 61 µs")), qPrintable(finalTip));
        QVERIFY2(
            finalTip.contains(QStringLiteral("sent %1 requests").arg(QLocale().toString(2200))), qPrintable(finalTip));
    }

    void editorModelsCountTheServerOnItsClientsReplyQueues()
    {
        ScenarioDocument document(ipccore::readMqLimits());
        QCOMPARE(document.loadBundled(QStringLiteral("manager-dict")), QString());
        ObjectListModel objects(&document);
        WorkerListModel workers(&document);
        QAbstractItemModelTester objectTester(&objects, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester workerTester(&workers, QAbstractItemModelTester::FailureReportingMode::QtTest);
        // The server's steps name only its request queue; it puts its replies into each client's.
        QCOMPARE(workers.index(0, WorkerListModel::ObjectColumn).data().toString(),
            QStringLiteral("manager, replies-1, replies-2, replies-3"));
        QCOMPARE(workers.index(1, WorkerListModel::ObjectColumn).data().toString(),
            QStringLiteral("manager, replies-1, counter"));
        QCOMPARE(objects.index(0, ObjectListModel::UsersColumn).data().toInt(), 4); // manager: the server, 3 clients
        QCOMPARE(objects.index(1, ObjectListModel::UsersColumn).data().toInt(), 2); // replies-1: client-1, server
        QCOMPARE(document.usersOf("replies-1"), QStringList({ QStringLiteral("server"), QStringLiteral("client-1") }));
    }
};

QTEST_GUILESS_MAIN(TestManagerViews)
#include "tst_manager_views.moc"
