// Pipes, socketpairs and message-queue priorities in the window, against real worker processes, offscreen:
// pipe-one-way draws its anonymous pipe as the bytes waiting out of its kernel buffer, pipe-duplex its socketpair in
// words (what waits in it cannot be seen without reading it), and neither shows a system name, since nothing in the
// system names them; mq-priority shows each priority's share of the messages taken and its mean wait in the queue
// in the ledger, before, during and after the run; nothing of the runs is left behind. A broadcast's card names the
// subscriber furthest behind.
#include "model/process_table_model.h"
#include "model/run_session.h"
#include "widgets/ledger_view.h"
#include "widgets/main_window.h"
#include "widgets/object_view.h"

#include "test_support.h"

#include <QAction>
#include <QLabel>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QtTest>

using namespace ipcui;

namespace {
qint64 number(QString text)
{
    text.remove(QLocale().groupSeparator());
    bool ok = false;
    const qint64 value = text.toLongLong(&ok);
    return ok ? value : -1;
}

qint64 figureValue(const LedgerView& ledger, const QString& field)
{
    return number(ledger.figure(field));
}

// "priority 9 · 569 taken" -> 569; -1 when the caption does not read so.
qint64 takenAt(const LedgerView& ledger, const QString& field)
{
    static const QRegularExpression caption(QStringLiteral("^priority \\d+ · (.+) taken$"));
    const QRegularExpressionMatch match = caption.match(ledger.caption(field));
    return match.hasMatch() ? number(match.captured(1)) : -1;
}

// "49% · waits 7.8 ms" -> { 49, 7800 }; { -1, -1 } when the figure does not read so.
std::pair<int, double> shareAndWaitUs(const LedgerView& ledger, const QString& field)
{
    static const QRegularExpression figure(QStringLiteral("^(\\d+)% · waits ([\\d.]+) (µs|ms|s)$"));
    const QRegularExpressionMatch match = figure.match(ledger.figure(field));
    if (!match.hasMatch())
        return { -1, -1 };
    const double scale = match.captured(3) == QStringLiteral("s") ? 1e6
        : match.captured(3) == QStringLiteral("ms")               ? 1e3
                                                                  : 1;
    return { match.captured(1).toInt(), match.captured(2).toDouble() * scale };
}

// Nothing that names the object in the system (a run's "/ipclab-..." prefix or a path) for an anonymous one.
void verifyAnonymous(const ObjectView& view, std::size_t index)
{
    const ipccore::ObjectStatus& object = view.objects().at(index);
    QVERIFY(ipccore::traits(object.transport).anonymous);
    QCOMPARE(ObjectView::systemName(object), QStringLiteral("anonymous (no name; inherited descriptors)"));
    const QString tip = view.tooltipText(index);
    QVERIFY2(tip.contains(QStringLiteral("system name: anonymous (no name; inherited descriptors)")), qPrintable(tip));
    QVERIFY2(!tip.contains(QStringLiteral("ipclab-")), qPrintable(tip));
    if (!object.osName.empty())
        QVERIFY2(!tip.contains(QString::fromStdString(object.osName)), qPrintable(tip));
}
} // namespace

class TestTransportWindow : public QObject {
    Q_OBJECT
private:
    // A fresh window on a bundled scenario, shown; the caller's guard deletes it.
    MainWindow* openOn(const QString& scenario)
    {
        auto* window = new MainWindow();
        window->session()->setWorkerPath(ipctest::workerPath());
        window->show();
        if (!QTest::qWaitForWindowExposed(window) || !window->loadScenario(scenario).isEmpty())
            qWarning("could not open %s", qPrintable(scenario));
        return window;
    }

    // Starts the loaded scenario and waits for it to run; the prefix of its objects goes into m_needle.
    bool start(MainWindow* window)
    {
        m_needle.clear();
        QSignalSpy started(window->session(), &RunSession::runStarted);
        window->runAction()->trigger();
        if (!started.wait(30000))
            return false;
        m_needle = window->session()->prefix().mid(1);
        return !m_needle.isEmpty();
    }

    bool stop(MainWindow* window)
    {
        QSignalSpy stopped(window->session(), &RunSession::runStopped);
        window->stopRun();
        return stopped.wait(30000);
    }

    QString m_needle;

private slots:
    void pipeOneWayShowsTheBytesInItsBuffer()
    {
        MainWindow* window = openOn(QStringLiteral("pipe-one-way"));
        const auto cleanup = qScopeGuard([window] { delete window; });
        ObjectView& view = *window->objectView();
        // Before the run: the pipe's card, with the bar it will fill and no name.
        QCOMPARE(view.objects().size(), std::size_t(1));
        QCOMPARE(view.objects().front().transport, ipccore::TransportKind::Pipe);
        QCOMPARE(view.figureText(0), QStringLiteral("not running"));
        QVERIFY2(
            view.bodyText(0).startsWith(QStringLiteral("Bytes waiting in the pipe")), qPrintable(view.bodyText(0)));
        verifyAnonymous(view, 0);

        QVERIFY(start(window));
        // Running: "<bytes> / <buffer>", the buffer's size read from the kernel (64 KiB unless changed).
        QTRY_VERIFY_WITH_TIMEOUT(view.objects().front().byteCapacity > 0, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(figureValue(*window->ledgerView(), QStringLiteral("received")) > 200, 30000);
        const ipccore::ObjectStatus& pipe = view.objects().front();
        QVERIFY(pipe.bytesQueued >= 0 && pipe.bytesQueued <= pipe.byteCapacity);
        const QRegularExpression bytes(QStringLiteral("^\\d+(\\.\\d)? (B|KiB) / \\d+(\\.\\d)? KiB$"));
        QVERIFY2(bytes.match(view.figureText(0)).hasMatch(), qPrintable(view.figureText(0)));
        QVERIFY2(view.bodyText(0).contains(QStringLiteral("KiB kernel buffer")), qPrintable(view.bodyText(0)));
        QVERIFY2(view.tooltipText(0).contains(QStringLiteral("bytes waiting")), qPrintable(view.tooltipText(0)));
        verifyAnonymous(view, 0);
        QCOMPARE(window->processModel()->index(0, ProcessTableModel::TransportColumn).data().toString(),
            QStringLiteral("pipe (conn)"));

        QVERIFY(stop(window));
        const LedgerView& ledger = *window->ledgerView();
        QVERIFY(figureValue(ledger, QStringLiteral("sent")) >= figureValue(ledger, QStringLiteral("received")));
        for (const char* field : { "lost", "duplicated", "corrupt", "workerErrors" })
            QCOMPARE(ledger.figure(QString::fromLatin1(field)), QStringLiteral("0"));
        // The status bar tells how the run ended (it said only "Idle"): its time, its books, the verdict.
        const QString status = window->findChild<QLabel*>(QStringLiteral("runStatus"))->text();
        QVERIFY2(status.startsWith(QStringLiteral("Stopped after ")), qPrintable(status));
        QVERIFY2(status.contains(QStringLiteral(" sent, ")) && status.contains(QStringLiteral(" received, "))
                && status.contains(QStringLiteral("ledger exact")),
            qPrintable(status));
        verifyAnonymous(view, 0);
        QVERIFY2(ipctest::leftoverObjects(m_needle).isEmpty(),
            qPrintable(ipctest::leftoverObjects(m_needle).join(QStringLiteral(", "))));
    }

    void pipeDuplexSaysWhatCannotBeSeen()
    {
        MainWindow* window = openOn(QStringLiteral("pipe-duplex"));
        const auto cleanup = qScopeGuard([window] { delete window; });
        ObjectView& view = *window->objectView();
        QCOMPARE(view.objects().size(), std::size_t(1));
        QCOMPARE(view.objects().front().transport, ipccore::TransportKind::SocketPair);
        verifyAnonymous(view, 0);

        QVERIFY(start(window));
        QTRY_VERIFY_WITH_TIMEOUT(figureValue(*window->ledgerView(), QStringLiteral("received")) > 1000, 30000);
        // No bar it could not fill: what waits in either direction is unknown without reading it, and it says so.
        QCOMPARE(view.objects().front().depth, std::int64_t(-1));
        QCOMPARE(view.figureText(0), QStringLiteral("depth not visible"));
        QVERIFY2(
            view.bodyText(0).contains(QStringLiteral("cannot be seen without reading")), qPrintable(view.bodyText(0)));
        QVERIFY2(view.bodyText(0).contains(QStringLiteral("one-way channels")), qPrintable(view.bodyText(0)));
        verifyAnonymous(view, 0);
        // Both programs put and get on their ends.
        ProcessTableModel* model = window->processModel();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 2, 30000);
        for (int row = 0; row < model->rowCount(); ++row)
            QCOMPARE(model->index(row, ProcessTableModel::TransportColumn).data().toString(),
                QStringLiteral("socketpair (conn)"));

        QVERIFY(stop(window));
        const LedgerView& ledger = *window->ledgerView();
        for (const char* field : { "lost", "duplicated", "corrupt", "workerErrors" })
            QCOMPARE(ledger.figure(QString::fromLatin1(field)), QStringLiteral("0"));
        QVERIFY2(ipctest::leftoverObjects(m_needle).isEmpty(),
            qPrintable(ipctest::leftoverObjects(m_needle).join(QStringLiteral(", "))));
    }

    void mqPriorityShowsEachPrioritysShareAndWait()
    {
        MainWindow* window = openOn(QStringLiteral("mq-priority"));
        const auto cleanup = qScopeGuard([window] { delete window; });
        const LedgerView& ledger = *window->ledgerView();
        const QString urgent = QStringLiteral("jobs.priority.9"), routine = QStringLiteral("jobs.priority.0");

        // Before the run: a tile per priority the producers send at, highest first, nothing taken yet; small tiles
        // beside the message totals, as with a pool.
        QVERIFY(ledger.isCompact());
        QCOMPARE(ledger.figure(urgent), QStringLiteral("–"));
        QCOMPARE(ledger.figure(routine), QStringLiteral("–"));
        const auto* title = ledger.findChild<QLabel*>(QStringLiteral("priorityTitle"));
        QVERIFY(title);
        QTRY_VERIFY(title->isVisible()); // a row built while the window shows is shown from the event loop

        QVERIFY(start(window));
        // Running: each priority's messages taken, share and mean wait, visible without hovering.
        QTRY_VERIFY_WITH_TIMEOUT(takenAt(ledger, urgent) > 100 && takenAt(ledger, routine) > 100, 30000);
        QVERIFY2(title->text().contains(QStringLiteral("Priorities on ‘jobs’")), qPrintable(title->text()));
        QVERIFY2(title->text().contains(QStringLiteral("mean wait in the queue")), qPrintable(title->text()));
        for (const QString& field : { urgent, routine }) {
            QVERIFY2(shareAndWaitUs(ledger, field).first >= 0, qPrintable(ledger.figure(field)));
            // Shown, not only set: a visible label in the ledger carries the figure.
            const QList<QLabel*> labels = ledger.findChildren<QLabel*>();
            QVERIFY(std::any_of(labels.begin(), labels.end(),
                [&](const QLabel* label) { return label->isVisible() && label->text() == ledger.figure(field); }));
        }
        QVERIFY(stop(window));

        // At stop, the Report's books: priority buys order, not bandwidth. Each gets a fair part of what the one
        // consumer takes, and urgent messages wait less in the queue than routine ones.
        const auto [urgentShare, urgentWait] = shareAndWaitUs(ledger, urgent);
        const auto [routineShare, routineWait] = shareAndWaitUs(ledger, routine);
        QVERIFY2(urgentShare >= 0 && routineShare >= 0,
            qPrintable(ledger.figure(urgent) + QStringLiteral(" / ") + ledger.figure(routine)));
        QVERIFY2(urgentShare + routineShare >= 99 && urgentShare + routineShare <= 101,
            qPrintable(QStringLiteral("%1 + %2").arg(urgentShare).arg(routineShare)));
        QVERIFY2(urgentShare >= 15 && routineShare >= 15,
            qPrintable(QStringLiteral("%1 / %2").arg(urgentShare).arg(routineShare)));
        QVERIFY2(urgentWait < routineWait,
            qPrintable(ledger.figure(urgent) + QStringLiteral(" / ") + ledger.figure(routine)));
        // The figures are the Report's: taken at each priority adds up to what the consumer received.
        QCOMPARE(takenAt(ledger, urgent) + takenAt(ledger, routine), figureValue(ledger, QStringLiteral("received")));
        QCOMPARE(ledger.figure(QStringLiteral("problems")), QStringLiteral("0 · 0 · 0 · 0"));
        QVERIFY2(ipctest::leftoverObjects(m_needle).isEmpty(),
            qPrintable(ipctest::leftoverObjects(m_needle).join(QStringLiteral(", "))));
    }

    // A broadcast's card names the subscriber furthest behind (ObjectStatus::furthestBehind, from the runner) once it
    // lags by a queue's worth or more; a few copies behind (the fast ones, between two samples) it says nothing.
    void aBroadcastCardNamesItsSubscriberFurthestBehind()
    {
        ObjectView view;
        ipccore::ObjectStatus news;
        news.name = "news";
        news.transport = ipccore::TransportKind::ZmqPub;
        news.capacity = 8;
        news.depth = 300;
        news.furthestBehind = "subscriber-3";
        news.furthestBehindBy = 279;
        view.setObjects({ news }, true);
        QVERIFY2(view.bodyText(0).startsWith(
                     QStringLiteral("Furthest behind: subscriber-3, 279 copies behind the fastest. ")),
            qPrintable(view.bodyText(0)));
        QCOMPARE(view.figureText(0), QStringLiteral("300 copies in flight"));
        news.furthestBehindBy = 7;
        view.setObjects({ news }, true);
        QVERIFY2(!view.bodyText(0).contains(QStringLiteral("subscriber-3")), qPrintable(view.bodyText(0)));
        news.furthestBehindBy = 279;
        view.setObjects({ news }, false);
        QVERIFY2(!view.bodyText(0).contains(QStringLiteral("subscriber-3")), qPrintable(view.bodyText(0)));
    }
};

QTEST_MAIN(TestTransportWindow)
#include "tst_transport_window.moc"
