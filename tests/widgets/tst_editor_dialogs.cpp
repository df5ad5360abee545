// The experiment editor's forms refuse invalid values with the reason and keep OK disabled; they never clamp.
#include "model/scenario_document.h"
#include "widgets/object_dialog.h"
#include "widgets/worker_dialog.h"

#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
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
};

QTEST_MAIN(TestEditorDialogs)
#include "tst_editor_dialogs.moc"
