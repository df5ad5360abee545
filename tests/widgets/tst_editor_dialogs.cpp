// The experiment editor's forms refuse invalid values with the reason and keep OK disabled; they never clamp.
#include "model/scenario_document.h"
#include "widgets/object_dialog.h"
#include "widgets/worker_dialog.h"

#include "ipccore/program.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QtTest>

using namespace ipcui;

namespace {
bool okEnabled(QDialog& dialog)
{
    auto* buttons = dialog.findChild<QDialogButtonBox*>();
    return buttons && buttons->button(QDialogButtonBox::Ok)->isEnabled();
}
} // namespace

class TestEditorDialogs : public QObject {
    Q_OBJECT
private slots:
    void objectDialogExplainsTheQueueLimit()
    {
        const ipccore::MqLimits limits = ipccore::readMqLimits();
        ScenarioDocument document(limits);
        QCOMPARE(document.loadBundled(QString::fromLatin1(ipccore::DefaultScenarioName)), QString());
        ipccore::ObjectSpec spec;
        spec.name = "jobs";
        spec.transport = ipccore::TransportKind::Mq;
        spec.capacity = 4;
        ObjectDialog dialog(document, spec, -1);
        QVERIFY(dialog.problem().isEmpty());
        QVERIFY(okEnabled(dialog));

        dialog.capacityBox()->setValue(int(limits.msgMax) + 1);
        QCOMPARE(dialog.capacityBox()->value(), int(limits.msgMax) + 1); // not clamped
        QVERIFY(!dialog.problem().isEmpty());
        QVERIFY2(dialog.problem().contains(QString::number(limits.msgMax)), qPrintable(dialog.problem()));
        QVERIFY(!okEnabled(dialog));

        dialog.capacityBox()->setValue(int(limits.msgMax));
        QVERIFY(okEnabled(dialog));
        dialog.nameEdit()->setText(QStringLiteral("buffer")); // taken by the scenario
        QVERIFY(dialog.problem().contains(QStringLiteral("exists already")));
        QVERIFY(!okEnabled(dialog));

        // The queue limits are the machine's for mq only: a ZeroMQ object's capacity is its high-water mark, with
        // ranges of its own; a shared-memory ring's come with the problem line.
        auto* limitsLine = dialog.findChild<QLabel*>(QStringLiteral("limits"));
        QVERIFY(limitsLine);
        QVERIFY(limitsLine->isVisibleTo(&dialog));
        QVERIFY(limitsLine->text().contains(QStringLiteral("msg_max")));
        dialog.nameEdit()->setText(QStringLiteral("jobs"));
        dialog.transportBox()->setCurrentIndex(dialog.transportBox()->findData(int(ipccore::TransportKind::Zmq)));
        QVERIFY(limitsLine->isVisibleTo(&dialog));
        QVERIFY2(!limitsLine->text().contains(QStringLiteral("msg_max"))
                && limitsLine->text().contains(QStringLiteral("1..4096"))
                && limitsLine->text().contains(QStringLiteral("32..65536")),
            qPrintable(limitsLine->text()));
        QVERIFY2(dialog.capacityBox()->toolTip().contains(QStringLiteral("high-water mark")),
            qPrintable(dialog.capacityBox()->toolTip()));
        dialog.capacityBox()->setValue(5000);
        QVERIFY2(dialog.problem().contains(QStringLiteral("1..4096"))
                && dialog.problem().contains(QStringLiteral("high-water")),
            qPrintable(dialog.problem()));
        QVERIFY(!okEnabled(dialog));
        dialog.transportBox()->setCurrentIndex(dialog.transportBox()->findData(int(ipccore::TransportKind::ShmRing)));
        QVERIFY(!limitsLine->isVisibleTo(&dialog));
        dialog.transportBox()->setCurrentIndex(dialog.transportBox()->findData(int(ipccore::TransportKind::Mq)));
        QVERIFY(limitsLine->isVisibleTo(&dialog));
        QVERIFY(limitsLine->text().contains(QStringLiteral("msg_max")));
    }

    void objectDialogGrowsForItsProblem()
    {
        // A long problem line under the limits must not squeeze the fields above it (a new user's trial found the
        // capacity and size boxes cut in half): the shown dialog grows to fit.
        const ipccore::MqLimits limits = ipccore::readMqLimits();
        ScenarioDocument document(limits);
        ipccore::ObjectSpec spec;
        spec.name = "jobs";
        spec.transport = ipccore::TransportKind::Mq;
        spec.capacity = 4;
        ObjectDialog dialog(document, spec, -1);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        dialog.capacityBox()->setValue(int(limits.msgMax) + 90);
        QVERIFY(!dialog.problem().isEmpty());
        QCoreApplication::processEvents();
        QVERIFY2(dialog.capacityBox()->height() >= dialog.capacityBox()->sizeHint().height(),
            qPrintable(QStringLiteral("%1 < %2")
                           .arg(dialog.capacityBox()->height())
                           .arg(dialog.capacityBox()->sizeHint().height())));
        QVERIFY(dialog.messageSizeBox()->height() >= dialog.messageSizeBox()->sizeHint().height());
    }

    void workerDialogExplainsTheMessageSize()
    {
        ScenarioDocument document(ipccore::readMqLimits());
        QCOMPARE(document.loadBundled(QString::fromLatin1(ipccore::DefaultScenarioName)), QString());
        ipccore::WorkerSpec spec = document.scenario().workers.front();
        spec.name = "producer-9";
        WorkerDialog dialog(document, spec, -1);
        QVERIFY2(dialog.problem().isEmpty(), qPrintable(dialog.problem()));
        dialog.messageSizeBox()->setValue(int(document.scenario().objects.front().messageSize) + 1);
        QVERIFY(!dialog.problem().isEmpty());
        QVERIFY(!okEnabled(dialog));
        dialog.messageSizeBox()->setValue(16);
        QVERIFY(!dialog.problem().isEmpty());
        dialog.messageSizeBox()->setValue(64);
        dialog.rateBox()->setValue(1e11);
        QCOMPARE(dialog.rateBox()->value(), 1e11);
        QVERIFY(!dialog.problem().isEmpty());
        dialog.rateBox()->setValue(100);
        QVERIFY(okEnabled(dialog));
    }

    void workerDialogRoundTripsAProgram()
    {
        ScenarioDocument document(ipccore::readMqLimits());
        QCOMPARE(document.loadBundled(QStringLiteral("counter-race-locked")), QString());
        const ipccore::WorkerSpec original = document.scenario().workers.front();
        QCOMPARE(original.role, ipccore::Role::Program);
        WorkerDialog dialog(document, original, 0);
        QVERIFY2(dialog.problem().isEmpty(), qPrintable(dialog.problem()));
        QVERIFY(okEnabled(dialog));
        // One step per line, and back to the same program.
        QCOMPARE(dialog.programBox()->toPlainText().count(QLatin1Char('\n')) + 1, int(original.program.size()));
        const ipccore::WorkerSpec edited = dialog.spec();
        QCOMPARE(edited.role, ipccore::Role::Program);
        QCOMPARE(edited.object, std::string());
        QCOMPARE(ipccore::programText(edited.program), ipccore::programText(original.program));
        QCOMPARE(document.replaceWorker(0, edited), QString());

        // A line that does not parse is named, with its number, and OK stays disabled.
        dialog.programBox()->setPlainText(QStringLiteral("read counter[0]\nfrobnicate counter"));
        QVERIFY2(dialog.programProblem().startsWith(QStringLiteral("Line 2")), qPrintable(dialog.programProblem()));
        QVERIFY(!okEnabled(dialog));
        // A step on an object that does not exist is refused by ipccore's validation, naming the field.
        dialog.programBox()->setPlainText(QStringLiteral("read nothing[0]\nwrite nothing[0] +1"));
        QVERIFY(dialog.programProblem().isEmpty());
        QVERIFY2(dialog.problem().contains(QStringLiteral("program")), qPrintable(dialog.problem()));
        QVERIFY(!okEnabled(dialog));
        // An acquire with no release is refused too.
        dialog.programBox()->setPlainText(QStringLiteral("acquire counter\nread counter[0]"));
        QVERIFY(!okEnabled(dialog));
        dialog.programBox()->setPlainText(QStringLiteral("acquire counter\nread counter[0]\nwrite counter[0] "
                                                         "+2\nrelease counter"));
        QVERIFY2(okEnabled(dialog), qPrintable(dialog.problem()));
        QCOMPARE(dialog.spec().program.size(), std::size_t(4));
        QCOMPARE(dialog.spec().program[2].add, std::int64_t(2));
    }

    void workerDialogTakesPoolPrograms()
    {
        ScenarioDocument document(ipccore::readMqLimits());
        QCOMPARE(document.loadBundled(QStringLiteral("pool-map")), QString());
        const ipccore::WorkerSpec caller = document.scenario().workers.front();
        WorkerDialog dialog(document, caller, 0);
        // The bundled caller and a pool worker read back as written, one step per line.
        QCOMPARE(dialog.programBox()->toPlainText(), QStringLiteral("map tasks results 256 chunk 32"));
        QVERIFY2(okEnabled(dialog), qPrintable(dialog.problem()));
        const struct {
            const char* text;
            std::size_t steps;
        } accepted[] = {
            { "map tasks results 256 chunk 32", 1 },
            { "map tasks results 256 chunk 1", 1 },
            { "apply tasks results 64", 1 },
            { "get tasks\nwork 10us each\nput results", 3 },
        };
        for (const auto& program : accepted) {
            dialog.programBox()->setPlainText(QString::fromLatin1(program.text));
            QVERIFY2(dialog.programProblem().isEmpty(), qPrintable(dialog.programProblem()));
            QVERIFY2(okEnabled(dialog), qPrintable(program.text + QStringLiteral(": ") + dialog.problem()));
            QCOMPARE(dialog.spec().program.size(), program.steps);
        }
        dialog.programBox()->setPlainText(QStringLiteral("map tasks results 256 chunk 32"));
        const ipccore::ProgramStep map = dialog.spec().program.front();
        QCOMPARE(map.op, ipccore::StepOp::Map);
        QCOMPARE(map.object, std::string("tasks"));
        QCOMPARE(map.results, std::string("results"));
        QCOMPARE(map.tasks, 256u);
        QCOMPARE(map.chunk, 32u);
        dialog.programBox()->setPlainText(QStringLiteral("get tasks\nwork 10us each\nput results"));
        QVERIFY(dialog.spec().program[1].perTask);
        QCOMPARE(dialog.spec().program[1].us, 10u);
        // A map missing its result queue does not parse; one into an object that does not exist is refused.
        dialog.programBox()->setPlainText(QStringLiteral("map tasks"));
        QVERIFY2(dialog.programProblem().startsWith(QStringLiteral("Line 1")), qPrintable(dialog.programProblem()));
        QVERIFY(!okEnabled(dialog));
        dialog.programBox()->setPlainText(QStringLiteral("map tasks answers 256 chunk 32"));
        QVERIFY(dialog.programProblem().isEmpty());
        QVERIFY2(!dialog.problem().isEmpty(), "a map into an object that does not exist was accepted");
        QVERIFY(!okEnabled(dialog));
    }

    void objectDialogCountsCellsAndPermits()
    {
        ScenarioDocument document(ipccore::readMqLimits());
        ipccore::ObjectSpec spec;
        spec.name = "pool";
        spec.transport = ipccore::TransportKind::Semaphore;
        spec.capacity = 3;
        ObjectDialog dialog(document, spec, -1);
        QVERIFY2(dialog.problem().isEmpty(), qPrintable(dialog.problem()));
        QCOMPARE(dialog.capacityBox()->suffix(), QStringLiteral(" permits"));
        QVERIFY(dialog.capacityBox()->isEnabled());
        QVERIFY(!dialog.messageSizeBox()->isEnabled()); // a semaphore carries no messages
        QCOMPARE(dialog.spec().transport, ipccore::TransportKind::Semaphore);
        dialog.transportBox()->setCurrentIndex(dialog.transportBox()->findData(int(ipccore::TransportKind::ShmArray)));
        QCOMPARE(dialog.capacityBox()->suffix(), QStringLiteral(" cells"));
        QCOMPARE(dialog.spec().capacity, 3u);
        QVERIFY(okEnabled(dialog));
        dialog.transportBox()->setCurrentIndex(dialog.transportBox()->findData(int(ipccore::TransportKind::Mq)));
        QCOMPARE(dialog.capacityBox()->suffix(), QStringLiteral(" messages"));
        QVERIFY(dialog.messageSizeBox()->isEnabled());
        // A global is one integer: the box says 1 and cannot be changed, and the object is accepted as it is.
        dialog.transportBox()->setCurrentIndex(dialog.transportBox()->findData(int(ipccore::TransportKind::Global)));
        QCOMPARE(dialog.capacityBox()->value(), 1);
        QVERIFY(!dialog.capacityBox()->isEnabled());
        QVERIFY2(okEnabled(dialog), qPrintable(dialog.problem()));
        // A stream's ignored capacity (0 once loaded from a file) starts again from 8 on a queue.
        dialog.transportBox()->setCurrentIndex(dialog.transportBox()->findData(int(ipccore::TransportKind::Fifo)));
        dialog.capacityBox()->setValue(0);
        dialog.transportBox()->setCurrentIndex(dialog.transportBox()->findData(int(ipccore::TransportKind::Mq)));
        QCOMPARE(dialog.capacityBox()->value(), 8);
        QVERIFY2(okEnabled(dialog), qPrintable(dialog.problem()));
    }

    void objectDialogOffersEveryTransport()
    {
        // Every row of the transport table can be chosen, so an object of any kind opens as itself.
        ScenarioDocument document(ipccore::readMqLimits());
        ipccore::ObjectSpec spec;
        spec.name = "jobs";
        ObjectDialog dialog(document, spec, -1);
        for (const ipccore::TransportTraits& row : ipccore::transportTable())
            QVERIFY2(dialog.transportBox()->findData(int(row.kind)) >= 0, row.name);
        QCOMPARE(dialog.transportBox()->count(), int(ipccore::transportTable().size()));
    }

    void objectDialogEditsPipesAndSocketpairs()
    {
        ScenarioDocument document(ipccore::readMqLimits());
        QCOMPARE(document.loadBundled(QStringLiteral("pipe-one-way")), QString());
        const ipccore::ObjectSpec pipe = document.scenario().objects.front();
        QCOMPARE(pipe.transport, ipccore::TransportKind::Pipe);
        ObjectDialog dialog(document, pipe, 0);
        // It opens as a pipe (not as the first transport of the list), and OK gives it back unchanged.
        QCOMPARE(dialog.transportBox()->currentData().toInt(), int(ipccore::TransportKind::Pipe));
        QVERIFY2(dialog.transportBox()->currentText().startsWith(QStringLiteral("pipe — ")),
            qPrintable(dialog.transportBox()->currentText()));
        QVERIFY2(okEnabled(dialog), qPrintable(dialog.problem()));
        QCOMPARE(dialog.spec().transport, ipccore::TransportKind::Pipe);
        QCOMPARE(dialog.spec().messageSize, pipe.messageSize);
        // The kernel sizes the buffer: no capacity to give, as for a FIFO; the message size counts.
        QVERIFY(!dialog.capacityBox()->isEnabled());
        QCOMPARE(dialog.capacityBox()->suffix(), QString());
        QVERIFY(dialog.messageSizeBox()->isEnabled());
        // A message bigger than PIPE_BUF would not be written in one piece: refused with the reason.
        dialog.messageSizeBox()->setValue(8192);
        QVERIFY2(dialog.problem().contains(QStringLiteral("PIPE_BUF")), qPrintable(dialog.problem()));
        QVERIFY(!okEnabled(dialog));
        dialog.messageSizeBox()->setValue(64);
        QVERIFY(okEnabled(dialog));
        // A socketpair the same: its workers here (one sender, one receiver) fit it.
        dialog.transportBox()->setCurrentIndex(
            dialog.transportBox()->findData(int(ipccore::TransportKind::SocketPair)));
        QVERIFY(!dialog.capacityBox()->isEnabled());
        QVERIFY(dialog.messageSizeBox()->isEnabled());
        QVERIFY2(okEnabled(dialog), qPrintable(dialog.problem()));
        QCOMPARE(dialog.spec().transport, ipccore::TransportKind::SocketPair);

        // pipe-duplex's programs put and get on both ends of their socketpair: a one-way pipe will not do.
        QCOMPARE(document.loadBundled(QStringLiteral("pipe-duplex")), QString());
        const ipccore::ObjectSpec pair = document.scenario().objects.front();
        ObjectDialog duplex(document, pair, 0);
        QCOMPARE(duplex.transportBox()->currentData().toInt(), int(ipccore::TransportKind::SocketPair));
        QVERIFY2(okEnabled(duplex), qPrintable(duplex.problem()));
        duplex.transportBox()->setCurrentIndex(duplex.transportBox()->findData(int(ipccore::TransportKind::Pipe)));
        QVERIFY(!duplex.problem().isEmpty());
        QVERIFY(!okEnabled(duplex));
    }
};

QTEST_MAIN(TestEditorDialogs)
#include "tst_editor_dialogs.moc"
