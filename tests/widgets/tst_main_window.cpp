// The window against real worker processes, offscreen: start the default scenario, see throughput and depth, pause
// the consumers and see the producers block on a full buffer, close, and find nothing of the run left behind.
#include "model/bench_runner.h"
#include "model/lesson_session.h"
#include "model/process_table_model.h"
#include "model/quit_on_signal.h"
#include "model/run_session.h"
#include "model/scenario_catalog_model.h"
#include "model/scenario_document.h"
#include "widgets/chart_panel.h"
#include "widgets/experiment_editor.h"
#include "widgets/ledger_view.h"
#include "widgets/lesson_panel.h"
#include "widgets/main_window.h"
#include "widgets/object_view.h"
#include "widgets/process_panel.h"
#include "widgets/race_view.h"

#include "test_support.h"

#include <QAbstractSeries>
#include <QAction>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QItemSelectionModel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>
#include <QValueAxis>
#include <QtTest>

#include <cmath>
#include <csignal>
#include <functional>
#include <sys/stat.h>

using namespace ipcui;

namespace {
bool producersBlockedFull(const ProcessTableModel& model)
{
    int producers = 0;
    for (int row = 0; row < model.rowCount(); ++row) {
        if (model.worker(row).role != ipccore::Role::Producer)
            continue;
        ++producers;
        if (model.index(row, ProcessTableModel::StateColumn).data(ProcessTableModel::StateRole).toInt()
            != int(ipccore::WorkerState::BlockedFull))
            return false;
    }
    return producers > 0;
}

double totalRate(const ProcessTableModel& model, ipccore::Role role)
{
    double sum = 0;
    for (int row = 0; row < model.rowCount(); ++row) {
        if (model.worker(row).role == role)
            sum += model.smoothedRate(row);
    }
    return sum;
}
// A window as the application has it: deleted when it closes (QPointer `guard` turns null), shown, with the built
// worker. If a check fails half-way, the window must still go, so its run stops and its objects are unlinked.
struct ClosingWindow {
    QPointer<MainWindow> guard { new MainWindow() };
    ClosingWindow()
    {
        guard->setAttribute(Qt::WA_DeleteOnClose);
        guard->session()->setWorkerPath(ipctest::workerPath());
        guard->show();
    }
    ~ClosingWindow() { delete guard.data(); }
    ClosingWindow(const ClosingWindow&) = delete;
    ClosingWindow& operator=(const ClosingWindow&) = delete;
};

// Answers whatever modal dialog is up every 20 ms, as a user would: a question with `answer`, noting its text and
// informative text in `asked` (one without that button is rejected, so the test's checks fail); a file dialog with
// `files`.
struct DialogAnswerer {
    QStringList asked;
    QMessageBox::StandardButton answer = QMessageBox::NoButton;
    QTimer timer;
    explicit DialogAnswerer(std::function<void(QFileDialog*)> files)
    {
        QObject::connect(&timer, &QTimer::timeout, [this, files = std::move(files)] {
            QWidget* modal = QApplication::activeModalWidget();
            if (auto* box = qobject_cast<QMessageBox*>(modal)) {
                asked << box->text() + QStringLiteral("\n") + box->informativeText();
                if (QAbstractButton* button = box->button(answer))
                    button->click();
                else
                    box->reject();
            } else if (auto* dialog = qobject_cast<QFileDialog*>(modal))
                files(dialog);
        });
        timer.start(20);
    }
};
} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    // A depth or semaphore axis labels its top line: a queue's capacity stays the top when a whole step divides it
    // (a full queue on the top line); beyond it (ZeroMQ's depth from counters can be), the top is rounded up to a
    // round step. A trial saw a depth chart labelled up to 336 with its lines going on to 403, unlabelled.
    void integerAxesLabelTheirTop_data()
    {
        QTest::addColumn<double>("top");
        QTest::addColumn<int>("intervals");
        QTest::addColumn<bool>("exact");
        QTest::addColumn<double>("axisTop");
        QTest::addColumn<double>("step");
        QTest::newRow("a queue of 8, full") << 8.0 << 5 << true << 8.0 << 2.0;
        QTest::newRow("a queue of 10") << 10.0 << 5 << true << 10.0 << 2.0;
        QTest::newRow("a ring of 64") << 64.0 << 5 << true << 64.0 << 16.0;
        QTest::newRow("a queue of 7: no whole step") << 7.0 << 5 << true << 8.0 << 2.0;
        QTest::newRow("a queue of 3") << 3.0 << 5 << true << 3.0 << 1.0;
        QTest::newRow("one permit") << 1.0 << 5 << true << 1.0 << 1.0;
        QTest::newRow("nothing yet") << 0.0 << 5 << false << 1.0 << 1.0;
        QTest::newRow("403 past a capacity of 64") << 403.0 << 5 << false << 500.0 << 100.0;
        QTest::newRow("336 past a capacity") << 336.0 << 5 << false << 400.0 << 100.0;
        QTest::newRow("a low chart, a queue of 8") << 8.0 << 3 << true << 8.0 << 4.0;
        QTest::newRow("a low chart, 403") << 403.0 << 3 << false << 600.0 << 200.0;
    }
    void integerAxesLabelTheirTop()
    {
        QFETCH(double, top);
        QFETCH(int, intervals);
        QFETCH(bool, exact);
        QFETCH(double, axisTop);
        QFETCH(double, step);
        const IntegerTicks ticks = integerTicks(top, intervals, exact);
        QCOMPARE(ticks.top, axisTop);
        QCOMPARE(ticks.step, step);
        // Every top from 0 to 2000, either way: at or above the lines, a whole number of whole steps (so the top
        // line is a tick with its label), at most `intervals` of them.
        for (int n = 0; n <= 2000; ++n)
            for (const bool capacity : { false, true })
                for (const int most : { 3, 5 }) {
                    const IntegerTicks t = integerTicks(n, most, capacity);
                    const QString at
                        = QString("top %1, %2 intervals%3").arg(n).arg(most).arg(capacity ? ", exact" : "");
                    QVERIFY2(t.top >= n && t.step >= 1 && t.step == std::floor(t.step), qPrintable(at));
                    QVERIFY2(std::fmod(t.top, t.step) == 0 && t.top / t.step <= most, qPrintable(at));
                }
    }

    void runPauseAndClose()
    {
        ClosingWindow owned;
        QPointer<MainWindow>& guard = owned.guard;
        MainWindow* window = guard;
        QVERIFY(QTest::qWaitForWindowExposed(window));
        QCOMPARE(QString::fromStdString(window->document()->scenario().name),
            QString::fromLatin1(ipccore::DefaultScenarioName));

        QSignalSpy started(window->session(), &RunSession::runStarted);
        window->runAction()->trigger(); // the Start button / Ctrl+R
        QVERIFY(started.wait(30000));
        const QString needle = window->session()->prefix().mid(1);
        QVERIFY(!needle.isEmpty());

        ProcessTableModel* model = window->processModel();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), int(window->document()->scenario().workers.size()), 30000);
        QTRY_VERIFY_WITH_TIMEOUT(totalRate(*model, ipccore::Role::Consumer) > 0, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(
            !window->objectView()->objects().empty() && window->objectView()->objects().front().depth > 0, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(window->charts()->visiblePointCount(ChartPanel::ThroughputChart) > 0, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(
            window->ledgerView()->figure(QStringLiteral("received")) != QStringLiteral("0"), 30000);
        // The experiment cannot be edited during the run, and its tab says so (not "changes apply to the next run").
        QVERIFY(!window->editor()->objectTable()->isEnabled());
        QVERIFY(!window->editor()->workerTable()->isEnabled());
        QVERIFY2(window->editor()->noteText().contains(QStringLiteral("A run is in progress")),
            qPrintable(window->editor()->noteText()));
        if (const QByteArray shot = qgetenv("IPCLAB_SHOT_DIR"); !shot.isEmpty()) {
            const int shown = window->tabs()->currentIndex();
            window->tabs()->setCurrentWidget(window->editor());
            window->grab().save(QString::fromLocal8Bit(shot) + QStringLiteral("/experiment-during-run.png"));
            window->tabs()->setCurrentIndex(shown);
        }
        // A race now would disturb the run's numbers and the run the race's: the Race view says so.
        QVERIFY(!window->raceView()->startButton()->isEnabled());
        QVERIFY(!window->raceView()->start().isEmpty());
        QVERIFY(!window->benchRunner()->isRunning());
        // The tabs' bar stays where it is whichever tab is shown (under the scenario's heading, which Race and
        // System hide, it moved, and the next click on a tab missed), and it follows the tab widget both ways.
        QTabWidget* tabs = window->tabs();
        QTabBar* bar = window->tabBar();
        QCOMPARE(bar->count(), tabs->count());
        QVERIFY(tabs->tabBar()->isHidden()); // one row of tabs, not two
        const int liveTab = tabs->currentIndex();
        const int barY = bar->mapTo(window, QPoint(0, 0)).y();
        for (int i = 0; i < tabs->count(); ++i) {
            QTest::mouseClick(bar, Qt::LeftButton, {}, bar->tabRect(i).center());
            QCOMPARE(tabs->currentIndex(), i);
            QCOMPARE(bar->tabText(i), tabs->tabText(i));
            QCoreApplication::processEvents();
            QCOMPARE(bar->mapTo(window, QPoint(0, 0)).y(), barY);
        }
        tabs->setCurrentIndex(liveTab);
        QCOMPARE(bar->currentIndex(), liveTab);
        // The machine's mq limits came from the controller thread.
        QTRY_VERIFY_WITH_TIMEOUT(window->session()->hasMqLimits(), 30000);
        QCOMPARE(window->document()->limits().msgMax, window->session()->mqLimits().msgMax);

        // Select every consumer and press Pause.
        QTableView* table = window->processPanel()->table();
        // The table shows the model through a sorting, filtering proxy: select its rows, not the model's.
        auto* shown = qobject_cast<QSortFilterProxyModel*>(table->model());
        QVERIFY(shown && shown->sourceModel() == model);
        // By name: the consumers (the model's last rows) drawn first, so a selection read as drawn rows would name
        // producers.
        table->sortByColumn(ProcessTableModel::NameColumn, Qt::AscendingOrder);
        QCOMPARE(table->model()->index(0, ProcessTableModel::RoleColumn).data().toString(), QStringLiteral("consumer"));
        table->clearSelection();
        for (int row = 0; row < model->rowCount(); ++row) {
            if (model->worker(row).role == ipccore::Role::Consumer)
                table->selectionModel()->select(shown->mapFromSource(model->index(row, 0)),
                    QItemSelectionModel::Select | QItemSelectionModel::Rows);
        }
        QVERIFY(!window->processPanel()->selectedWorkers().isEmpty());
        for (const int worker : window->processPanel()->selectedWorkers())
            QCOMPARE(model->worker(worker).role, ipccore::Role::Consumer);
        auto* pause = window->findChild<QPushButton*>(QStringLiteral("pauseWorker"));
        QVERIFY(pause && pause->isEnabled());
        const QList<int> selectedBefore = window->processPanel()->selectedWorkers();
        QTest::mouseClick(pause, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(producersBlockedFull(*model), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(
            ipctest::ringFullProblem(window->objectView()->objects().front(), int(selectedBefore.size())), QString(),
            5000);
        for (const int worker : selectedBefore) // paused, not merely outrun by the producers
            QTRY_COMPARE_WITH_TIMEOUT(model->worker(worker).state, ipccore::WorkerState::Paused, 5000);
        // The table was updated by diffs: the selection survived every tick.
        QCOMPARE(window->processPanel()->selectedWorkers(), selectedBefore);

        // Closing (here with Ctrl+Q) stops the workers and unlinks every object of the run.
        QTest::keyClick(window, Qt::Key_Q, Qt::ControlModifier);
        QTRY_VERIFY_WITH_TIMEOUT(guard.isNull(), 15000);
        QVERIFY2(ipctest::leftoverObjects(needle).isEmpty(),
            qPrintable(ipctest::leftoverObjects(needle).join(QStringLiteral(", "))));
    }

    // A runtime directory that others may write in is refused: the reason shows in the status bar at once (a
    // notice just before it used to hide it) and whole in Events, and nothing is created.
    void refusedRuntimeDirectoryIsShown()
    {
        QTemporaryDir base;
        QVERIFY(base.isValid());
        QVERIFY(QDir(base.path()).mkdir(QStringLiteral("ipclab")));
        QVERIFY(::chmod(QFile::encodeName(base.path() + QStringLiteral("/ipclab")).constData(), 0777) == 0);
        const QByteArray oldXdg = qgetenv("XDG_RUNTIME_DIR");
        const auto restore = qScopeGuard([&] { qputenv("XDG_RUNTIME_DIR", oldXdg); });
        qputenv("XDG_RUNTIME_DIR", base.path().toLocal8Bit());

        MainWindow window;
        window.session()->setWorkerPath(ipctest::workerPath());
        QSignalSpy shown(&window, &MainWindow::errorShown);
        window.runAction()->trigger();
        QVERIFY(shown.wait(30000));
        const QString error = shown.first().first().toString();
        QVERIFY2(error.contains(QStringLiteral("mode is 0777")) && error.contains(QStringLiteral("chmod 700")),
            qPrintable(error));
        QVERIFY(window.statusBar()->currentMessage().isEmpty());
        auto* events = window.findChild<QPlainTextEdit*>(QStringLiteral("eventLog"));
        QVERIFY(events);
        QTRY_VERIFY_WITH_TIMEOUT(events->toPlainText().contains(QStringLiteral("chmod 700")), 5000);
        QCOMPARE(window.session()->state(), RunState::Idle);
        QVERIFY(
            ipctest::leftoverObjects(QStringLiteral("ipclab-%1-").arg(QCoreApplication::applicationPid())).isEmpty());
    }

    // Closing a window whose experiment has edits not saved asks first, as an editor does: Cancel keeps the window
    // (and its run), Save shows the usual file dialog and closes once the file is written, Discard closes. During a
    // run it asks once, before the stop (the window closes again when the stop is done). Answered by a timer that
    // clicks whatever modal dialog is up, as a user would.
    void anEditedExperimentAsksBeforeClosing()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QString chosen; // the file the Save dialog was accepted with
        double editedRate = 0;
        DialogAnswerer answerer([&](QFileDialog* files) {
            // Into the test's folder; the file's name is whatever the dialog then holds (its name field, which has
            // the focus, keeps the name it suggested), and the checks below use what it answered.
            files->selectFile(dir.path() + QStringLiteral("/x.json"));
            chosen = files->selectedFiles().value(0);
            static_cast<QDialog*>(files)->accept(); // QFileDialog::accept, as its Save button
        });
        QStringList& asked = answerer.asked;
        QMessageBox::StandardButton& answer = answerer.answer;
        {
            MainWindow untouched;
            untouched.show();
            QVERIFY(QTest::qWaitForWindowExposed(&untouched));
            QVERIFY(untouched.close());
            QCOMPARE(asked, QStringList()); // nothing edited: no question
        }
        struct Case {
            QMessageBox::StandardButton answer;
            bool running;
        };
        for (const Case c : { Case { QMessageBox::Cancel, false }, Case { QMessageBox::Save, false },
                 Case { QMessageBox::Discard, false }, Case { QMessageBox::Cancel, true },
                 Case { QMessageBox::Discard, true } }) {
            answer = c.answer;
            asked.clear();
            ClosingWindow owned;
            QPointer<MainWindow>& guard = owned.guard;
            MainWindow* window = guard;
            QVERIFY(QTest::qWaitForWindowExposed(window));
            ipccore::WorkerSpec edited = window->document()->scenario().workers.at(0);
            edited.rate += c.answer == QMessageBox::Save ? 7 : 3;
            QCOMPARE(window->document()->replaceWorker(0, edited), QString());
            QVERIFY(window->document()->isModified());
            if (c.answer == QMessageBox::Save)
                editedRate = edited.rate;
            QString needle;
            if (c.running) {
                QSignalSpy started(window->session(), &RunSession::runStarted);
                window->runAction()->trigger();
                QVERIFY(started.wait(30000));
                needle = window->session()->prefix().mid(1);
            }
            const bool closed = window->close();
            QCOMPARE(asked.size(), 1);
            QVERIFY2(asked.front().contains(QStringLiteral("not saved")), qPrintable(asked.front()));
            // During a run it says the run goes either way.
            QCOMPARE(asked.front().contains(QStringLiteral("the run is stopped")), c.running);
            if (c.answer == QMessageBox::Cancel) {
                QVERIFY(!closed);
                QVERIFY(window->isVisible());
                QCOMPARE(window->session()->isActive(), c.running); // the run goes on
                continue; // ClosingWindow deletes it, stopping its run
            }
            QTRY_VERIFY_WITH_TIMEOUT(guard.isNull(), 15000);
            QCOMPARE(asked.size(), 1); // not again when the stop is done
            if (c.running)
                QVERIFY2(ipctest::leftoverObjects(needle).isEmpty(),
                    qPrintable(ipctest::leftoverObjects(needle).join(QStringLiteral(", "))));
        }
        // Save wrote the experiment with its edit where the dialog said; Discard, after it, wrote nothing.
        QVERIFY2(chosen.startsWith(dir.path() + QStringLiteral("/")), qPrintable(chosen));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList { QFileInfo(chosen).fileName() });
        const auto reloaded = ipccore::loadScenarioFile(chosen.toStdString());
        QVERIFY2(reloaded, reloaded ? "" : reloaded.error().message().c_str());
        QCOMPARE(reloaded->workers.at(0).rate, editedRate);
        // An experiment opened from a file is named by its file.
        answer = QMessageBox::Cancel;
        asked.clear();
        MainWindow opened;
        QCOMPARE(opened.loadScenario(chosen), QString());
        opened.show();
        QVERIFY(QTest::qWaitForWindowExposed(&opened));
        ipccore::WorkerSpec edited = opened.document()->scenario().workers.at(0);
        edited.rate += 1;
        QCOMPARE(opened.document()->replaceWorker(0, edited), QString());
        QVERIFY(!opened.close());
        QCOMPARE(asked.size(), 1);
        QVERIFY2(
            asked.front().contains(QStringLiteral("from ") + QFileInfo(chosen).fileName()), qPrintable(asked.front()));
    }

    // Opening another scenario in place of an edited, unsaved experiment asks the same question: from the picker,
    // from Open… (after the file is chosen, naming it) and from a lesson's Start. Cancel keeps the edits (and the
    // picker shows the experiment still), Save writes them first, Discard opens the other.
    void anEditedExperimentAsksBeforeAnotherIsOpened()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString other = QStringLiteral("producer-consumer-mq");
        QVERIFY(other != QString::fromLatin1(ipccore::DefaultScenarioName));
        QString toOpen; // what an Open dialog picks
        QString saved; // the file a Save dialog was accepted with
        DialogAnswerer answerer([&](QFileDialog* files) {
            const bool saving = files->acceptMode() == QFileDialog::AcceptSave;
            files->selectFile(saving ? dir.filePath(QStringLiteral("kept.json")) : toOpen);
            if (saving)
                saved = files->selectedFiles().value(0);
            static_cast<QDialog*>(files)->accept(); // QFileDialog::accept, as its Save or Open button
        });
        QStringList& asked = answerer.asked;
        QMessageBox::StandardButton& answer = answerer.answer;
        MainWindow window;
        window.session()->setWorkerPath(ipctest::workerPath());
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto* picker = window.findChild<QComboBox*>(QStringLiteral("scenarioPicker"));
        QVERIFY(picker);
        const int defaultRow = picker->currentIndex();
        QVERIFY(defaultRow >= 0);
        const auto rowOf = [&](const QString& scenario) {
            for (int row = 0; row < picker->count(); ++row)
                if (picker->model()->index(row, 0).data(ScenarioCatalogModel::NameRole).toString() == scenario)
                    return row;
            return -1;
        };
        const int otherRow = rowOf(other);
        QVERIFY(otherRow >= 0);
        const auto edit = [&](double by) {
            ipccore::WorkerSpec edited = window.document()->scenario().workers.at(0);
            edited.rate += by;
            QCOMPARE(window.document()->replaceWorker(0, edited), QString());
            QVERIFY(window.document()->isModified());
        };
        const auto pick = [&](int row) { // as a user's choice in the list: the box shows it, then says so
            picker->setCurrentIndex(row);
            emit picker->activated(row);
        };
        const auto name = [&] { return QString::fromStdString(window.document()->scenario().name); };

        // Untouched: no question.
        pick(otherRow);
        QCOMPARE(name(), other);
        QCOMPARE(asked, QStringList());
        pick(defaultRow);
        QCOMPARE(asked, QStringList());

        // Cancel: the edits and the picker stay.
        edit(3);
        const double editedRate = window.document()->scenario().workers.at(0).rate;
        answer = QMessageBox::Cancel;
        pick(otherRow);
        QCOMPARE(asked.size(), 1);
        // Named as the picker shows it.
        const QString title = picker->itemText(otherRow);
        QVERIFY2(asked.front().contains(QStringLiteral("not saved"))
                && asked.front().contains(QStringLiteral("opening \u201C") + title + QStringLiteral("\u201D")),
            qPrintable(asked.front()));
        // The edited one too, by its title.
        QVERIFY2(asked.front().contains(
                     QStringLiteral("experiment \u201C") + picker->itemText(defaultRow) + QStringLiteral("\u201D")),
            qPrintable(asked.front()));
        QCOMPARE(name(), QString::fromLatin1(ipccore::DefaultScenarioName));
        QVERIFY(window.document()->isModified());
        QCOMPARE(window.document()->scenario().workers.at(0).rate, editedRate);
        QCOMPARE(picker->currentIndex(), defaultRow);
        // A lesson's Start, cancelled: nothing loads, nothing runs, and the answer its Start locked in is open again
        // (no run showed anything).
        LessonPanel* lessonPanel = window.lessonPanel();
        LessonSession* lesson = lessonPanel->session();
        window.showLesson(1);
        const QString lessonScenario = QString::fromStdString(lesson->current().scenario);
        QVERIFY(lessonScenario != QString::fromLatin1(ipccore::DefaultScenarioName));
        lessonPanel->choiceList()->setCurrentRow(0);
        lessonPanel->startButton()->click();
        QCOMPARE(asked.size(), 2);
        const int lessonRow = rowOf(lessonScenario);
        QVERIFY(lessonRow >= 0);
        QVERIFY2(asked.back().contains(picker->itemText(lessonRow)), qPrintable(asked.back()));
        QCOMPARE(name(), QString::fromLatin1(ipccore::DefaultScenarioName));
        QVERIFY(window.document()->isModified());
        QVERIFY(!window.session()->isActive());
        QVERIFY(!lesson->locked());
        lessonPanel->choiceList()->setCurrentRow(1);
        QCOMPARE(lesson->chosen(), 1);

        // Save: written first (with the edit), then the other opens.
        answer = QMessageBox::Save;
        pick(otherRow);
        QCOMPARE(asked.size(), 3);
        QCOMPARE(name(), other);
        QVERIFY(!window.document()->isModified());
        // In the test's folder, under whatever name the dialog then held (its name field may keep its suggestion).
        QVERIFY2(saved.startsWith(dir.path() + QStringLiteral("/")), qPrintable(saved));
        const QString keptName = QFileInfo(saved).fileName();
        const auto kept = ipccore::loadScenarioFile(saved.toStdString());
        QVERIFY2(kept, kept ? "" : kept.error().message().c_str());
        QCOMPARE(kept->workers.at(0).rate, editedRate);

        // Open…: asked once the file is chosen, naming it; Discard opens it and writes nothing.
        edit(5);
        answer = QMessageBox::Discard;
        toOpen = saved;
        auto* open = window.findChild<QAction*>(QStringLiteral("openAction"));
        QVERIFY(open);
        open->trigger();
        QCOMPARE(asked.size(), 4);
        QVERIFY2(asked.back().contains(QStringLiteral("opening ") + keptName), qPrintable(asked.back()));
        QCOMPARE(window.document()->source(), saved);
        QVERIFY(!window.document()->isModified());
        QCOMPARE(window.document()->scenario().workers.at(0).rate, editedRate);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList { keptName });

        // Edited again, now from a file: Cancel leaves the picker showing the file, as before.
        edit(1);
        answer = QMessageBox::Cancel;
        pick(otherRow);
        QCOMPARE(asked.size(), 5);
        QVERIFY2(asked.back().contains(QStringLiteral("from ") + keptName), qPrintable(asked.back()));
        QCOMPARE(window.document()->source(), saved);
        QVERIFY(window.document()->isModified());
        QCOMPARE(picker->currentIndex(), -1);
        QCOMPARE(picker->placeholderText(), keptName);
    }

    void aBadScenarioFileIsNamed()
    {
        // The window keeps the scenario it had, so the error must say which file it is about.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("broken.json"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{ \"objects\": [ }");
        file.close();
        MainWindow window;
        const QString reason = window.loadScenario(path);
        QVERIFY2(reason.startsWith(path + QStringLiteral(": ")) && reason.contains(QStringLiteral("line 1")),
            qPrintable(reason));
        QCOMPARE(window.lastError(), reason);
    }

    void chartWindowAndPause()
    {
        ChartPanel panel;
        panel.setWindowSeconds(600);
        QCOMPARE(panel.windowSeconds(), 600.0);
        panel.setPaused(true);
        QVERIFY(panel.isPaused());
        panel.setPaused(false);
        QVERIFY(!panel.isPaused());
    }

    // Up to 16 workers the throughput and blocked charts draw a line for each; a run that grows past that draws one
    // line per role instead (64 lines cannot be told apart, and each costs drawing time).
    void manyWorkersAreDrawnPerRole()
    {
        ChartPanel panel;
        panel.resize(1000, 700);
        RunHistory history(20, 600);
        const auto names = [&](ChartPanel::ChartId id) {
            QStringList found;
            for (QAbstractSeries* series : panel.chartView(id)->chart()->series())
                found << series->name();
            return found;
        };
        const auto run = [&](int workers, int from, int to) {
            for (int i = from; i <= to; ++i) {
                ipccore::Snapshot s;
                s.t = i / 20.0;
                for (int w = 0; w < workers; ++w) {
                    ipccore::WorkerStatus status;
                    status.name = (w % 2 ? "c" : "p") + std::to_string(w);
                    status.role = w % 2 ? ipccore::Role::Consumer : ipccore::Role::Producer;
                    status.messages = std::uint64_t(i) * 5;
                    s.workers.push_back(status);
                }
                history.append(s);
            }
            panel.refresh(history, 8);
        };
        run(4, 0, 20);
        QCOMPARE(names(ChartPanel::ThroughputChart), (QStringList { "total", "p0", "c1", "p2", "c3" }));
        QCOMPARE(names(ChartPanel::BlockedChart).size(), 4);
        run(16, 21, 30); // 16: still one line each
        QCOMPARE(names(ChartPanel::ThroughputChart).size(), 17);
        QCOMPARE(names(ChartPanel::BlockedChart).size(), 16);
        run(17, 31, 40); // 17 (mid-run): the worker lines give way to the roles'
        QCOMPARE(names(ChartPanel::ThroughputChart), (QStringList { "total", "all producers", "all consumers" }));
        QCOMPARE(names(ChartPanel::BlockedChart), (QStringList { "producers (mean)", "consumers (mean)" }));
        QVERIFY(panel.chartView(ChartPanel::ThroughputChart)->chart()->title().contains("per role"));
        QVERIFY(panel.visiblePointCount(ChartPanel::ThroughputChart) > 0);
        // The next run starts over with one line per worker, under the usual titles.
        panel.reset();
        QVERIFY(panel.chartView(ChartPanel::ThroughputChart)->chart()->series().isEmpty());
        QCOMPARE(panel.chartView(ChartPanel::ThroughputChart)->chart()->title(), QStringLiteral("Throughput"));
        history.clear();
        run(4, 0, 20);
        QCOMPARE(names(ChartPanel::ThroughputChart), (QStringList { "total", "p0", "c1", "p2", "c3" }));
    }

    // The throughput axis counts thousands ("k msgs/s") from 10 000 a second and millions ("M msgs/s") from a million,
    // so its labels stay short enough to read across a room; the lines are drawn in the axis's unit. A run without
    // semaphores leaves out their chart (it would only say that there are none); before a run it is there.
    void throughputInThousandsOrMillionsAndNoEmptySemaphoreChart()
    {
        ChartPanel panel;
        panel.resize(1000, 700);
        const auto history = [](double rate, ipccore::TransportKind transport) {
            RunHistory h(20, 600);
            for (int i = 0; i <= 40; ++i) {
                ipccore::Snapshot s;
                s.t = i / 20.0;
                for (const ipccore::Role role : { ipccore::Role::Producer, ipccore::Role::Consumer }) {
                    ipccore::WorkerStatus w;
                    w.name = role == ipccore::Role::Producer ? "p" : "c";
                    w.role = role;
                    w.object = "q";
                    w.messages = std::uint64_t(i * rate / 20);
                    s.workers.push_back(w);
                }
                ipccore::ObjectStatus q;
                q.name = "q";
                q.transport = transport;
                q.capacity = 8;
                q.depth = i % 9;
                if (transport == ipccore::TransportKind::ShmRing)
                    q.semaphores = { { "empty", "", 8 - i % 9 }, { "full", "", i % 9 }, { "mutex", "", 1 } };
                s.objects.push_back(q);
                h.append(s);
            }
            return h;
        };
        const auto yAxis = [&] {
            return qobject_cast<QValueAxis*>(
                panel.chartView(ChartPanel::ThroughputChart)->chart()->axes(Qt::Vertical).value(0));
        };
        const auto highestPoint = [&] {
            double top = 0;
            for (QAbstractSeries* series : panel.chartView(ChartPanel::ThroughputChart)->chart()->series())
                for (const QPointF& p : static_cast<QLineSeries*>(series)->points())
                    top = std::max(top, p.y());
            return top;
        };
        struct Case {
            double rate;
            const char* unit;
            double shown; // the rate in the axis's unit
        };
        for (const Case c :
            { Case { 500, "msgs/s", 500 }, Case { 50'000, "k msgs/s", 50 }, Case { 3'000'000, "M msgs/s", 3 } }) {
            panel.reset();
            panel.refresh(history(c.rate, ipccore::TransportKind::Mq), 8);
            QVERIFY(yAxis());
            QCOMPARE(yAxis()->titleText(), QString::fromLatin1(c.unit));
            // Each line (and the total, what the consumers took) at the rate, drawn in the axis's unit, under its top.
            QVERIFY2(std::abs(highestPoint() - c.shown) <= 0.05 * c.shown, qPrintable(QString::number(highestPoint())));
            QVERIFY(yAxis()->max() >= highestPoint() && yAxis()->max() <= 10 * highestPoint());
            QVERIFY(!panel.isChartShown(ChartPanel::SemaphoreChart));
            QVERIFY(panel.isChartShown(ChartPanel::DepthChart));
        }
        panel.reset();
        panel.refresh(history(500, ipccore::TransportKind::ShmRing), 8);
        QVERIFY(panel.isChartShown(ChartPanel::SemaphoreChart));
        // A label reads its tick's value: a top of 5 (M msgs/s) in two steps is 0.0, 2.5, 5.0 (a new user saw "3").
        QCOMPARE(tickDecimals(2.5), 1);
        QCOMPARE(tickDecimals(1250), 0);
        QCOMPARE(tickDecimals(500), 0);
        QCOMPARE(tickDecimals(1), 0);
        QCOMPARE(tickDecimals(0.5), 1);
        QCOMPARE(tickDecimals(0.2), 1);
        QCOMPARE(tickDecimals(0.25), 2);
        QCOMPARE(tickDecimals(0.05), 2);
        QCOMPARE(tickDecimals(1.0 / 3), 3);
        panel.reset();
        panel.refresh(RunHistory(20, 600), 8);
        QVERIFY(panel.isChartShown(ChartPanel::SemaphoreChart));
    }

    // A depth or semaphore chart drawing more than five lines draws them 1 pixel wide without antialiasing (a busy
    // object's line is a band of vertical strokes, and wide ones cost a quarter of a core); up to five (every bundled
    // lesson) keep their width.
    void manyObjectLinesAreDrawnThin()
    {
        ChartPanel panel;
        panel.resize(1000, 700);
        const auto history = [](int objects, ipccore::TransportKind transport = ipccore::TransportKind::ShmRing) {
            RunHistory h(20, 600);
            for (int i = 0; i <= 20; ++i) {
                ipccore::Snapshot s;
                s.t = i / 20.0;
                for (int j = 0; j < objects; ++j) {
                    ipccore::ObjectStatus ring;
                    ring.name = "buffer-" + std::to_string(j);
                    ring.transport = transport;
                    ring.capacity = 8;
                    ring.depth = transport == ipccore::TransportKind::Socket ? -1 : i % 9; // a socket's is unknown
                    if (transport == ipccore::TransportKind::ShmRing)
                        ring.semaphores = { { "empty", "", 8 - i % 9 }, { "full", "", i % 9 }, { "mutex", "", 1 } };
                    s.objects.push_back(ring);
                }
                h.append(s);
            }
            return h;
        };
        const auto thin = [&](ChartPanel::ChartId id) {
            const auto series = panel.chartView(id)->chart()->series();
            const auto onePixel
                = [](QAbstractSeries* line) { return static_cast<QLineSeries*>(line)->pen().widthF() <= 1.0; };
            const bool narrow = std::all_of(series.begin(), series.end(), onePixel);
            const bool wide = std::none_of(series.begin(), series.end(), onePixel);
            const bool smooth = panel.chartView(id)->renderHints().testFlag(QPainter::Antialiasing);
            if (narrow && !smooth)
                return 1;
            return wide && smooth ? 0 : -1; // -1: a mix, which should never be drawn
        };
        panel.refresh(history(1), 8); // 1 depth line, 3 semaphore lines
        QCOMPARE(thin(ChartPanel::DepthChart), 0);
        QCOMPARE(thin(ChartPanel::SemaphoreChart), 0);
        panel.reset();
        panel.refresh(history(5), 8); // 5 depth lines, 15 semaphore lines
        QCOMPARE(thin(ChartPanel::DepthChart), 0);
        QCOMPARE(thin(ChartPanel::SemaphoreChart), 1);
        panel.reset();
        panel.refresh(history(7), 8); // 7 depth lines, 21 semaphore lines
        QCOMPARE(panel.chartView(ChartPanel::DepthChart)->chart()->series().size(), 7);
        QCOMPARE(thin(ChartPanel::DepthChart), 1);
        QCOMPARE(thin(ChartPanel::SemaphoreChart), 1);
        QCOMPARE(thin(ChartPanel::ThroughputChart), 0);
        // A theme change styles the lines again, and they stay thin.
        QEvent paletteChange(QEvent::PaletteChange);
        QApplication::sendEvent(&panel, &paletteChange);
        QCOMPARE(thin(ChartPanel::DepthChart), 1);
        QCOMPARE(thin(ChartPanel::SemaphoreChart), 1);
        panel.reset();
        panel.refresh(history(1), 8);
        QCOMPARE(thin(ChartPanel::DepthChart), 0);
        QCOMPARE(thin(ChartPanel::SemaphoreChart), 0);
        // Seven sockets: seven depth lines without a point (a socket's depth cannot be read), so none is drawn.
        panel.reset();
        panel.refresh(history(7, ipccore::TransportKind::Socket), 8);
        QCOMPARE(panel.chartView(ChartPanel::DepthChart)->chart()->series().size(), 7);
        QCOMPARE(thin(ChartPanel::DepthChart), 0);
        // Nor listed: the legend, short of room with a dozen objects, names only lines that draw something.
        const auto legendShown = [&panel](ChartPanel::ChartId id) {
            int shown = 0;
            for (QLegendMarker* marker : panel.chartView(id)->chart()->legend()->markers())
                shown += marker->isVisible() ? 1 : 0;
            return shown;
        };
        // Qt lays a legend out (and shows its entries) once events are processed: wait for that, then count.
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QTest::qWait(200);
        QCOMPARE(legendShown(ChartPanel::DepthChart), 0);
        panel.reset();
        panel.refresh(history(7), 8);
        QTRY_COMPARE_WITH_TIMEOUT(legendShown(ChartPanel::DepthChart), 7, 5000);
        // Seven entries fit beside a tall plot in the window's font; beside one at its least height they would be
        // cut off at the bottom, so the legend's font is smaller there (dining-philosophers' six at 1280x800).
        const auto legendPoints
            = [&panel] { return panel.chartView(ChartPanel::DepthChart)->chart()->legend()->font().pointSizeF(); };
        QChartView* depth = panel.chartView(ChartPanel::DepthChart);
        depth->setFixedHeight(600);
        QTRY_COMPARE_WITH_TIMEOUT(depth->height(), 600, 5000);
        panel.refresh(history(7), 8);
        QCOMPARE(legendPoints(), panel.font().pointSizeF());
        depth->setFixedHeight(150);
        QTRY_COMPARE_WITH_TIMEOUT(depth->height(), 150, 5000);
        panel.refresh(history(7), 8);
        QVERIFY2(legendPoints() < panel.font().pointSizeF() && legendPoints() >= 0.75 * panel.font().pointSizeF(),
            qPrintable(QString::number(legendPoints())));
    }

    // A termination signal (`kill <pid>`, logout, Ctrl+C) closes a window with unsaved edits without asking: nobody may
    // be there to answer, and the sender waits for the process to end.
    void aTerminationSignalDoesNotAsk()
    {
        ClosingWindow owned;
        QPointer<MainWindow>& guard = owned.guard;
        MainWindow* window = guard;
        QVERIFY(QTest::qWaitForWindowExposed(window));
        ipccore::WorkerSpec edited = window->document()->scenario().workers.at(0);
        edited.rate += 3;
        QCOMPARE(window->document()->replaceWorker(0, edited), QString());
        bool asked = false;
        QTimer watcher;
        connect(&watcher, &QTimer::timeout, [&] {
            if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) {
                asked = true;
                box->button(QMessageBox::Discard)->click();
            }
        });
        watcher.start(20);
        quitOnTerminationSignals();
        QVERIFY(::raise(SIGTERM) == 0);
        // The signal is seen by the event loop; its QCoreApplication::quit() does nothing under QTest (no exec()
        // runs), so the close the application would send is sent here.
        QTRY_VERIFY(quittingOnSignal());
        QVERIFY(window->close());
        QTRY_VERIFY(guard.isNull());
        QVERIFY(!asked);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
