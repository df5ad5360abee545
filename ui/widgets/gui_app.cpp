#include "widgets/gui_app.h"

#include "model/bench_runner.h"
#include "model/quit_on_signal.h"
#include "model/run_session.h"
#include "widgets/main_window.h"
#include "widgets/race_view.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QPixmap>
#include <QTextStream>
#include <QTimer>

#include <cstdio>

namespace ipcui {

namespace {
void printError(const QString& message)
{
    QTextStream err(stderr);
    err << "ipclab: " << message << Qt::endl;
}

// --race: start a race from the Race tab's defaults; with a screenshot path, grab the window when it has finished.
int runRace(QApplication& app, MainWindow& window, const QString& shotPath)
{
    window.showRace();
    RaceView* race = window.raceView();
    BenchRunner* bench = window.benchRunner();
    int exitCode = 0;
    if (!shotPath.isEmpty()) {
        QObject::connect(bench, &BenchRunner::finished, &app, [&] {
            // Let the charts lay out their new bars before the grab.
            QTimer::singleShot(300, &window, [&] {
                const QPixmap shot = window.grab();
                if (shot.isNull() || !shot.save(shotPath, "PNG")) {
                    printError(QStringLiteral("could not write the screenshot to %1").arg(shotPath));
                    exitCode = 1;
                }
                app.exit(exitCode);
            });
        });
        QObject::connect(bench, &BenchRunner::failed, &app, [&](const QString& message) {
            printError(message);
            app.exit(1);
        });
        QObject::connect(bench, &BenchRunner::cancelled, &app, [&] {
            printError(QStringLiteral("the race was cancelled"));
            app.exit(1);
        });
    }
    QTimer::singleShot(0, race, [&] {
        const QString reason = race->start();
        if (reason.isEmpty())
            return;
        printError(reason);
        if (!shotPath.isEmpty())
            app.exit(1);
    });
    return app.exec();
}
} // namespace

int runGuiMain(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("ipclab"));
    QApplication::setApplicationDisplayName(QStringLiteral("IPC Lab"));
    QApplication::setApplicationVersion(QStringLiteral("0.1.0"));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("IPC Lab: spawn producer and consumer processes and watch POSIX IPC live."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption runOption(QStringLiteral("run"),
        QStringLiteral("Start this scenario (a bundled name or a JSON file) at launch."), QStringLiteral("scenario"));
    const QCommandLineOption shotOption(QStringLiteral("screenshot"),
        QStringLiteral("Save a PNG of the window after --after seconds of running, then stop and quit."),
        QStringLiteral("file"));
    const QCommandLineOption afterOption(QStringLiteral("after"),
        QStringLiteral("Seconds of running before the screenshot (default 3)."), QStringLiteral("seconds"),
        QStringLiteral("3"));
    const QCommandLineOption workerOption(QStringLiteral("worker"),
        QStringLiteral("Path of ipclab-worker (default: beside this program)."), QStringLiteral("path"));
    const QCommandLineOption raceOption(QStringLiteral("race"),
        QStringLiteral("Open the Race tab and start a race with its default options; with --screenshot, save a PNG "
                       "of the window when the race has finished, then quit."));
    parser.addOptions({ runOption, shotOption, afterOption, workerOption, raceOption });
    parser.process(app);

    bool afterOk = false;
    const double after = parser.value(afterOption).toDouble(&afterOk);
    if (!afterOk || after < 0 || after > 3600) {
        printError(
            QStringLiteral("--after: expected seconds between 0 and 3600, got \"%1\"").arg(parser.value(afterOption)));
        return 2;
    }
    const bool screenshot = parser.isSet(shotOption);
    const QString shotPath = parser.value(shotOption);
    if (parser.isSet(raceOption) && parser.isSet(runOption)) {
        printError(QStringLiteral("--race and --run exclude each other: a race and a live run would disturb each "
                                  "other's numbers"));
        return 2;
    }

    quitOnTerminationSignals();
    MainWindow window;
    if (parser.isSet(workerOption))
        window.setWorkerPath(parser.value(workerOption));
    window.show();

    if (parser.isSet(raceOption))
        return runRace(app, window, screenshot ? shotPath : QString());

    if (parser.isSet(runOption)) {
        const QString reason = window.loadScenario(parser.value(runOption));
        if (!reason.isEmpty()) {
            printError(reason);
            if (screenshot)
                return 1;
        }
    }
    if (!screenshot) {
        if (parser.isSet(runOption) && window.lastError().isEmpty())
            QTimer::singleShot(0, &window, [&window] { window.startRun(); });
        return app.exec();
    }

    // Screenshot mode: run, grab after `after` seconds, stop (objects unlinked), quit.
    int exitCode = 0;
    RunSession* session = window.session();
    QObject::connect(session, &RunSession::errorOccurred, &app, [&](const QString& message) {
        printError(message);
        if (!session->isActive() || session->state() == RunState::Starting) {
            exitCode = 1;
            if (!session->isActive())
                app.exit(1);
        }
    });
    QObject::connect(session, &RunSession::runStarted, &app, [&] {
        QTimer::singleShot(int(after * 1000), &window, [&] {
            window.renderNow();
            const QPixmap shot = window.grab();
            if (shot.isNull() || !shot.save(shotPath, "PNG")) {
                printError(QStringLiteral("could not write the screenshot to %1").arg(shotPath));
                exitCode = 1;
            }
            session->stop();
        });
    });
    QObject::connect(session, &RunSession::runStopped, &app, [&] { app.exit(exitCode); });
    QObject::connect(session, &RunSession::stateChanged, &app, [&](RunState state) {
        // A start refused by the runner goes Starting -> Idle without runStarted.
        if (state == RunState::Idle && exitCode != 0)
            app.exit(exitCode);
    });
    QTimer::singleShot(0, &window, [&window] { window.startRun(); });
    return app.exec();
}

} // namespace ipcui
