// The process table's Tasks column knows a pool's caller and workers by their programs (setPrograms), never by their
// counters: a caller that has not put a task yet is the caller from the first row on, and a row whose program the
// table was not given is judged no part of a pool, whatever it counted.
#include "model/process_table_model.h"

#include "ipccore/program.h"

#include <QAbstractItemModelTester>
#include <QtTest>

using ipcui::ProcessTableModel;

namespace {

ipccore::WorkerSpec programSpec(const std::string& name, const char* text)
{
    auto program = ipccore::parseProgramText(text);
    if (!program)
        qFatal("bad program in the test itself: %s", text);
    ipccore::WorkerSpec spec;
    spec.name = name;
    spec.role = ipccore::Role::Program;
    spec.program = *program;
    return spec;
}

ipccore::WorkerStatus programRow(const std::string& name, const std::string& step)
{
    ipccore::WorkerStatus w;
    w.name = name;
    w.role = ipccore::Role::Program;
    w.object = "tasks";
    w.state = ipccore::WorkerState::Running;
    w.step = step;
    w.stepDone = { 0 };
    w.stepMissed = { 0 };
    return w;
}

QString tasks(const ProcessTableModel& model, int row)
{
    return model.index(row, ProcessTableModel::TasksColumn).data().toString();
}

} // namespace

class TestPoolTable : public QObject {
    Q_OBJECT
private slots:
    void callerIsKnownBeforeItSendsAnything()
    {
        ProcessTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        ipccore::Scenario scenario;
        scenario.workers = { programSpec("caller", "map tasks results 512 chunk 32"),
            programSpec("pool-1", "get tasks; work 50us each; put results"),
            programSpec("pool-2", "get tasks; work 50us each; put results") };
        model.setPrograms(scenario);
        QVERIFY(!model.isColumnUnused(ProcessTableModel::TasksColumn));

        // Nothing counted yet: the caller is the caller all the same, and each pool worker has taken nothing.
        ipccore::Snapshot snapshot;
        snapshot.workers = { programRow("caller", "map tasks results 512 chunk 32"), programRow("pool-1", "get tasks"),
            programRow("pool-2", "get tasks") };
        model.apply(snapshot);
        QCOMPARE(tasks(model, 0), QStringLiteral("0 of 0"));
        QCOMPARE(tasks(model, 1), QStringLiteral("0"));
        QCOMPARE(tasks(model, 2), QStringLiteral("0"));
        QVERIFY(model.index(0, ProcessTableModel::TasksColumn)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("submitted 0 tasks")));

        // A pool worker puts messages (its results) and the caller has put none in this call: neither swaps parts.
        snapshot.workers[0].tasks.in = 16;
        snapshot.workers[0].tasks.orphaned = 16;
        snapshot.workers[1].tasks.in = 16;
        snapshot.workers[1].tasks.out = 16;
        snapshot.workers[1].tasks.framesOut = 2;
        snapshot.workers[1].tasks.framesIn = 2;
        model.apply(snapshot);
        QCOMPARE(tasks(model, 0), QStringLiteral("16 of 0"));
        QCOMPARE(tasks(model, 1), QStringLiteral("16 (100%)"));
        QCOMPARE(tasks(model, 2), QStringLiteral("0"));
    }

    void countersAloneMakeNoPoolPart()
    {
        // Rows whose programs the table was not given: task counters do not tell a caller from a pool worker.
        ProcessTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        ipccore::Snapshot snapshot;
        ipccore::WorkerStatus putter = programRow("putter", "put tasks");
        putter.tasks.out = 512;
        putter.tasks.in = 480;
        putter.tasks.framesOut = 16;
        snapshot.workers = { putter };
        model.apply(snapshot);
        QCOMPARE(tasks(model, 0), QString());
        QVERIFY(model.isColumnUnused(ProcessTableModel::TasksColumn));
    }
};

QTEST_GUILESS_MAIN(TestPoolTable)
#include "tst_pool_table.moc"
