// The window running programs against real worker processes, offscreen: counter-race shows its lost updates in the
// ledger (red, not zero) and counter-race-locked shows none; the charts show the counter instead of a depth; the
// semaphore's permits are drawn; nothing of the runs is left behind.
#include "model/process_table_model.h"
#include "model/run_session.h"
#include "widgets/chart_panel.h"
#include "widgets/ledger_view.h"
#include "widgets/main_window.h"
#include "widgets/object_view.h"

#include "test_support.h"

#include <QAction>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QtTest>

using namespace ipcui;

namespace {
qint64 figureValue(const LedgerView& ledger, const QString& field)
{
    QString text = ledger.figure(field);
    text.remove(QLocale().groupSeparator());
    bool ok = false;
    const qint64 value = text.toLongLong(&ok);
    return ok ? value : -1;
}
} // namespace

class TestProgramWindow : public QObject {
    Q_OBJECT
private:
    // Runs a bundled scenario for a moment in a fresh window, stops it, and leaves the window for checks; the
    // caller's guard deletes it.
    MainWindow* runAndStop(const QString& scenario, double seconds)
    {
        m_needle.clear();
        auto* window = new MainWindow();
        window->session()->setWorkerPath(ipctest::workerPath());
        window->show();
        if (!QTest::qWaitForWindowExposed(window) || !window->loadScenario(scenario).isEmpty())
            return window;
        QSignalSpy started(window->session(), &RunSession::runStarted);
        QSignalSpy stopped(window->session(), &RunSession::runStopped);
        window->runAction()->trigger();
        if (!started.wait(30000))
            return window;
        m_needle = window->session()->prefix().mid(1);
        QTest::qWait(int(seconds * 1000));
        window->stopRun();
        stopped.wait(30000);
        return window;
    }

    QString m_needle;

private slots:
    void counterRaceLosesUpdates()
    {
        MainWindow* window = runAndStop(QStringLiteral("counter-race"), 1.5);
        const auto cleanup = qScopeGuard([window] { delete window; });
        QVERIFY(!m_needle.isEmpty());
        QVERIFY(!window->session()->isActive());
        const LedgerView& ledger = *window->ledgerView();
        // The final books: increments made = counter value + lost updates, and some were lost.
        const qint64 increments = figureValue(ledger, QStringLiteral("counter.increments"));
        const qint64 value = figureValue(ledger, QStringLiteral("counter.cellSum"));
        const qint64 lost = figureValue(ledger, QStringLiteral("counter.lostUpdates"));
        QVERIFY2(increments > 100, qPrintable(ledger.figure(QStringLiteral("counter.increments"))));
        QVERIFY2(lost > 0, qPrintable(ledger.figure(QStringLiteral("counter.lostUpdates"))));
        QCOMPARE(increments, value + lost);
        QVERIFY(ledger.isAlarmed(QStringLiteral("counter.lostUpdates")));
        // No row of message totals: nothing here carries messages.
        QVERIFY(!ledger.messageTotalsShown());
        // The charts showed the counter, not a depth.
        QVERIFY(window->charts()->isChartShown(ChartPanel::CounterChart));
        QVERIFY(!window->charts()->isChartShown(ChartPanel::DepthChart));
        QVERIFY(window->charts()->visiblePointCount(ChartPanel::CounterChart) > 0);
        // The table showed programs.
        QVERIFY(window->processModel()->rowCount() == 4);
        QCOMPARE(window->processModel()->index(0, ProcessTableModel::RoleColumn).data().toString(),
            QStringLiteral("program"));
        QVERIFY2(ipctest::leftoverObjects(m_needle).isEmpty(),
            qPrintable(ipctest::leftoverObjects(m_needle).join(QStringLiteral(", "))));
    }

    void lockedCounterLosesNone()
    {
        MainWindow* window = runAndStop(QStringLiteral("counter-race-locked"), 1.5);
        const auto cleanup = qScopeGuard([window] { delete window; });
        QVERIFY(!m_needle.isEmpty());
        const LedgerView& ledger = *window->ledgerView();
        QVERIFY(figureValue(ledger, QStringLiteral("counter.increments")) > 100);
        QCOMPARE(ledger.figure(QStringLiteral("counter.lostUpdates")), QStringLiteral("0"));
        QVERIFY(!ledger.isAlarmed(QStringLiteral("counter.lostUpdates")));
        QCOMPARE(figureValue(ledger, QStringLiteral("counter.increments")),
            figureValue(ledger, QStringLiteral("counter.cellSum")));
        QVERIFY2(ipctest::leftoverObjects(m_needle).isEmpty(),
            qPrintable(ipctest::leftoverObjects(m_needle).join(QStringLiteral(", "))));
    }

    void semaphorePoolShowsPermits()
    {
        MainWindow* window = runAndStop(QStringLiteral("semaphore-pool"), 1.0);
        const auto cleanup = qScopeGuard([window] { delete window; });
        QVERIFY(!m_needle.isEmpty());
        const LedgerView& ledger = *window->ledgerView();
        QVERIFY(figureValue(ledger, QStringLiteral("pool.acquires")) > 0);
        // Every permit taken was given back: the value is back at its initial 2.
        QCOMPARE(ledger.figure(QStringLiteral("pool.value")), QStringLiteral("2 of 2 free"));
        QCOMPARE(
            figureValue(ledger, QStringLiteral("pool.acquires")), figureValue(ledger, QStringLiteral("pool.releases")));
        QVERIFY(!window->charts()->isChartShown(ChartPanel::DepthChart));
        QVERIFY(window->charts()->visiblePointCount(ChartPanel::SemaphoreChart) > 0);
        QVERIFY2(ipctest::leftoverObjects(m_needle).isEmpty(),
            qPrintable(ipctest::leftoverObjects(m_needle).join(QStringLiteral(", "))));
    }
};

QTEST_MAIN(TestProgramWindow)
#include "tst_program_window.moc"
