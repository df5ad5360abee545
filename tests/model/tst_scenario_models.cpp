// The experiment document, its object/worker list models and the scenario catalog: edits are validated with
// ipccore's rules and refused with a reason; nothing is clamped.
#include "model/error_text.h"
#include "model/object_list_model.h"
#include "model/scenario_catalog_model.h"
#include "model/scenario_document.h"
#include "model/worker_list_model.h"

#include "test_support.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace ipcui;

class TestScenarioModels : public QObject {
    Q_OBJECT
private slots:
    // The window's errors lead with the sentence a student can act on; the call and errno stay as details.
    void errorsSpeakToStudentsAndKeepTheDetails()
    {
        ipccore::Error limit { ipccore::ErrorCode::LimitReached, EINVAL, "mq_open", "/ipclab-1-jobs",
            "a queue holds at most 10 messages here: use a capacity of at most 10, or raise fs.mqueue.msg_max" };
        const ErrorParts parts = splitError(errorText(QStringLiteral("Could not start \"jobs\""), limit));
        QCOMPARE(parts.text,
            QStringLiteral("Could not start \"jobs\": a queue holds at most 10 messages here: use a capacity of at "
                           "most 10, or raise fs.mqueue.msg_max"));
        QVERIFY2(parts.details.startsWith(QStringLiteral("mq_open(\"/ipclab-1-jobs\") failed: ")),
            qPrintable(parts.details));
        QVERIFY(parts.details.contains(QStringLiteral("EINVAL")));

        // Without a hint: the kind of failure in plain words, and the object named.
        ipccore::Error gone { ipccore::ErrorCode::NotFound, ESRCH, "kill", "pid 4242", "" };
        QCOMPARE(errorText(gone), QStringLiteral("It does not exist, or no longer does (pid 4242)"));
        const ErrorParts pause = splitError(errorText(QStringLiteral("Pause (worker 2)"), gone));
        QCOMPARE(pause.text, QStringLiteral("Pause (worker 2): it does not exist, or no longer does (pid 4242)"));
        QVERIFY(pause.details.contains(QStringLiteral("ESRCH")));

        // A message made otherwise is all text.
        QCOMPARE(splitError(QStringLiteral("Stop the run first.")).details, QString());
    }

    void catalogListsTheBundledScenarios()
    {
        ScenarioCatalogModel catalog;
        QAbstractItemModelTester tester(&catalog, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(catalog.rowCount() >= 1);
        const int row = catalog.rowOf(QString::fromLatin1(ipccore::DefaultScenarioName));
        QVERIFY(row >= 0);
        const QModelIndex index = catalog.index(row);
        QVERIFY(!index.data().toString().isEmpty()); // the title
        QVERIFY(!index.data(ScenarioCatalogModel::DescriptionRole).toString().isEmpty());
        QCOMPARE(catalog.rowOf(QStringLiteral("no-such-scenario")), -1);
    }

    void documentLoadsTheDefaultScenario()
    {
        ScenarioDocument document(ipccore::readMqLimits());
        ObjectListModel objects(&document);
        WorkerListModel workers(&document);
        QAbstractItemModelTester t1(&objects, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester t2(&workers, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(document.loadBundled(QString::fromLatin1(ipccore::DefaultScenarioName)), QString());
        QCOMPARE(objects.rowCount(), int(document.scenario().objects.size()));
        QCOMPARE(workers.rowCount(), int(document.scenario().workers.size()));
        QVERIFY(workers.rowCount() > 0);
        QVERIFY(document.problem().isEmpty());
        QVERIFY(!document.isModified());
        QVERIFY(!document.loadBundled(QStringLiteral("no-such-scenario")).isEmpty());
    }

    void invalidObjectsAreRefusedWithAReason_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("transport");
        QTest::addColumn<int>("capacity");
        QTest::addColumn<int>("messageSize");
        QTest::addColumn<bool>("accepted");
        const ipccore::MqLimits limits = ipccore::readMqLimits();
        const int mq = int(ipccore::TransportKind::Mq);
        QTest::newRow("ok") << "jobs" << mq << 4 << 64 << true;
        QTest::newRow("capacity at msg_max") << "jobs" << mq << int(limits.msgMax) << 64 << true;
        QTest::newRow("capacity above msg_max") << "jobs" << mq << int(limits.msgMax) + 1 << 64 << false;
        QTest::newRow("capacity 0") << "jobs" << mq << 0 << 64 << false;
        QTest::newRow("size below header") << "jobs" << mq << 4 << 31 << false;
        QTest::newRow("size above msgsize_max") << "jobs" << mq << 4 << int(limits.msgsizeMax) + 1 << false;
        QTest::newRow("bad name") << "a/b" << mq << 4 << 64 << false;
        QTest::newRow("name in use") << "buffer" << mq << 4 << 64 << false;
    }

    void invalidObjectsAreRefusedWithAReason()
    {
        QFETCH(QString, name);
        QFETCH(int, transport);
        QFETCH(int, capacity);
        QFETCH(int, messageSize);
        QFETCH(bool, accepted);
        ScenarioDocument document(ipccore::readMqLimits());
        QCOMPARE(document.loadBundled(QString::fromLatin1(ipccore::DefaultScenarioName)), QString());
        ObjectListModel objects(&document);
        QAbstractItemModelTester tester(&objects, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const int before = objects.rowCount();
        ipccore::ObjectSpec spec;
        spec.name = name.toStdString();
        spec.transport = ipccore::TransportKind(transport);
        spec.capacity = std::uint32_t(capacity);
        spec.messageSize = std::uint32_t(messageSize);
        const QString reason = document.addObject(spec);
        QCOMPARE(reason.isEmpty(), accepted);
        QCOMPARE(objects.rowCount(), accepted ? before + 1 : before);
        if (accepted)
            QCOMPARE(document.scenario().objects.back().capacity, std::uint32_t(capacity)); // not clamped
    }

    void workersAreValidatedAgainstTheirObject()
    {
        ScenarioDocument document(ipccore::readMqLimits());
        QCOMPARE(document.loadBundled(QString::fromLatin1(ipccore::DefaultScenarioName)), QString());
        WorkerListModel workers(&document);
        QAbstractItemModelTester tester(&workers, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const ipccore::ObjectSpec& object = document.scenario().objects.front();
        ipccore::WorkerSpec spec;
        spec.name = document.uniqueWorkerName(QStringLiteral("producer")).toStdString();
        spec.object = object.name;
        spec.messageSize = object.messageSize + 1;
        QVERIFY(!document.addWorker(spec).isEmpty());
        spec.messageSize = object.messageSize;
        spec.object = "missing";
        QVERIFY(document.addWorker(spec).contains(QStringLiteral("missing")));
        spec.object = object.name;
        const int before = workers.rowCount();
        QCOMPARE(document.addWorker(spec), QString());
        QCOMPARE(workers.rowCount(), before + 1);
        QVERIFY(document.isModified());
        // Same name again is refused.
        QVERIFY(!document.addWorker(spec).isEmpty());
        QCOMPARE(document.removeWorker(before), QString());
        QCOMPARE(workers.rowCount(), before);
    }

    void anObjectInUseCannotBeRemovedAndRenamesCarryOver()
    {
        ScenarioDocument document(ipccore::readMqLimits());
        QCOMPARE(document.loadBundled(QString::fromLatin1(ipccore::DefaultScenarioName)), QString());
        const QString reason = document.removeObject(0);
        QVERIFY(reason.contains(QStringLiteral("remove those workers first")));
        ipccore::ObjectSpec renamed = document.scenario().objects.front();
        renamed.name = "ring";
        QCOMPARE(document.replaceObject(0, renamed), QString());
        for (const ipccore::WorkerSpec& worker : document.scenario().workers)
            QCOMPARE(worker.object, std::string("ring"));
        QVERIFY(document.problem().isEmpty());
        // Shrinking the message size below what the workers send is refused, naming the worker.
        ipccore::ObjectSpec tooSmall = document.scenario().objects.front();
        tooSmall.messageSize = 32;
        if (document.scenario().workers.front().messageSize > 32)
            QVERIFY(!document.replaceObject(0, tooSmall).isEmpty());
    }

    void saveAndLoadRoundTrip()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        ScenarioDocument document(ipccore::readMqLimits());
        QCOMPARE(document.loadBundled(QString::fromLatin1(ipccore::DefaultScenarioName)), QString());
        const QString path = dir.filePath(QStringLiteral("exp.json"));
        QCOMPARE(document.saveFile(path), QString());
        ScenarioDocument loaded(ipccore::readMqLimits());
        QSignalSpy replaced(&loaded, &ScenarioDocument::scenarioReplaced);
        QCOMPARE(loaded.loadFile(path), QString());
        QCOMPARE(replaced.count(), 1);
        QCOMPARE(loaded.scenario().workers.size(), document.scenario().workers.size());
        QCOMPARE(loaded.source(), path);
        QVERIFY(!loaded.loadFile(dir.filePath(QStringLiteral("missing.json"))).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestScenarioModels)
#include "tst_scenario_models.moc"
