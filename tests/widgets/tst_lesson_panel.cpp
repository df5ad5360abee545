// The Lessons panel in the window, offscreen, against real workers: lesson 2 started from the panel, answered,
// revealed only once both consumers are paused, with the depth the real buffer reached and the choice scored; the
// next lesson's Start stops the run going and starts its own; a wrong answer is scored as wrong; a teacher's lesson
// file is added, and a bad one refused with its field named. Nothing of the runs is left behind.
#include "model/lesson_session.h"
#include "model/run_session.h"
#include "widgets/lesson_panel.h"
#include "widgets/main_window.h"

#include "test_support.h"

#include <QDockWidget>
#include <QElapsedTimer>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace ipcui;

class TestLessonPanel : public QObject {
    Q_OBJECT

private slots:
    void lessonsFromTheWindow()
    {
        const auto window = std::make_unique<MainWindow>();
        window->session()->setWorkerPath(ipctest::workerPath());
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window.get()));
        QSignalSpy started(window->session(), &RunSession::runStarted);
        QSignalSpy stopped(window->session(), &RunSession::runStopped);
        QVERIFY(!window->lessonDock()->isVisible()); // hidden until asked for
        window->showLesson(1);
        QVERIFY(window->lessonDock()->isVisible());
        LessonPanel* panel = window->lessonPanel();
        LessonSession* lessons = panel->session();
        QCOMPARE(QString::fromStdString(lessons->current().scenario), QStringLiteral("producer-consumer-shm-ring"));
        // Named as the window's scenario picker names it, with its id.
        QCOMPARE(panel->findChild<QLabel*>(QStringLiteral("lessonScenario"))->text(),
            QStringLiteral("Scenario: One producer, one consumer over a shared-memory bounded buffer "
                           "(producer-consumer-shm-ring)"));
        // The prediction comes first: nothing to start or reveal until an answer is chosen.
        QVERIFY(!panel->revealButton()->isEnabled());
        QVERIFY(!panel->startButton()->isEnabled());
        panel->choiceList()->setCurrentRow(2); // "8: every slot is full"
        QCOMPARE(lessons->chosen(), 2);
        QVERIFY(panel->startButton()->isEnabled());

        panel->startButton()->click();
        QVERIFY(lessons->locked()); // the answer is locked in as the run starts
        panel->choiceList()->setCurrentRow(1);
        QCOMPARE(lessons->chosen(), 2);
        QVERIFY(panel->choiceList()->item(2)->text().contains(QStringLiteral("your answer, locked in")));
        QVERIFY(panel->choiceList()->toolTip().contains(QStringLiteral("locked in"))); // clicks do nothing: said why
        QVERIFY(started.wait(30000));
        const QString needle = window->session()->prefix().mid(1);
        QCOMPARE(window->session()->scenario().name, std::string("producer-consumer-shm-ring"));
        QVERIFY(panel->revealButton()->isEnabled());
        panel->revealButton()->click();
        QCOMPARE(lessons->phase(), LessonSession::Phase::Waiting);
        // Not revealed while the consumers run: the panel says what to do.
        QTRY_VERIFY_WITH_TIMEOUT(panel->resultLabel()->text().contains(QStringLiteral("Pause consumer")), 10000);
        QTest::qWait(500);
        QCOMPARE(lessons->phase(), LessonSession::Phase::Waiting);
        window->session()->pauseWorkers({ 1 }); // the consumer, as the panel's Pause does
        // Stopped inside its critical section (rare, likelier on a loaded machine), the consumer keeps the lock and
        // the panel asks to resume and pause again: do so, as a student would.
        QElapsedTimer waited;
        waited.start();
        while (lessons->phase() != LessonSession::Phase::Revealed && waited.elapsed() < 30000) {
            if (panel->resultLabel()->text().contains(QStringLiteral("Resume the paused processes"))) {
                qInfo("%s", qPrintable(panel->resultLabel()->text()));
                window->session()->resumeWorkers({ 1 });
                QTest::qWait(20);
                window->session()->pauseWorkers({ 1 });
                QTest::qWait(600); // the next readings judge the new pause
            }
            QTest::qWait(50);
        }
        QVERIFY2(lessons->phase() == LessonSession::Phase::Revealed, qPrintable(panel->resultLabel()->text()));
        QVERIFY2(lessons->right(), qPrintable(lessons->observed()));
        QCOMPARE(lessons->observed(), QStringLiteral("depth of buffer = 8 messages"));
        // The producer waiting for room that only the paused consumer can make: a stall, never a deadlock, so no
        // deadlock banner over the lesson.
        QTest::qWait(1500);
        QVERIFY(window->findChild<QLabel*>(QStringLiteral("deadlockBanner"))->isHidden());
        QVERIFY2(
            panel->resultLabel()->text().contains(QStringLiteral("Right.")), qPrintable(panel->resultLabel()->text()));
        QVERIFY(panel->choiceList()->item(2)->text().contains(QStringLiteral("what the run did")));
        // When the figure was read: the live views move on after it.
        QVERIFY2(panel->resultLabel()->text().contains(QStringLiteral(" s the run showed")),
            qPrintable(panel->resultLabel()->text()));
        QCOMPARE(
            window->findChild<QLabel*>(QStringLiteral("lessonScore"))->text(), QStringLiteral("Score: 1 of 1 right"));
        if (const QByteArray shot = qgetenv("IPCLAB_SHOT_DIR"); !shot.isEmpty())
            window->grab().save(QString::fromLocal8Bit(shot) + QStringLiteral("/lesson.png"));

        // The next lesson's Start stops this run and starts its own scenario.
        window->findChild<QPushButton*>(QStringLiteral("lessonNext"))->click();
        QCOMPARE(lessons->index(), 2);
        QCOMPARE(lessons->phase(), LessonSession::Phase::Predict);
        QVERIFY(!lessons->locked());
        panel->choiceList()->setCurrentRow(0); // "it drops them": wrong
        panel->startButton()->click();
        QVERIFY(stopped.wait(30000));
        QVERIFY2(ipctest::leftoverObjects(needle).isEmpty(), qPrintable(ipctest::leftoverObjects(needle).join(", ")));
        QTRY_COMPARE_WITH_TIMEOUT(started.size(), 2, 30000);
        QCOMPARE(window->session()->scenario().name, std::string("fast-producer-slow-consumer"));
        const QString needle2 = window->session()->prefix().mid(1);
        panel->revealButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(lessons->phase(), LessonSession::Phase::Revealed, 30000);
        QVERIFY2(!lessons->right(), qPrintable(lessons->observed()));
        QCOMPARE(lessons->answer(), std::optional<int>(1));
        QVERIFY(panel->resultLabel()->text().contains(QStringLiteral("Not this time.")));
        QCOMPARE(
            window->findChild<QLabel*>(QStringLiteral("lessonScore"))->text(), QStringLiteral("Score: 1 of 2 right"));
        QVERIFY(panel->choiceList()->item(0)->text().contains(QStringLiteral("✗ your answer")));
        QVERIFY(panel->choiceList()->item(1)->text().contains(QStringLiteral("✓ what the run did")));
        // Picking another lesson stops the run of the one left.
        lessons->setIndex(3);
        QVERIFY(stopped.wait(30000));
        QVERIFY(!window->session()->isActive());
        QVERIFY2(ipctest::leftoverObjects(needle2).isEmpty(), qPrintable(ipctest::leftoverObjects(needle2).join(", ")));
    }

    // A Start the runner refuses (here: no worker program where it is looked for) shows nothing of a run, so the
    // answer it locked in is open again; a run that did start keeps it locked (lessonsFromTheWindow).
    void aRefusedStartLeavesTheAnswerOpen()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const auto window = std::make_unique<MainWindow>();
        window->session()->setWorkerPath(dir.filePath(QStringLiteral("no-such-worker")));
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window.get()));
        QSignalSpy errors(window->session(), &RunSession::errorOccurred);
        window->showLesson(1);
        LessonPanel* panel = window->lessonPanel();
        LessonSession* lessons = panel->session();
        panel->choiceList()->setCurrentRow(2);
        panel->startButton()->click();
        QVERIFY(lessons->locked()); // until the refusal comes from the runner's thread
        QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), 30000);
        QVERIFY2(errors.front().front().toString().contains(QStringLiteral("no-such-worker")),
            qPrintable(errors.front().front().toString()));
        QTRY_VERIFY_WITH_TIMEOUT(!lessons->locked(), 5000);
        QVERIFY(!panel->choiceList()->item(2)->text().contains(QStringLiteral("locked in")));
        QVERIFY(panel->choiceList()->toolTip().isEmpty());
        QVERIFY(!window->session()->isActive());
        panel->choiceList()->setCurrentRow(1);
        QCOMPARE(lessons->chosen(), 1);
    }

    void teachersLessonFiles()
    {
        LessonSession lessons;
        QCOMPARE(lessons.count(), 9);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString bad = dir.path() + QStringLiteral("/bad.json");
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"title": "t", "scenario": "counter-race", "do": "d", "question": "q", "explain": "e",
                    "choices": [{"text": "a", "max": 0}, {"text": "b", "min": 0}],
                    "observe": {"measure": "lost_updates_percent", "object": "counter"}})");
        f.close();
        const QString refusal = lessons.openFile(bad);
        QVERIFY2(refusal.contains(QStringLiteral("choices[1]: its range overlaps")), qPrintable(refusal));
        QCOMPARE(lessons.count(), 9);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(R"({"title": "Mine", "scenario": "counter-race", "do": "d", "question": "q", "explain": "e",
                    "choices": [{"text": "a", "max": 0}, {"text": "b", "above": 0}],
                    "observe": {"measure": "lost_updates_percent", "object": "counter"}})");
        f.close();
        QCOMPARE(lessons.openFile(bad), QString());
        QCOMPARE(lessons.count(), 10);
        QCOMPARE(lessons.index(), 9);
        QCOMPARE(lessons.current().title, std::string("Mine"));
    }
};

QTEST_MAIN(TestLessonPanel)
#include "tst_lesson_panel.moc"
