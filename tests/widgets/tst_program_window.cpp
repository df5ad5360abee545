// The window running programs against real worker processes, offscreen: counter-race shows its lost updates in the
// ledger (red, not zero) and counter-race-locked shows none; the charts show the counter instead of a depth; the
// semaphore's permits are drawn; pool-map shows its books in tasks (the ledger's pool row, live and at stop) and
// each process's tasks in the table, with both queues whole in the objects panel; manager-dict shows its books in
// requests (exact at stop), the server's d['count'] against its clients' sets, and each step's mean time in the
// Programs tab, a round trip far above a shared-memory read; nothing of the runs is left behind.
#include "model/contention_model.h"
#include "model/process_table_model.h"
#include "model/program_steps_model.h"
#include "model/run_session.h"
#include "widgets/chart_panel.h"
#include "widgets/ledger_view.h"
#include "widgets/main_window.h"
#include "widgets/object_view.h"
#include "widgets/process_panel.h"
#include "widgets/python_view.h"
#include "widgets/timeline_view.h"
#include "widgets/wait_for_view.h"

#include "test_support.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QElapsedTimer>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QtTest>

#include <algorithm>
#include <memory>

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

// A fresh window running programs against the built worker, shown offscreen, its run's start and stop spied; the
// window goes with it. The needle is the run's prefix, to look for its leftovers by, once it has started.
struct LiveWindow {
    LiveWindow()
    {
        window->session()->setWorkerPath(ipctest::workerPath());
        window->show();
    }
    // Empty once the window is exposed and the bundled scenario loaded, else why not.
    QString open(const QString& scenario)
    {
        if (!QTest::qWaitForWindowExposed(window.get()))
            return QStringLiteral("the window was never exposed");
        return window->loadScenario(scenario);
    }
    bool start()
    {
        window->runAction()->trigger();
        if (!started.wait(30000))
            return false;
        needle = window->session()->prefix().mid(1);
        return true;
    }
    bool stop()
    {
        window->stopRun();
        return stopped.wait(30000);
    }
    // Opens and starts a scenario, runs it for a moment and stops it: true if it started (the stop is the caller's
    // to check).
    bool runAndStop(const QString& scenario, double seconds)
    {
        if (!open(scenario).isEmpty() || !start())
            return false;
        QTest::qWait(int(seconds * 1000));
        stop();
        return true;
    }
    QStringList leftovers() const { return ipctest::leftoverObjects(needle); }
    // Makes `page` the current tab of the window's tabs that hold it; those tabs, or null.
    QTabWidget* showTab(QWidget* page) const
    {
        for (QTabWidget* t : window->findChildren<QTabWidget*>()) {
            if (t->indexOf(page) >= 0) {
                t->setCurrentWidget(page);
                return t;
            }
        }
        return nullptr;
    }

    const std::unique_ptr<MainWindow> window = std::make_unique<MainWindow>();
    QSignalSpy started { window->session(), &RunSession::runStarted };
    QSignalSpy stopped { window->session(), &RunSession::runStopped };
    QString needle;
};
} // namespace

class TestProgramWindow : public QObject {
    Q_OBJECT
private slots:
    // With dozens of processes (a new user's trial at 64 workers) the table sorts by a column and filters by a word,
    // and what the buttons act on is still the selected worker, not the row it happens to be drawn on.
    void processTableSortsAndFilters()
    {
        ProcessTableModel model;
        ProcessPanel panel(&model);
        ipccore::Snapshot s;
        const std::pair<const char*, ipccore::Role> workers[]
            = { { "producer-1", ipccore::Role::Producer }, { "producer-2", ipccore::Role::Producer },
                  { "producer-10", ipccore::Role::Producer }, { "consumer-1", ipccore::Role::Consumer } };
        std::uint64_t messages = 100;
        for (const auto& [name, role] : workers) {
            ipccore::WorkerStatus w;
            w.name = name;
            w.role = role;
            w.transport = ipccore::TransportKind::ShmRing;
            w.object = messages == 300 || messages == 900 ? "buffer-2" : "buffer-1"; // producer-2 and producer-10
            w.messages = messages;
            w.messageSize = 256;
            messages = messages * 3 % 1000; // 100, 300, 900, 700
            s.workers.push_back(w);
        }
        model.apply(s);
        panel.resize(1200, 400);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QTableView* table = panel.table();
        auto column = [table](int c) {
            QStringList texts;
            for (int row = 0; row < table->model()->rowCount(); ++row)
                texts << table->model()->index(row, c).data().toString();
            return texts.join(QLatin1Char(' '));
        };
        // No program among them: no Step column (it took the room the Exit column needed).
        QVERIFY(table->isColumnHidden(ProcessTableModel::StepColumn));
        // The run's order until a header is clicked.
        QCOMPARE(column(ProcessTableModel::NameColumn), QStringLiteral("producer-1 producer-2 producer-10 consumer-1"));
        QTest::mouseClick(table->horizontalHeader()->viewport(), Qt::LeftButton, {},
            QPoint(table->horizontalHeader()->sectionViewportPosition(ProcessTableModel::NameColumn) + 5, 5));
        // Names as a person reads them: 2 before 10.
        QCOMPARE(column(ProcessTableModel::NameColumn), QStringLiteral("consumer-1 producer-1 producer-2 producer-10"));
        table->sortByColumn(ProcessTableModel::TotalColumn, Qt::DescendingOrder);
        QCOMPARE(column(ProcessTableModel::NameColumn), QStringLiteral("producer-10 consumer-1 producer-2 producer-1"));
        // Selecting the first row drawn selects worker 2 (producer-10), whatever row it is drawn on.
        table->selectRow(0);
        QCOMPARE(panel.selectedWorkers(), QList<int>({ 2 }));
        // The Size box shows and sets a producer's frame size; a consumer has none to set (a trial read "64 B" there).
        panel.setRunActive(true);
        QVERIFY(panel.sizeBox()->isEnabled());
        QCOMPARE(panel.sizeBox()->text(), QStringLiteral("256 B"));
        table->selectRow(1);
        QCOMPARE(panel.selectedWorkers(), QList<int>({ 3 }));
        QVERIFY(!panel.sizeBox()->isEnabled());
        QCOMPARE(panel.sizeBox()->text(), QStringLiteral("\u2014"));
        panel.setRunActive(false);
        table->selectRow(0);
        panel.filterBox()->setText(QStringLiteral("PRODUCER"));
        QCOMPARE(column(ProcessTableModel::NameColumn), QStringLiteral("producer-10 producer-2 producer-1"));
        panel.filterBox()->setText(QStringLiteral("consumer"));
        QCOMPARE(column(ProcessTableModel::NameColumn), QStringLiteral("consumer-1"));
        panel.filterBox()->setText(QStringLiteral("buffer-2")); // the object a process uses
        QCOMPARE(column(ProcessTableModel::NameColumn), QStringLiteral("producer-10 producer-2"));
        panel.filterBox()->setText(QStringLiteral("buffer-9"));
        QCOMPARE(table->model()->rowCount(), 0);
        panel.filterBox()->clear();
        QCOMPARE(table->model()->rowCount(), 4);
        // The figures change: the sorted table follows within a second or so, not at every change.
        s.workers[0].messages = 5000;
        model.apply(s);
        // Not at the change itself (rows moved under the pointer 20 times a second)...
        QCOMPARE(column(ProcessTableModel::NameColumn), QStringLiteral("producer-10 consumer-1 producer-2 producer-1"));
        // ...but at the next once-a-second pass.
        QTRY_COMPARE_WITH_TIMEOUT(column(ProcessTableModel::NameColumn),
            QStringLiteral("producer-1 producer-10 consumer-1 producer-2"), 3000);
        // Three clicks on a header: ascending, descending, and back to the run's order.
        const QPoint name(table->horizontalHeader()->sectionViewportPosition(ProcessTableModel::NameColumn) + 5, 5);
        QTest::mouseClick(table->horizontalHeader()->viewport(), Qt::LeftButton, {}, name);
        QCOMPARE(column(ProcessTableModel::NameColumn), QStringLiteral("consumer-1 producer-1 producer-2 producer-10"));
        QTest::mouseClick(table->horizontalHeader()->viewport(), Qt::LeftButton, {}, name);
        QCOMPARE(column(ProcessTableModel::NameColumn), QStringLiteral("producer-10 producer-2 producer-1 consumer-1"));
        QTest::mouseClick(table->horizontalHeader()->viewport(), Qt::LeftButton, {}, name);
        QCOMPARE(column(ProcessTableModel::NameColumn), QStringLiteral("producer-1 producer-2 producer-10 consumer-1"));
    }

    // The graph at scale (a new user's trial with 64 workers on 8 buffers): an object keeps its row between refreshes,
    // and the view asks for a line of text per process, so its tab scrolls instead of squeezing names out of boxes.
    void waitForGraphKeepsItsObjectsInPlace()
    {
        auto snapshot = [](std::initializer_list<const char*> waitedOn) {
            ipccore::Snapshot s;
            for (int i = 1; i <= 64; ++i) {
                ipccore::WorkerStatus w;
                w.name = "consumer-" + std::to_string(i);
                s.workers.push_back(w);
            }
            for (int b = 1; b <= 8; ++b) {
                ipccore::ObjectStatus o;
                o.name = "buffer-" + std::to_string(b);
                s.objects.push_back(o);
            }
            int waiter = 0;
            for (const char* name : waitedOn)
                for (ipccore::ObjectStatus& o : s.objects)
                    if (o.name == name)
                        o.waiters.push_back({ "consumer-" + std::to_string(++waiter), 0.5, true });
            return s;
        };
        WaitForView view;
        view.setSnapshot(snapshot({ "buffer-3", "buffer-5" }));
        QCOMPARE(view.objectNames(), QStringList({ QStringLiteral("buffer-3"), QStringLiteral("buffer-5") }));
        view.setSnapshot(snapshot({ "buffer-1", "buffer-5" }));
        // buffer-3 keeps its row although nobody waits on it now; buffer-1 joins below, not above.
        QCOMPARE(view.objectNames(),
            QStringList({ QStringLiteral("buffer-3"), QStringLiteral("buffer-5"), QStringLiteral("buffer-1") }));
        QCOMPARE(view.edgeTexts().size(), 2);
        // Pointing at a box tells that box's edges alone: the first process row, the third object row.
        view.resize(900, view.minimumSizeHint().height());
        const int firstRow = view.minimumSizeHint().height() - 12 - 64 * (view.fontMetrics().height() + 10) + 4;
        QCOMPARE(view.edgeTextsAt(QPoint(20, firstRow)),
            QStringList({ QStringLiteral("consumer-1 waits on buffer-1 (0.5 s)") }));
        const int objectX = view.width() - 12 - std::min(200, (view.width() - 36) / 3) + 5;
        const int thirdRow = firstRow + 2 * (view.fontMetrics().height() + 10);
        QCOMPARE(view.edgeTextsAt(QPoint(std::min(objectX, 12 + 200 + 360 + 5), thirdRow)),
            QStringList({ QStringLiteral("consumer-1 waits on buffer-1 (0.5 s)") }));
        QVERIFY(view.edgeTextsAt(QPoint(20, firstRow + 2 * (view.fontMetrics().height() + 10)))
                    .first()
                    .contains(QStringLiteral("consumer-3: waits on nothing")));
        QVERIFY(view.edgeTextsAt(QPoint(250, firstRow)).isEmpty()); // between the columns
        QVERIFY2(view.edgeTexts().join(QStringLiteral("; ")).contains(QStringLiteral("consumer-1 waits on buffer-1")),
            qPrintable(view.edgeTexts().join(QStringLiteral("; "))));
        QVERIFY(view.minimumSizeHint().height() > 64 * view.fontMetrics().height());
        // Forty waiters: the tooltip lists twenty edges and counts the rest, rather than covering the screen.
        {
            ipccore::Snapshot many = snapshot({});
            for (int i = 1; i <= 40; ++i)
                many.objects[0].waiters.push_back({ "consumer-" + std::to_string(i), 0.5, true });
            view.setSnapshot(many);
            QCOMPARE(view.edgeTexts().size(), 40);
            const QStringList tip = view.toolTip().split(QLatin1Char('\n'));
            QCOMPARE(tip.size(), 21);
            QCOMPARE(tip.last(), QStringLiteral("… and 20 more (the graph draws them all)"));
        }
        // Nobody waits now: nothing is drawn but a sentence, so the view asks no room for rows.
        view.setSnapshot(snapshot({}));
        QVERIFY(view.edgeTexts().isEmpty());
        QCOMPARE(view.minimumSizeHint().height(), 120);
        view.clear();
        QVERIFY(view.objectNames().isEmpty());
        QCOMPARE(view.minimumSizeHint().height(), 120);
    }

    // globals-not-shared's ledger puts three tiles in a row (a shared Value's books): the left column widens to show
    // them whole, where it used to cut its right edge off ("3 c", "los"), since it never scrolls sideways.
    void leftColumnShowsItsLedgerWhole()
    {
        LiveWindow live;
        MainWindow* window = live.window.get();
        QCOMPARE(live.open(QStringLiteral("globals-not-shared")), QString());
        auto* column = window->findChild<QScrollArea*>(QStringLiteral("leftColumn"));
        QVERIFY(column && column->widget());
        // The content's least width fits the viewport (a scroll area that never scrolls sideways squeezes its widget
        // to the viewport and cuts what does not fit, so the widget's own width proves nothing).
        QTRY_VERIFY2_WITH_TIMEOUT(column->viewport()->width() >= column->widget()->minimumSizeHint().width(),
            qPrintable(QStringLiteral("content needing %1 px in a %2 px viewport")
                           .arg(column->widget()->minimumSizeHint().width())
                           .arg(column->viewport()->width())),
            5000);
        QVERIFY(window->ledgerView()->minimumSizeHint().width() <= column->viewport()->width());
        // Running, the ledger shows every tile (the shared Value's lost updates beside its increments and value).
        QVERIFY(live.start());
        QTRY_VERIFY_WITH_TIMEOUT(
            window->ledgerView()->figure(QStringLiteral("shared.increments")) != QStringLiteral("0")
                && !window->ledgerView()->figure(QStringLiteral("shared.increments")).isEmpty(),
            30000);
        QTRY_VERIFY2_WITH_TIMEOUT(column->viewport()->width() >= column->widget()->minimumSizeHint().width(),
            qPrintable(QStringLiteral("content needing %1 px in a %2 px viewport")
                           .arg(column->widget()->minimumSizeHint().width())
                           .arg(column->viewport()->width())),
            5000);
        QVERIFY(live.stop());
        QVERIFY2(live.leftovers().isEmpty(), qPrintable(live.leftovers().join(QStringLiteral(", "))));
    }

    // The objects' pane is no taller than its cards when they fit. At 1280x800 a lone Manager object's pane kept
    // about 150 px empty (the column's spare height went to it), and the request tiles below fell out of view.
    void objectsPaneIsNoTallerThanItsCards()
    {
        LiveWindow live;
        MainWindow* window = live.window.get();
        window->resize(1280, 800);
        QCOMPARE(live.open(QStringLiteral("dining-philosophers")), QString()); // five cards first: it scrolls
        QCOMPARE(live.open(QStringLiteral("zmq-manager")), QString());
        QWidget* box = window->objectView();
        while (box && !qobject_cast<QGroupBox*>(box))
            box = box->parentWidget();
        QVERIFY(box);
        const int cards = window->objectView()->sizeHint().height();
        const int chrome = 3 * box->fontMetrics().height(); // the box's title and margins
        QTRY_VERIFY_WITH_TIMEOUT(box->height() >= cards, 5000); // laid out, and whole
        QTest::qWait(100); // the layout settles (the column's scroll area sizes its widget after it)
        QVERIFY2(box->height() <= cards + chrome,
            qPrintable(QStringLiteral("a %1 px pane for %2 px of cards").arg(box->height()).arg(cards)));
        // Zoomed, the cards grow with the font, and the pane with them. (The zoom sets the application's font: back
        // to 100 % for the tests after this one.)
        auto unzoom = qScopeGuard([window] { window->setZoom(1.0); });
        window->setZoom(1.5);
        QTRY_VERIFY_WITH_TIMEOUT(window->objectView()->sizeHint().height() > cards, 5000);
        QTRY_VERIFY2_WITH_TIMEOUT(box->height() >= window->objectView()->sizeHint().height(),
            qPrintable(QStringLiteral("a %1 px pane for %2 px of cards")
                           .arg(box->height())
                           .arg(window->objectView()->sizeHint().height())),
            5000);
    }

    void counterRaceLosesUpdates()
    {
        LiveWindow live;
        MainWindow* window = live.window.get();
        QVERIFY(live.runAndStop(QStringLiteral("counter-race"), 1.5));
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
        QVERIFY2(live.leftovers().isEmpty(), qPrintable(live.leftovers().join(QStringLiteral(", "))));
    }

    // A ZeroMQ object keeps the consumers it started with: "+ Consumer" is off and says why, "+ Producer" stays on.
    void addConsumerIsOffWhereNoObjectTakesOne()
    {
        LiveWindow live;
        MainWindow* window = live.window.get();
        QVERIFY(live.open(QStringLiteral("zmq-push-pull")).isEmpty());
        QVERIFY(live.start());
        auto* producer = window->findChild<QPushButton*>(QStringLiteral("addProducer"));
        auto* consumer = window->findChild<QPushButton*>(QStringLiteral("addConsumer"));
        QVERIFY(producer && consumer);
        QTRY_VERIFY_WITH_TIMEOUT(producer->isEnabled(), 10000);
        QVERIFY(!consumer->isEnabled());
        QVERIFY2(
            consumer->toolTip().contains(QStringLiteral("takes another consumer")), qPrintable(consumer->toolTip()));
        QVERIFY(live.stop());
        QVERIFY2(live.leftovers().isEmpty(), qPrintable(live.leftovers().join(QStringLiteral(", "))));
    }

    void addProgramCopiesTheSelectedProgram()
    {
        LiveWindow live;
        MainWindow* window = live.window.get();
        QVERIFY(live.open(QStringLiteral("counter-race")).isEmpty());
        QVERIFY(live.start());
        ProcessTableModel* model = window->processModel();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 4, 30000);
        auto* table = window->findChild<QTableView*>(QStringLiteral("processTable"));
        auto* add = window->findChild<QPushButton*>(QStringLiteral("addProgram"));
        QVERIFY(table && add);
        QTRY_VERIFY_WITH_TIMEOUT(add->isEnabled(), 10000);
        // Nothing here carries messages: no producer or consumer to add.
        QVERIFY(!window->findChild<QPushButton*>(QStringLiteral("addProducer"))->isEnabled());
        QVERIFY(!window->findChild<QPushButton*>(QStringLiteral("addConsumer"))->isEnabled());
        table->selectRow(1);
        const QString copied = model->index(1, ProcessTableModel::NameColumn).data().toString();
        add->click();
        // A fifth process, named after the one it copies, on the same three steps, counted in the same counter.
        QTRY_VERIFY2_WITH_TIMEOUT(model->rowCount() == 5, qPrintable(window->lastError()), 30000);
        const QString name = model->index(4, ProcessTableModel::NameColumn).data().toString();
        QVERIFY2(name.startsWith(copied.section(QLatin1Char('-'), 0, 0)), qPrintable(name + " from " + copied));
        QCOMPARE(model->index(4, ProcessTableModel::RoleColumn).data().toString(), QStringLiteral("program"));
        QTRY_VERIFY_WITH_TIMEOUT(model->worker(4).messages > 10, 30000);
        const QRegularExpression step(
            QStringLiteral("^[123]/3 (read counter\\[0\\]|work 20us|write counter\\[0\\] \\+1)"));
        const QString text = model->index(4, ProcessTableModel::StepColumn).data().toString();
        QVERIFY2(step.match(text).hasMatch(), qPrintable(text));
        QVERIFY(model->index(4, ProcessTableModel::StepColumn)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("Python")));
        QVERIFY(live.stop());
        QVERIFY2(live.leftovers().isEmpty(), qPrintable(live.leftovers().join(QStringLiteral(", "))));
    }

    void lockedCounterLosesNone()
    {
        LiveWindow live;
        MainWindow* window = live.window.get();
        QVERIFY(live.runAndStop(QStringLiteral("counter-race-locked"), 1.5));
        const LedgerView& ledger = *window->ledgerView();
        QVERIFY(figureValue(ledger, QStringLiteral("counter.increments")) > 100);
        QCOMPARE(ledger.figure(QStringLiteral("counter.lostUpdates")), QStringLiteral("0"));
        QVERIFY(!ledger.isAlarmed(QStringLiteral("counter.lostUpdates")));
        QCOMPARE(figureValue(ledger, QStringLiteral("counter.increments")),
            figureValue(ledger, QStringLiteral("counter.cellSum")));
        QVERIFY2(live.leftovers().isEmpty(), qPrintable(live.leftovers().join(QStringLiteral(", "))));
    }

    // The Waits tab: live, the counter's lock is the object waited on, by the four adders, with its percentiles in
    // order; after Stop it holds the report's final figures.
    void lockedCounterShowsItsWaits()
    {
        LiveWindow live;
        MainWindow* window = live.window.get();
        QCOMPARE(live.open(QStringLiteral("counter-race-locked")), QString());
        QVERIFY(live.start());
        ContentionModel* waits = window->contentionModel();
        QTRY_VERIFY_WITH_TIMEOUT(waits->rowCount() > 0, 30000);
        auto* tabs = window->findChild<QTabWidget*>(QStringLiteral("processTabs"));
        QVERIFY(tabs);
        auto* table = window->findChild<QTableView*>(QStringLiteral("waitsTable"));
        QVERIFY(table);
        tabs->setCurrentWidget(table->parentWidget());
        QTest::qWait(1000);
        const auto text = [waits](int column) { return waits->index(0, column).data().toString(); };
        QCOMPARE(text(ContentionModel::ObjectColumn), QStringLiteral("★ counter"));
        QCOMPARE(text(ContentionModel::ForColumn), QStringLiteral("the lock"));
        QVERIFY(waits->index(0, 0).data(ContentionModel::MostContendedRole).toBool());
        QVERIFY2(text(ContentionModel::WhoColumn).contains(QStringLiteral("adder-")),
            qPrintable(text(ContentionModel::WhoColumn)));
        QVERIFY(!text(ContentionModel::P99Column).isEmpty());
        if (const QByteArray shot = qgetenv("IPCLAB_SHOT_DIR"); !shot.isEmpty())
            window->grab().save(QString::fromLocal8Bit(shot) + QStringLiteral("/waits.png"));
        const qulonglong liveTotal = waits->index(0, 0).data(ContentionModel::TotalNsRole).toULongLong();
        QVERIFY(live.stop());
        QVERIFY(waits->index(0, 0).data(ContentionModel::TotalNsRole).toULongLong() >= liveTotal);
        QVERIFY2(live.leftovers().isEmpty(), qPrintable(live.leftovers().join(QStringLiteral(", "))));
    }

    // Dining philosophers deadlock in their first round: the banner names the cycle, and Stop still ends the run.
    void deadlockIsBannered()
    {
        LiveWindow live;
        MainWindow* window = live.window.get();
        QCOMPARE(live.open(QStringLiteral("dining-philosophers")), QString());
        auto* banner = window->findChild<QLabel*>(QStringLiteral("deadlockBanner"));
        QVERIFY(banner);
        QVERIFY(banner->isHidden());
        QVERIFY(live.start());
        QTRY_VERIFY_WITH_TIMEOUT(banner->isVisible(), 10000);
        QVERIFY2(banner->text().contains(QStringLiteral("philosopher-1 holds fork-1 and waits for fork-2")),
            qPrintable(banner->text()));
        // The status line points at the banner instead of saying the cycle a second time.
        auto* error = window->findChild<QLabel*>(QStringLiteral("errorLabel"));
        QVERIFY(error);
        QTRY_VERIFY_WITH_TIMEOUT(error->text().contains(QStringLiteral("red banner")), 10000);
        QVERIFY2(!error->text().contains(QStringLiteral("holds fork-1")), qPrintable(error->text()));
        QVERIFY(live.stop());
        QVERIFY2(live.leftovers().isEmpty(), qPrintable(live.leftovers().join(QStringLiteral(", "))));
        // The next run starts without it (the ordered philosophers, which never deadlock: the same scenario would
        // deadlock again in its first round, and on a slow machine before start() returns).
        QCOMPARE(live.open(QStringLiteral("dining-philosophers-ordered")), QString());
        QVERIFY(live.start());
        QVERIFY(banner->isHidden());
        QTest::qWait(1500);
        QVERIFY(banner->isHidden());
        QVERIFY(live.stop());
    }

    // The Timeline tab: a lane per philosopher and per fork, drawn while the run goes; after the stop it keeps the
    // run, and hovering a wait names the philosopher whose release of the fork ended it.
    // Step mode from the window: a run started stepping stands still; Step all lets each process take one step (the
    // table says which is next, and that each waits for it); the first steps of counter-race lose nothing yet; Run lets
    // them go.
    void stepModeStepsFromTheWindow()
    {
        LiveWindow live;
        MainWindow* window = live.window.get();
        window->session()->setStartStepping(true);
        QCOMPARE(live.open(QStringLiteral("counter-race")), QString());
        QVERIFY(live.start());
        ProcessTableModel* model = window->findChild<ProcessTableModel*>();
        QVERIFY(model);
        auto* stepAll = window->findChild<QPushButton*>(QStringLiteral("stepAll"));
        auto* runFreely = window->findChild<QPushButton*>(QStringLiteral("runFreely"));
        QVERIFY(stepAll && runFreely);
        auto stepCell = [&](int row) { return model->index(row, ProcessTableModel::StepColumn).data().toString(); };
        auto allAt = [&](const QString& next) {
            for (int row = 0; row < 4; ++row) {
                if (model->rowCount() < 4 || !stepCell(row).startsWith(next)
                    || model->index(row, ProcessTableModel::StateColumn).data().toString()
                        != QStringLiteral("next, when stepped"))
                    return false;
            }
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(allAt(QStringLiteral("1/3 read counter[0]")), 30000);
        QCOMPARE(
            model->index(0, ProcessTableModel::StateColumn).data().toString(), QStringLiteral("next, when stepped"));
        QTest::qWait(300);
        QVERIFY(allAt(QStringLiteral("1/3"))); // nothing moves without a step
        QVERIFY(stepAll->isEnabled());
        stepAll->click();
        QTRY_VERIFY_WITH_TIMEOUT(allAt(QStringLiteral("2/3 work")), 30000);
        stepAll->click();
        QTRY_VERIFY_WITH_TIMEOUT(allAt(QStringLiteral("3/3 write")), 30000);
        if (const QByteArray shot = qgetenv("IPCLAB_SHOT_DIR"); !shot.isEmpty())
            window->grab().save(QString::fromLocal8Bit(shot) + QStringLiteral("/step-mode.png"));
        stepAll->click(); // all four read 0 before any wrote: four writes of 1
        QTRY_VERIFY_WITH_TIMEOUT(allAt(QStringLiteral("1/3 read")), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(
            figureValue(*window->findChild<LedgerView*>(), QStringLiteral("counter.lostUpdates")), 3, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(runFreely->isEnabled(), 5000);
        runFreely->click();
        QTRY_VERIFY_WITH_TIMEOUT(model->index(0, ProcessTableModel::TotalColumn)
                                     .data()
                                     .toString()
                                     .remove(QLocale().groupSeparator())
                                     .toLongLong()
                > 100,
            30000);
        QVERIFY(live.stop());
        QVERIFY2(live.leftovers().isEmpty(), qPrintable(live.leftovers().join(QStringLiteral(", "))));
    }

    // The Python tab: the scenario's program, each stepped process named beside the line it runs next, Copy.
    void pythonTabMarksTheLines()
    {
        LiveWindow live;
        MainWindow* window = live.window.get();
        window->session()->setStartStepping(true);
        QCOMPARE(live.open(QStringLiteral("counter-race")), QString());
        auto* view = window->findChild<PythonView*>(QStringLiteral("pythonView"));
        QVERIFY(view);
        QVERIFY(view->programText().contains(QStringLiteral("def adder(counter):")));
        QTabWidget* tabs = live.showTab(view);
        QVERIFY(tabs);
        QVERIFY(live.start());
        QVERIFY(tabs->currentWidget() == view); // starting a run leaves one reading the program
        auto lineOf = [&](const QString& text) {
            const QStringList lines = view->programText().split(QLatin1Char('\n'));
            for (int i = 0; i < lines.size(); ++i) {
                if (lines[i].contains(text))
                    return i + 1;
            }
            return -1;
        };
        const int read = lineOf(QStringLiteral("x = counter[0]"));
        const int write = lineOf(QStringLiteral("counter[0] = x + 1"));
        QVERIFY(read > 0 && write > read);
        // Every adder waits to read.
        QTRY_COMPARE_WITH_TIMEOUT(view->text()->marks().size(), std::size_t(1), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(view->text()->marks().begin()->second.size(), 4, 30000);
        QCOMPARE(view->text()->marks().begin()->first, read);
        auto* stepAll = window->findChild<QPushButton*>(QStringLiteral("stepAll"));
        QVERIFY(stepAll);
        const int work = lineOf(QStringLiteral("work(20)"));
        stepAll->click(); // all read
        QTRY_VERIFY_WITH_TIMEOUT(
            view->text()->marks().count(work) && view->text()->marks().at(work).size() == 4, 30000);
        stepAll->click(); // all work
        QTRY_VERIFY_WITH_TIMEOUT(
            view->text()->marks().count(write) && view->text()->marks().at(write).size() == 4, 30000);
        // Each read 0 before any wrote: each is about to write 0 + 1, and says so.
        QCOMPARE(view->text()->marks().at(write).first(), QStringLiteral("adder-1 (x = 0)"));
        if (const QByteArray shot = qgetenv("IPCLAB_SHOT_DIR"); !shot.isEmpty())
            window->grab().save(QString::fromLocal8Bit(shot) + QStringLiteral("/python.png"));
        window->findChild<QPushButton*>(QStringLiteral("copyPython"))->click();
        QCOMPARE(QApplication::clipboard()->text(), view->programText());
        QVERIFY(live.stop());
        QVERIFY(view->text()->marks().empty());
        QVERIFY2(live.leftovers().isEmpty(), qPrintable(live.leftovers().join(QStringLiteral(", "))));
    }

    void timelineShowsLanesAndWakers()
    {
        LiveWindow live;
        MainWindow* window = live.window.get();
        QCOMPARE(live.open(QStringLiteral("dining-philosophers-ordered")), QString());
        auto* view = window->findChild<TimelineView*>(QStringLiteral("timelineView"));
        QVERIFY(view);
        QTabWidget* tabs = live.showTab(view);
        QVERIFY(tabs);
        QVERIFY(live.start());
        QVERIFY(tabs->currentWidget() == view); // starting a run leaves one watching the timeline
        QTest::qWait(2500);
        const ipccore::Timeline& timeline = window->session()->timeline();
        QCOMPARE(timeline.lanes().size(), std::size_t(5));
        QCOMPARE(timeline.lockLanes().size(), std::size_t(5));
        TimelineCanvas* canvas = view->canvas();
        QVERIFY(canvas->following());
        // At the present a philosopher's lane says what it is doing.
        const QString now = canvas->textAt(canvas->pointOf(0, timeline.nowNs()) - QPoint(2, 0));
        QVERIFY2(now.contains(QStringLiteral("philosopher-1")), qPrintable(now));
        if (const QByteArray shot = qgetenv("IPCLAB_SHOT_DIR"); !shot.isEmpty())
            window->grab().save(QString::fromLocal8Bit(shot) + QStringLiteral("/timeline.png"));
        QVERIFY(live.stop());
        QVERIFY2(live.leftovers().isEmpty(), qPrintable(live.leftovers().join(QStringLiteral(", "))));

        // Stopped, it says so: no "now" any more, and the stop is marked.
        QVERIFY(timeline.stopped());
        QVERIFY(std::any_of(timeline.markers().begin(), timeline.markers().end(),
            [](const ipccore::TimelineMarker& m) { return m.text == "Run stopped"; }));
        const QString atStop = canvas->textAt(canvas->pointOf(0, timeline.nowNs()) - QPoint(2, 0));
        QVERIFY2(!atStop.contains(QStringLiteral("(now)")), qPrintable(atStop));

        // A wait of some length that a neighbour's release ended: its tooltip names that neighbour.
        QString told;
        for (std::size_t i = 0; i < timeline.lanes().size() && told.isEmpty(); ++i) {
            for (const ipccore::TimelineSpan& s : timeline.lanes()[i].spans) {
                if (!ipccore::isBlocked(s.state) || s.toNs - s.fromNs < 60'000'000 || !timeline.wakerOf(i, s))
                    continue;
                const QString text = canvas->textAt(canvas->pointOf(i, s.fromNs + (s.toNs - s.fromNs) / 2));
                QVERIFY2(text.contains(QStringLiteral("released by <b>philosopher-")), qPrintable(text));
                told = text;
                break;
            }
        }
        QVERIFY2(!told.isEmpty(), "no wait of 60 ms or more with a waker in 2.5 s of the ordered philosophers");
        if (const QByteArray shot = qgetenv("IPCLAB_SHOT_DIR"); !shot.isEmpty()) {
            // Zoomed in on the last second, hovering a wait: the arrow from the release that ended it.
            canvas->zoomBy(0.1);
            for (std::size_t i = 0; i < timeline.lanes().size(); ++i) {
                for (const ipccore::TimelineSpan& s : timeline.lanes()[i].spans) {
                    if (ipccore::isBlocked(s.state) && s.fromNs + 800'000'000 > timeline.nowNs()
                        && s.toNs - s.fromNs > 30'000'000 && timeline.wakerOf(i, s)) {
                        QTest::mouseMove(canvas, canvas->pointOf(i, s.fromNs + (s.toNs - s.fromNs) / 2));
                        i = timeline.lanes().size() - 1;
                        break;
                    }
                }
            }
            view->grab().save(QString::fromLocal8Bit(shot) + QStringLiteral("/timeline-hover.png"));
            canvas->zoomBy(10);
        }
        // Clicking a lane's name highlights it; clicking again lets go.
        QTest::mouseClick(canvas, Qt::LeftButton, {}, QPoint(20, canvas->pointOf(2, timeline.nowNs()).y()));
        QCOMPARE(canvas->selectedLane(), 2);
        QTest::mouseClick(canvas, Qt::LeftButton, {}, QPoint(20, canvas->pointOf(2, timeline.nowNs()).y()));
        QCOMPARE(canvas->selectedLane(), -1);
        // Ctrl++ makes all the text larger (a projector), Ctrl+0 brings it back.
        const double points = QApplication::font().pointSizeF();
        QTest::keyClick(window, Qt::Key_Plus, Qt::ControlModifier);
        QVERIFY(QApplication::font().pointSizeF() > points);
        QTest::keyClick(window, Qt::Key_0, Qt::ControlModifier);
        QCOMPARE(QApplication::font().pointSizeF(), points);
    }

    // The objects panel names who holds each object and who waits on it: in the wrong-order bounded buffer, once it
    // deadlocks, the producer holds mutex and the consumer waits on it; full, a signal, has risen above its start.
    void objectsNameHoldersAndWaiters()
    {
        LiveWindow live;
        MainWindow* window = live.window.get();
        QCOMPARE(live.open(QStringLiteral("bounded-buffer-wrong-order")), QString());
        auto* banner = window->findChild<QLabel*>(QStringLiteral("deadlockBanner"));
        QVERIFY(banner);
        QVERIFY(live.start());
        QTRY_VERIFY_WITH_TIMEOUT(banner->isVisible(), 10000);
        const ObjectView* objects = window->objectView();
        QTRY_VERIFY_WITH_TIMEOUT(objects->tooltipText(0).contains(QStringLiteral("consumer has waited on it")), 5000);
        const QString mutex = objects->tooltipText(0);
        QVERIFY2(mutex.contains(QStringLiteral("held by producer for")), qPrintable(mutex));
        QVERIFY2(objects->tooltipText(1).contains(QStringLiteral("producer has waited on it")),
            qPrintable(objects->tooltipText(1)));
        QVERIFY2(objects->figureText(2).contains(QStringLiteral("started at 0")), qPrintable(objects->figureText(2)));
        if (const QByteArray shot = qgetenv("IPCLAB_SHOT_DIR"); !shot.isEmpty())
            window->objectView()->grab().save(QString::fromLocal8Bit(shot) + QStringLiteral("/holders.png"));
        // The wait-for graph, once its tab is shown, draws the cycle: the producer waits on empty, which only the
        // consumer can release; the consumer waits on mutex, which the producer holds.
        auto* tabs = window->findChild<QTabWidget*>(QStringLiteral("processTabs"));
        auto* graph = window->findChild<WaitForView*>(QStringLiteral("waitForView"));
        QVERIFY(tabs && graph);
        tabs->setCurrentWidget(window->findChild<QScrollArea*>(QStringLiteral("waitForScroll")));
        QVERIFY(graph->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(graph->edgeTexts().size() == 4, 5000);
        const QString edges = graph->edgeTexts().join(QStringLiteral("; "));
        for (const char* edge : { "producer waits on empty", "empty can be released by consumer",
                 "consumer waits on mutex", "mutex is held by producer" })
            QVERIFY2(edges.contains(QString::fromLatin1(edge)), qPrintable(edges));
        if (const QByteArray shot = qgetenv("IPCLAB_SHOT_DIR"); !shot.isEmpty()) {
            QTest::qWait(300); // the tab's scroll area settles
            window->grab().save(QString::fromLocal8Bit(shot) + QStringLiteral("/waitfor.png"));
        }
        QVERIFY(live.stop());
        QVERIFY2(live.leftovers().isEmpty(), qPrintable(live.leftovers().join(QStringLiteral(", "))));
    }

    void poolMapShowsItsBooksInTasks()
    {
        LiveWindow live;
        MainWindow* window = live.window.get();
        QCOMPARE(live.open(QStringLiteral("pool-map")), QString());
        const LedgerView& ledger = *window->ledgerView();
        const auto value = [&ledger](const char* field) { return figureValue(ledger, QString::fromLatin1(field)); };

        // Before the run: the pool's row is there, small tiles beside the message totals, nothing judged yet.
        QVERIFY(ledger.isCompact());
        QVERIFY(ledger.messageTotalsShown());
        QCOMPARE(ledger.figure(QStringLiteral("tasks.pool.submitted")), QStringLiteral("0"));
        QCOMPARE(ledger.figure(QStringLiteral("tasks.pool.exact")), QStringLiteral("pending"));
        QCOMPARE(ledger.figure(QStringLiteral("results.pool.submitted")), QString()); // results is no task queue
        const auto* equation = ledger.findChild<QLabel*>(QStringLiteral("poolEquation"));
        QVERIFY(equation);
        QVERIFY2(equation->text().contains(QStringLiteral("submitted = collected + in the task queue + in the result "
                                                          "queue + held by workers + died with killed workers")),
            qPrintable(equation->text()));
        // Both queues show whole in the objects panel: no scrolling to find the result queue.
        ObjectView* objects = window->objectView();
        QCOMPARE(objects->objects().size(), std::size_t(2));
        QVERIFY2(objects->parentWidget()->height() >= objects->sizeHint().height(),
            qPrintable(
                QStringLiteral("%1 < %2").arg(objects->parentWidget()->height()).arg(objects->sizeHint().height())));

        QVERIFY(live.start());
        QTRY_VERIFY_WITH_TIMEOUT(value("tasks.pool.collected") >= 4 * 256, 30000);

        // Live: tasks in the workers' hands, exactness judged at stop.
        QCOMPARE(ledger.caption(QStringLiteral("tasks.pool.held")), QStringLiteral("held by workers"));
        QCOMPARE(ledger.figure(QStringLiteral("tasks.pool.exact")), QStringLiteral("pending"));
        QVERIFY(value("tasks.pool.submitted") >= value("tasks.pool.collected"));

        // The table: a Tasks column (no Size column: every process is a program), the caller's step whole, the
        // role column wide enough for "consumer", and no scrolling sideways at the window's size.
        auto* table = window->processPanel()->table();
        QVERIFY(!table->isColumnHidden(ProcessTableModel::TasksColumn));
        QVERIFY(table->isColumnHidden(ProcessTableModel::SizeColumn));
        const QFontMetrics fm = table->fontMetrics();
        QVERIFY(table->columnWidth(ProcessTableModel::StepColumn)
            > fm.horizontalAdvance(QStringLiteral("1/1 map tasks results 256 chunk 32")));
        QVERIFY(table->columnWidth(ProcessTableModel::RoleColumn) > fm.horizontalAdvance(QStringLiteral("consumer")));
        QVERIFY(table->columnWidth(ProcessTableModel::TasksColumn)
            > fm.horizontalAdvance(QStringLiteral("888,888 of 888,888")));
        QTRY_VERIFY2_WITH_TIMEOUT(
            !table->horizontalScrollBar()->isVisible(), "the process table scrolls sideways", 3000);
        ProcessTableModel* model = window->processModel();
        QTRY_VERIFY2_WITH_TIMEOUT(model->rowCount() == 5, qPrintable(window->lastError()), 30000);
        QVERIFY2(model->index(0, ProcessTableModel::TasksColumn).data().toString().contains(QStringLiteral(" of ")),
            qPrintable(model->index(0, ProcessTableModel::TasksColumn).data().toString()));
        for (int row = 1; row < model->rowCount(); ++row)
            QTRY_VERIFY_WITH_TIMEOUT(
                model->index(row, ProcessTableModel::TasksColumn).data().toString().endsWith(QStringLiteral("%)")),
                10000);

        QVERIFY(live.stop());
        // At stop: the books balance in tasks, nothing duplicated, stray or dropped, and the pool is exact.
        QCOMPARE(ledger.caption(QStringLiteral("tasks.pool.held")), QStringLiteral("held at stop"));
        QCOMPARE(ledger.figure(QStringLiteral("tasks.pool.exact")), QStringLiteral("yes"));
        QVERIFY(!ledger.isAlarmed(QStringLiteral("tasks.pool.exact")));
        QCOMPARE(ledger.figure(QStringLiteral("tasks.pool.wrong")), QStringLiteral("0 · 0 · 0"));
        QVERIFY(!ledger.isAlarmed(QStringLiteral("tasks.pool.wrong")));
        QCOMPARE(ledger.figure(QStringLiteral("tasks.pool.died")), QStringLiteral("0"));
        QCOMPARE(ledger.figure(QStringLiteral("problems")), QStringLiteral("0 · 0 · 0 · 0"));
        const qint64 submitted = value("tasks.pool.submitted");
        QVERIFY(submitted >= 4 * 256);
        QCOMPARE(submitted,
            value("tasks.pool.collected") + value("tasks.pool.inTaskQueue") + value("tasks.pool.inResultQueue")
                + value("tasks.pool.held") + value("tasks.pool.died"));
        // The table shows the final counts too: the caller's collected of submitted are the ledger's.
        QCOMPARE(model->index(0, ProcessTableModel::TasksColumn).data().toString(),
            QStringLiteral("%1 of %2")
                .arg(ledger.figure(QStringLiteral("tasks.pool.collected")),
                    ledger.figure(QStringLiteral("tasks.pool.submitted"))));
        // The message totals count the chunks: 32 tasks a message, so far fewer messages than tasks.
        QVERIFY(value("sent") > 0 && value("sent") < submitted);
        // Results that came back out of order, as the CLI's report counts them: a tile of its own, no alarm.
        const auto summary = live.stopped.first().at(0).value<RunSummary>();
        const auto tasks = std::find_if(summary.objects.begin(), summary.objects.end(),
            [](const ipccore::ObjectSummary& o) { return o.name == "tasks"; });
        QVERIFY(tasks != summary.objects.end());
        QCOMPARE(value("tasks.pool.outOfOrder"), qint64(tasks->ledger.pool.outOfOrder));
        QVERIFY(!ledger.isAlarmed(QStringLiteral("tasks.pool.outOfOrder")));
        QVERIFY2(live.leftovers().isEmpty(), qPrintable(live.leftovers().join(QStringLiteral(", "))));
    }

    void killedPoolWorkerTakesItsTasksAlong()
    {
        LiveWindow live;
        MainWindow* window = live.window.get();
        QCOMPARE(live.open(QStringLiteral("pool-map")), QString());
        QSignalSpy events(window->session(), &RunSession::eventLogged);
        QVERIFY(live.start());
        ProcessTableModel* model = window->processModel();
        // Kill pool-1 while the last sample saw it holding a chunk in its work step (32 tasks of 10 us each). Not in
        // its put: a worker killed after its result is in the queue and before it says its hand is empty is counted
        // twice (collected and died), a known gap in the pool's books that this test does not cover.
        // Seen there by a sample, it may have gone on to its put before a kill lands: so it is stopped (SIGSTOP)
        // first, seen stopped in its work step with the chunk, and only then killed.
        QElapsedTimer waited;
        waited.start();
        bool caught = false;
        while (!caught && waited.elapsed() < 30000) {
            QTRY_VERIFY_WITH_TIMEOUT(
                model->rowCount() == 5 && model->worker(1).tasks.inHand > 0 && model->worker(1).stepIndex == 1, 30000);
            window->session()->pauseWorkers({ 1 });
            QTRY_VERIFY_WITH_TIMEOUT(model->worker(1).state == ipccore::WorkerState::Paused, 10000);
            QTest::qWait(100); // a sample taken while it is stopped
            caught = model->worker(1).tasks.inHand > 0 && model->worker(1).stepIndex == 1;
            if (!caught)
                window->session()->resumeWorkers({ 1 });
        }
        QVERIFY(caught);
        window->session()->killWorkers({ 1 });
        QTRY_VERIFY_WITH_TIMEOUT(!model->worker(1).alive, 30000);
        QTest::qWait(300); // the caller waits for ever now if pool-1 took tasks along; the others run dry
        QVERIFY(live.stop());

        const LedgerView& ledger = *window->ledgerView();
        const auto value = [&ledger](const char* field) { return figureValue(ledger, QString::fromLatin1(field)); };
        const qint64 died = value("tasks.pool.died");
        QVERIFY(died >= 0 && died <= 32);
        bool warned = false;
        for (const QList<QVariant>& event : events)
            warned = warned || event.at(2).toString().contains(QStringLiteral("Pool.map hangs"));
        if (died > 0) {
            // The tasks that died are red in the ledger, and the Events said why the map hangs.
            QVERIFY(ledger.isAlarmed(QStringLiteral("tasks.pool.died")));
            QVERIFY(warned);
        } else {
            qWarning("pool-1 held no task when it died (it was between a put and a get): nothing to see");
        }
        // Whatever it held, the books still balance: what died is accounted for.
        QCOMPARE(value("tasks.pool.submitted"),
            value("tasks.pool.collected") + value("tasks.pool.inTaskQueue") + value("tasks.pool.inResultQueue")
                + value("tasks.pool.held") + died);
        QVERIFY2(live.leftovers().isEmpty(), qPrintable(live.leftovers().join(QStringLiteral(", "))));
    }

    void managerShowsRequestsAndStepTimes()
    {
        LiveWindow live;
        MainWindow* window = live.window.get();
        QCOMPARE(live.open(QStringLiteral("manager-dict")), QString());
        const LedgerView& ledger = *window->ledgerView();
        const auto value = [&ledger](const char* field) { return figureValue(ledger, QString::fromLatin1(field)); };
        // "a · b" tiles: the two figures.
        const auto pair = [&ledger](const char* field) {
            const QStringList parts = ledger.figure(QString::fromLatin1(field))
                                          .remove(QLocale().groupSeparator())
                                          .split(QStringLiteral(" · "));
            return parts.size() == 2 ? std::pair(parts[0].toLongLong(), parts[1].toLongLong()) : std::pair(-1LL, -1LL);
        };

        // Before the run: the request queue's row (the reply queues have none), nothing judged; the Programs tab
        // lists every step of the four programs; the explanation is whole.
        QVERIFY(ledger.isCompact());
        QCOMPARE(ledger.figure(QStringLiteral("manager.requests.sent")), QStringLiteral("0"));
        QCOMPARE(ledger.figure(QStringLiteral("manager.requests.exact")), QStringLiteral("pending"));
        QCOMPARE(ledger.figure(QStringLiteral("replies-1.requests.sent")), QString());
        QVERIFY(window->processTabs()->isTabVisible(1));
        ProgramStepsModel* steps = window->stepsModel();
        QCOMPARE(steps->rowCount(), 17);
        QVERIFY(!window->isDescriptionCollapsed());

        QVERIFY(live.start());
        QTRY_VERIFY_WITH_TIMEOUT(value("manager.requests.returned") > 200, 30000);
        // Running: the explanation gives the live views its room, and comes back whole on asking.
        QVERIFY(window->isDescriptionCollapsed());
        auto* description = window->findChild<QLabel*>(QStringLiteral("scenarioDescription"));
        QVERIFY(description);
        // The link ends it, in the theme's link colour.
        QVERIFY2(description->text().contains(QStringLiteral("<a href=\"more\""))
                && description->text().endsWith(QStringLiteral(">more</a>")),
            qPrintable(description->text()));
        emit description->linkActivated(QStringLiteral("more"));
        QVERIFY(!window->isDescriptionCollapsed());
        QVERIFY(description->text().contains(QStringLiteral("Kill the server while the clients wait")));
        emit description->linkActivated(QStringLiteral("less"));
        QVERIFY(window->isDescriptionCollapsed());
        QCOMPARE(ledger.figure(QStringLiteral("manager.requests.exact")), QStringLiteral("pending"));

        // The table: no Tasks column (no pool here), and the server and its three clients all in view.
        ProcessTableModel* model = window->processModel();
        auto* table = window->processPanel()->table();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 4, 30000);
        QVERIFY(table->isColumnHidden(ProcessTableModel::TasksColumn));
        QTRY_VERIFY2_WITH_TIMEOUT(
            !table->verticalScrollBar()->isVisible(), "the process table cannot show its four rows", 3000);
        QTRY_VERIFY_WITH_TIMEOUT(model->index(1, ProcessTableModel::StepColumn)
                                     .data(Qt::ToolTipRole)
                                     .toString()
                                     .contains(QStringLiteral("round trip")),
            10000);

        // Each step's mean time: a round trip through the server is far slower than the shared counter's read.
        const int get = steps->rowOf("client-1", 0);
        const int read = steps->rowOf("client-1", 3);
        QVERIFY(get >= 0 && read >= 0);
        const auto mean = [steps](int row) {
            return steps->index(row, ProgramStepsModel::MeanColumn).data(ProgramStepsModel::MeanUsRole).toDouble();
        };
        QTRY_VERIFY_WITH_TIMEOUT(mean(get) > 0 && mean(read) > 0, 10000);
        QVERIFY2(
            mean(get) > 10 * mean(read), qPrintable(QStringLiteral("%1 us vs %2 us").arg(mean(get)).arg(mean(read))));
        const QString getText = steps->index(get, ProgramStepsModel::MeanColumn).data().toString();
        QVERIFY2(
            getText.endsWith(QStringLiteral(" µs")) || getText.endsWith(QStringLiteral(" ms")), qPrintable(getText));

        QVERIFY(live.stop());
        QVERIFY(window->isDescriptionCollapsed()); // the run's results keep the room
        // At stop: the three equations balance, nothing unanswered or lost with the server, and every request got
        // exactly one reply.
        const auto [inRequestQueue, inReplyQueues] = pair("manager.requests.waiting");
        const auto [unanswered, died] = pair("manager.requests.failed");
        QVERIFY(inRequestQueue >= 0 && unanswered >= 0);
        QCOMPARE(value("manager.requests.sent"), value("manager.requests.taken") + inRequestQueue);
        QCOMPARE(value("manager.requests.taken"), value("manager.requests.answered") + unanswered + died);
        QCOMPARE(value("manager.requests.answered"),
            value("manager.requests.returned") + value("manager.requests.stale") + inReplyQueues);
        QCOMPARE(unanswered + died, 0LL);
        QVERIFY(!ledger.isAlarmed(QStringLiteral("manager.requests.failed")));
        const QString books = QStringList({ ledger.figure(QStringLiteral("manager.requests.sent")),
                                              ledger.figure(QStringLiteral("manager.requests.taken")),
                                              ledger.figure(QStringLiteral("manager.requests.answered")),
                                              ledger.figure(QStringLiteral("manager.requests.returned")),
                                              ledger.figure(QStringLiteral("manager.requests.waiting")),
                                              ledger.figure(QStringLiteral("manager.requests.stale")),
                                              ledger.figure(QStringLiteral("manager.requests.failed")),
                                              ledger.caption(QStringLiteral("manager.requests.exact")) })
                                  .join(QStringLiteral(" | "));
        QVERIFY2(ledger.figure(QStringLiteral("manager.requests.exact")) == QStringLiteral("yes"), qPrintable(books));
        QVERIFY(!ledger.isAlarmed(QStringLiteral("manager.requests.exact")));
        // The server's data against its clients' sets: d['count'] is there (its lost updates are the lesson).
        QVERIFY2(ledger.serverDataShown("manager").contains(QStringLiteral("d['count'] = ")),
            qPrintable(ledger.serverDataShown("manager")));
        // The steps' figures are the report's.
        QVERIFY(steps->index(get, ProgramStepsModel::DoneColumn).data().toString() != QStringLiteral("0"));
        QVERIFY2(live.leftovers().isEmpty(), qPrintable(live.leftovers().join(QStringLiteral(", "))));
        // Loading a scenario shows its explanation whole again.
        QCOMPARE(live.open(QStringLiteral("manager-dict")), QString());
        QVERIFY(!window->isDescriptionCollapsed());
        QVERIFY(description->text().contains(QStringLiteral("Kill the server while the clients wait")));
    }

    void semaphorePoolShowsPermits()
    {
        LiveWindow live;
        MainWindow* window = live.window.get();
        QVERIFY(live.runAndStop(QStringLiteral("semaphore-pool"), 1.0));
        const LedgerView& ledger = *window->ledgerView();
        QVERIFY(figureValue(ledger, QStringLiteral("pool.acquires")) > 0);
        // Every permit taken was given back: the value is back at its initial 2.
        QCOMPARE(ledger.figure(QStringLiteral("pool.value")), QStringLiteral("2 of 2 free"));
        QCOMPARE(
            figureValue(ledger, QStringLiteral("pool.acquires")), figureValue(ledger, QStringLiteral("pool.releases")));
        QVERIFY(!window->charts()->isChartShown(ChartPanel::DepthChart));
        QVERIFY(window->charts()->visiblePointCount(ChartPanel::SemaphoreChart) > 0);
        QVERIFY2(live.leftovers().isEmpty(), qPrintable(live.leftovers().join(QStringLiteral(", "))));
    }
};

QTEST_MAIN(TestProgramWindow)
#include "tst_program_window.moc"
