// The window on a projector, offscreen, against real workers: at 1280 × 720, with and without the Lessons panel, it
// keeps that size and shows all five processes of bounded-buffer-3x2; the zoom scales the application's font and
// the charts' text and goes back with Ctrl+0; a chart and the timeline export at twice their size on screen.
#include "model/error_text.h"
#include "model/run_session.h"
#include "widgets/chart_panel.h"
#include "widgets/main_window.h"
#include "widgets/object_view.h"
#include "widgets/process_panel.h"
#include "widgets/theme.h"
#include "widgets/timeline_view.h"

#include "test_support.h"

#include <QAbstractAxis>
#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QDockWidget>
#include <QImage>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace ipcui;

class TestProjector : public QObject {
    Q_OBJECT

private slots:
    void fitsA1280x720Screen()
    {
        const auto window = std::make_unique<MainWindow>();
        window->session()->setWorkerPath(ipctest::workerPath());
        window->resize(1280, 720);
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window.get()));
        QSignalSpy started(window->session(), &RunSession::runStarted);
        QSignalSpy stopped(window->session(), &RunSession::runStopped);
        QVERIFY(window->loadScenario(QStringLiteral("bounded-buffer-3x2")).isEmpty());
        window->startRun();
        QVERIFY(started.wait(30000));
        const QString needle = window->session()->prefix().mid(1);
        QTableView* table = window->processPanel()->table();
        QTRY_COMPARE_WITH_TIMEOUT(table->model()->rowCount(), 5, 30000);
        for (const bool lessons : { false, true }) {
            if (lessons)
                window->showLesson(1);
            QTest::qWait(300);
            QCOMPARE(window->size(), QSize(1280, 720)); // its least size fits: it did not grow past the screen
            QVERIFY(window->lessonDock()->isVisible() == lessons);
            for (int row = 0; row < 5; ++row) {
                const QRect cell = table->visualRect(table->model()->index(row, 0));
                QVERIFY2(cell.isValid() && cell.top() >= 0 && cell.center().y() < table->viewport()->height(),
                    qPrintable(QStringLiteral("row %1 at %2 of a viewport %3 high, lessons %4")
                                   .arg(row)
                                   .arg(cell.top())
                                   .arg(table->viewport()->height())
                                   .arg(lessons)));
            }
        }

        // Zoom: the application's font, the charts' titles and the scenario's explanation (a label with a style
        // sheet of its own, which the application's font does not reach by itself) grow, and Ctrl+0 gives back the
        // first size.
        const double points = QApplication::font().pointSizeF();
        QChartView* throughput = window->charts()->chartView(ChartPanel::ThroughputChart);
        QVERIFY(throughput && throughput->isVisible());
        const double titlePoints = throughput->chart()->titleFont().pointSizeF();
        auto* description = window->findChild<QLabel*>(QStringLiteral("scenarioDescription"));
        QVERIFY(description);
        const int descriptionLine = description->fontMetrics().height();
        window->setZoom(1.5);
        QCOMPARE(QApplication::font().pointSizeF(), points * 1.5);
        QTRY_VERIFY(std::abs(throughput->chart()->titleFont().pointSizeF() - titlePoints * 1.5) < 0.01);
        QVERIFY2(description->fontMetrics().height() >= descriptionLine * 1.3,
            qPrintable(QStringLiteral("%1 px lines, %2 before")
                           .arg(description->fontMetrics().height())
                           .arg(descriptionLine)));
        QTest::keyClick(window.get(), Qt::Key_0, Qt::ControlModifier);
        QCOMPARE(QApplication::font().pointSizeF(), points);
        QCOMPARE(description->fontMetrics().height(), descriptionLine);
        QCOMPARE(window->zoom(), 1.0);

        // Exports for slides: twice the size on screen.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString chartPath = dir.path() + QStringLiteral("/throughput.png");
        QVERIFY(window->charts()->saveChartPng(ChartPanel::ThroughputChart, chartPath));
        const QImage chart(chartPath);
        QCOMPARE(chart.size(), throughput->size() * 2);

        window->stopRun();
        QVERIFY(stopped.wait(30000));
        // Idle again: a race may start (its tab said "Stop the live run first" while nothing ran).
        auto* raceStart = window->findChild<QPushButton*>(QStringLiteral("raceStart"));
        QVERIFY(raceStart);
        QVERIFY(raceStart->isEnabled());
        QVERIFY2(ipctest::leftoverObjects(needle).isEmpty(), qPrintable(ipctest::leftoverObjects(needle).join(", ")));
    }

    // An error wraps rather than being cut off (to two lines, the rest behind Details), keeps its technical form
    // behind Details, and a later success clears it.
    void errorsWrapAndALaterSuccessClearsThem()
    {
        const auto window = std::make_unique<MainWindow>();
        window->resize(1280, 720);
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window.get()));
        auto* label = window->findChild<QLabel*>(QStringLiteral("errorLabel"));
        QVERIFY(label);
        const ipccore::Error error { ipccore::ErrorCode::LimitReached, EMFILE, "open", "/dev/shm/x",
            QString(QStringLiteral("this is a long explanation of what to do next, ")).repeated(6).toStdString() };
        window->showError(errorText(QStringLiteral("Could not add consumer-3"), error));
        QTRY_VERIFY(label->isVisible());
        QVERIFY(label->text().contains(QStringLiteral("Could not add consumer-3")));
        QVERIFY(label->text().contains(QStringLiteral("Details")));
        QVERIFY(!label->text().contains(QStringLiteral("EMFILE"))); // the technical form is behind Details
        QVERIFY(label->toolTip().contains(QStringLiteral("EMFILE")));
        QTRY_VERIFY2(label->height() >= label->heightForWidth(label->width()),
            qPrintable(QStringLiteral("%1 px high, needs %2 at %3 wide")
                           .arg(label->height())
                           .arg(label->heightForWidth(label->width()))
                           .arg(label->width())));
        if (const QByteArray shot = qgetenv("IPCLAB_SHOT_DIR"); !shot.isEmpty())
            window->grab().save(QString::fromLocal8Bit(shot) + QStringLiteral("/error.png"));
        // Far too long for two lines (a deadlock's cycle of five): two lines and "…", the whole behind Details, and
        // the window stays within the screen.
        const QString cycle = QStringLiteral("philosopher-1 holds fork-1 and waits for fork-2; ").repeated(12);
        window->showError(cycle);
        QTRY_VERIFY(label->text().contains(QStringLiteral("Details")));
        QVERIFY(label->text().contains(QStringLiteral("…")));
        QVERIFY(label->text().size() < cycle.size());
        QCOMPARE(label->toolTip(), QStringLiteral("<p>%1</p>").arg(cycle)); // a paragraph: it wraps
        // An error quoting a name another user chose: its markup stays text in the tooltip too.
        window->showError(QStringLiteral("segment /<font size=7>x no longer exists"));
        QTRY_VERIFY(label->toolTip().contains(QStringLiteral("/&lt;font size=7&gt;x")));
        window->showError(cycle);
        QTRY_VERIFY2(label->heightForWidth(label->width()) <= 2 * QFontMetrics(label->font()).lineSpacing() + 8,
            qPrintable(QStringLiteral("needs %1 px at %2 wide")
                           .arg(label->heightForWidth(label->width()))
                           .arg(label->width())));
        QTRY_VERIFY2(window->height() <= 720, qPrintable(QString::number(window->height())));
        window->showNotice(QStringLiteral("Saved /tmp/x.json"));
        QVERIFY(label->text().isEmpty());
        QCOMPARE(window->lastError(), cycle); // kept for the record
    }

    // Ctrl+Shift+D turns the whole window dark, the charts and the hand-drawn views with it, and back again.
    void darkThemeReachesEveryView()
    {
        applyTheme(Theme::Light);
        const auto window = std::make_unique<MainWindow>();
        window->resize(1280, 720);
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window.get()));
        QVERIFY(window->loadScenario(QStringLiteral("bounded-buffer-3x2")).isEmpty());
        QChartView* chart = window->charts()->chartView(ChartPanel::ThroughputChart);
        ObjectView* objects = window->objectView();
        QVERIFY(objects);
        // The lightness of a view's picture, averaged over a grid of points: the background dominates it.
        const auto lightness = [](QWidget* widget) {
            const QImage image = widget->grab().toImage();
            int sum = 0, count = 0;
            for (int y = 2; y < image.height(); y += 7) {
                for (int x = 2; x < image.width(); x += 7, ++count)
                    sum += image.pixelColor(x, y).lightness();
            }
            return count > 0 ? sum / count : -1;
        };
        QVERIFY2(lightness(chart) > 200 && lightness(objects) > 180,
            qPrintable(QStringLiteral("light: chart %1, objects %2").arg(lightness(chart)).arg(lightness(objects))));

        QTest::keyClick(window.get(), Qt::Key_D, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(currentTheme(), Theme::Dark);
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 80);
        QTRY_VERIFY2(lightness(chart) < 80 && lightness(objects) < 90,
            qPrintable(QStringLiteral("dark: chart %1, objects %2").arg(lightness(chart)).arg(lightness(objects))));
        // The chart's axes are written in the palette's light text, readable on its dark page.
        for (QAbstractAxis* axis : chart->chart()->axes())
            QVERIFY(axis->labelsColor().lightness() > 180);
        if (const QByteArray shot = qgetenv("IPCLAB_SHOT_DIR"); !shot.isEmpty())
            window->grab().save(QString::fromLocal8Bit(shot) + QStringLiteral("/dark.png"));

        QTest::keyClick(window.get(), Qt::Key_D, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(currentTheme(), Theme::Light);
        QTRY_VERIFY(lightness(chart) > 200);
    }
};

QTEST_MAIN(TestProjector)
#include "tst_projector.moc"
