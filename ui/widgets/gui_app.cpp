#include "widgets/gui_app.h"

#include "model/bench_runner.h"
#include "model/quit_on_signal.h"
#include "model/run_session.h"
#include "model/watch_monitor.h"
#include "widgets/main_window.h"
#include "widgets/race_view.h"
#include "widgets/system_view.h"
#include "widgets/theme.h"
#include "widgets/watch_panel.h"

#include "ipccore/lesson.h"
#include "ipccore/scenario.h"
#include "ipccore/version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QIcon>
#include <QPixmap>
#include <QTextStream>
#include <QTimer>

#include <functional>

#include <cstdio>
#include <optional>

// At file scope: Q_INIT_RESOURCE declares the resource's init function where it is used, and rcc defines it outside
// any namespace. Without the call the linker drops the resource from the static library, as nothing refers to it.
static void initIconResource()
{
    Q_INIT_RESOURCE(ipclab_icons);
}

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

// The same PNGs that are installed into the hicolor theme, compiled in, so the window has its icon when run from
// the build tree too.
QIcon bundledIcon()
{
    initIconResource();
    QIcon icon;
    const QDir dir(QStringLiteral(":/icons"));
    for (const QString& file : dir.entryList({ QStringLiteral("ipclab-*.png") }, QDir::Files))
        icon.addFile(dir.filePath(file));
    return icon;
}
// Saves a PNG of the window once `seconds` have passed and `ready()` says there is something to show (a slow
// machine may take longer for the first listing), then quits; runs the event loop until then.
int screenshotWhenReady(
    QApplication& app, MainWindow& window, const QString& shotPath, double seconds, const std::function<bool()>& ready)
{
    QTimer poll;
    QElapsedTimer waited;
    waited.start();
    QObject::connect(&poll, &QTimer::timeout, &app, [&] {
        if (waited.elapsed() < qint64(seconds * 1000) || !ready())
            return;
        poll.stop();
        window.renderNow();
        const QPixmap shot = window.grab();
        const bool saved = !shot.isNull() && shot.save(shotPath, "PNG");
        if (!saved)
            printError(QStringLiteral("could not write the screenshot to %1").arg(shotPath));
        app.exit(saved ? 0 : 1);
    });
    poll.start(50);
    return app.exec();
}

} // namespace

int runGuiMain(int argc, char** argv)
{
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);

    QCommandLineParser parser;
    // Qt's own options (-platform, -reverse, ...) are single-dash words: read them as long options, never as
    // bundles of short ones, or "-reverse" would hold a -v and print the version.
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    parser.setApplicationDescription(QStringLiteral(
        "IPC Lab: spawn producer and consumer processes and watch POSIX IPC live.\n"
        "Unless --race, --idle or --system is given it starts a scenario at launch: the one given with --run, or "
        "the default (%1). --system shows every POSIX queue, semaphore and segment on the machine, any program's.")
                                         .arg(QString::fromLatin1(ipccore::DefaultScenarioName)));
    const QCommandLineOption helpOption = parser.addHelpOption();
    const QCommandLineOption versionOption = parser.addVersionOption();
    const QCommandLineOption runOption(QStringLiteral("run"),
        QStringLiteral("Start this scenario (a bundled name or a JSON file) at launch."), QStringLiteral("scenario"));
    const QCommandLineOption idleOption(QStringLiteral("idle"),
        QStringLiteral("Open on the default scenario without starting it (start it with Ctrl+R)."));
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
    const QCommandLineOption systemOption(QStringLiteral("system"),
        QStringLiteral(
            "Open on the System tab: every POSIX queue, semaphore and segment on this machine, whoever "
            "made it. Starts no scenario; with --screenshot, saves a PNG after --after seconds, then quits."));
    const QCommandLineOption watchOption(QStringLiteral("watch"),
        QStringLiteral("Open on the Live tab following this object of any program, as the System tab lists it (e.g. "
                       "/demo-1234-jobs); repeat it for more. Starts no scenario unless --run is given; with "
                       "--screenshot and no --run, saves a PNG after --after seconds, then quits."),
        QStringLiteral("name"));
    const QCommandLineOption timelineOption(QStringLiteral("timeline"),
        QStringLiteral("Open on the Timeline tab: each process's states over time and who holds each lock."));
    const QCommandLineOption stepOption(QStringLiteral("step"),
        QStringLiteral("Start runs in step mode: every process waits before its first step until you step it (Step "
                       "all: F10, Run: F5)."));
    const QCommandLineOption lessonOption(QStringLiteral("lesson"),
        QStringLiteral("Open the Lessons panel on lesson N (1 to %1) and its scenario.")
            .arg(ipccore::bundledLessons().size()),
        QStringLiteral("N"));
    const QCommandLineOption zoomOption(QStringLiteral("zoom"),
        QStringLiteral(
            "Text and charts at this percentage, 80 to 250 (for a projector; Ctrl+plus and Ctrl+minus in the "
            "window). Without it the window keeps the zoom it last had, except for --screenshot (100)."),
        QStringLiteral("percent"));
    const QCommandLineOption sizeOption(QStringLiteral("size"),
        QStringLiteral("The window's size in pixels, WIDTHxHEIGHT (e.g. 1280x720, a projector's)."),
        QStringLiteral("WxH"));
    const QCommandLineOption themeOption(QStringLiteral("theme"),
        QStringLiteral("light or dark (Ctrl+Shift+D in the window). Without it the window keeps the theme it last had, "
                       "except for --screenshot (light)."),
        QStringLiteral("name"));
    parser.addOptions({ runOption, idleOption, shotOption, afterOption, workerOption, raceOption, systemOption,
        watchOption, timelineOption, stepOption, lessonOption, zoomOption, sizeOption, themeOption });

    // QApplication aborts when it finds no display, and --help or --version must answer anywhere (a terminal over
    // ssh, a CI log): answer them first. Whether an option is unknown is judged after QApplication has taken its
    // own options out of argv.
    (void)parser.parse(arguments);
    if (parser.isSet(helpOption)) {
        const QCoreApplication core(argc, argv); // names the program in the usage line; needs no display
        QTextStream(stdout) << parser.helpText();
        return 0;
    }
    if (parser.isSet(versionOption)) {
        QTextStream(stdout) << "ipclab " << ipccore::versionString() << Qt::endl;
        return 0;
    }

    // Without any display QApplication aborts (134) advising to reinstall the application, which is wrong: say what
    // is missing instead. "-platform NAME" or QT_QPA_PLATFORM (offscreen, for example) choose a display of their own.
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
        && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && !arguments.contains(QStringLiteral("-platform"))) {
        QTextStream(stderr) << "ipclab: there is no display to open the window on (DISPLAY and WAYLAND_DISPLAY "
                               "are unset). Start it in a desktop session, or under a virtual one with "
                               "'xvfb-run -a ipclab', or run scenarios headless with ipclab-cli\n";
        return 2;
    }

    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("ipclab"));
    QApplication::setOrganizationName(QStringLiteral("ipclab")); // settings in ~/.config/ipclab/ipclab.conf
    QApplication::setApplicationDisplayName(QStringLiteral("IPC Lab"));
    QApplication::setApplicationVersion(QString::fromLatin1(ipccore::versionString()));
    // Ties the windows to the installed ipclab.desktop, so a Wayland shell shows its name and icon.
    QGuiApplication::setDesktopFileName(QStringLiteral("ipclab"));
    QApplication::setWindowIcon(bundledIcon());

    if (!parser.parse(QCoreApplication::arguments())) {
        printError(QStringLiteral("%1 Run ipclab --help for the options.").arg(parser.errorText()));
        return 2;
    }
    if (parser.isSet(QStringLiteral("help-all")))
        parser.process(app); // Qt's own options are only known to a QApplication; prints them and exits 0
    if (!parser.positionalArguments().isEmpty()) {
        printError(QStringLiteral("unexpected argument \"%1\": give a scenario with --run %1")
                       .arg(parser.positionalArguments().constFirst()));
        return 2;
    }

    bool afterOk = false;
    const double after = parser.value(afterOption).toDouble(&afterOk);
    if (!afterOk || !(after >= 0 && after <= 3600)) { // written so that nan fails too
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
    if (parser.isSet(systemOption)) {
        for (const QCommandLineOption* other :
            { &runOption, &raceOption, &lessonOption, &idleOption, &timelineOption, &stepOption }) {
            if (parser.isSet(*other)) {
                printError(QStringLiteral("--system and --%1 exclude each other: --system opens on the machine's "
                                          "objects and starts nothing")
                               .arg(other->names().constFirst()));
                return 2;
            }
        }
    }
    if (parser.isSet(watchOption) && (parser.isSet(systemOption) || parser.isSet(raceOption))) {
        printError(QStringLiteral("--watch shows its objects in the Live tab: it excludes --%1")
                       .arg(parser.isSet(systemOption) ? QStringLiteral("system") : QStringLiteral("race")));
        return 2;
    }
    double zoom = 0; // 0: the saved one
    if (parser.isSet(zoomOption)) {
        bool ok = false;
        const double percent = parser.value(zoomOption).toDouble(&ok);
        if (!ok || !(percent >= MainWindow::MinZoom * 100 && percent <= MainWindow::MaxZoom * 100)) {
            printError(QStringLiteral("--zoom: expected a percentage from %1 to %2, got \"%3\"")
                           .arg(MainWindow::MinZoom * 100)
                           .arg(MainWindow::MaxZoom * 100)
                           .arg(parser.value(zoomOption)));
            return 2;
        }
        zoom = percent / 100;
    }
    std::optional<Theme> theme;
    if (parser.isSet(themeOption)) {
        theme = themeFromName(parser.value(themeOption));
        if (!theme) {
            printError(QStringLiteral("--theme: expected light or dark, got \"%1\"").arg(parser.value(themeOption)));
            return 2;
        }
    }
    QSize size;
    if (parser.isSet(sizeOption)) {
        const QStringList parts = parser.value(sizeOption).split(QLatin1Char('x'));
        bool wOk = false, hOk = false;
        if (parts.size() == 2)
            size = QSize(parts[0].toInt(&wOk), parts[1].toInt(&hOk));
        if (!wOk || !hOk || size.width() < 640 || size.height() < 400 || size.width() > 8192 || size.height() > 8192) {
            printError(QStringLiteral("--size: expected WIDTHxHEIGHT in pixels, from 640x400 to 8192x8192 (e.g. "
                                      "1280x720), got \"%1\"")
                           .arg(parser.value(sizeOption)));
            return 2;
        }
    }
    int lesson = 0;
    if (parser.isSet(lessonOption)) {
        bool ok = false;
        lesson = parser.value(lessonOption).toInt(&ok);
        const int count = int(ipccore::bundledLessons().size());
        if (!ok || lesson < 1 || lesson > count) {
            printError(QStringLiteral("--lesson: expected a lesson number from 1 to %1, got \"%2\"")
                           .arg(count)
                           .arg(parser.value(lessonOption)));
            return 2;
        }
        for (const QCommandLineOption* other : { &runOption, &raceOption }) {
            if (parser.isSet(*other)) {
                printError(QStringLiteral("--lesson and --%1 exclude each other: a lesson runs its own scenario")
                               .arg(other->names().constFirst()));
                return 2;
            }
        }
    }
    const bool idle = parser.isSet(idleOption);
    if (idle) {
        for (const QCommandLineOption* starting : { &runOption, &raceOption, &shotOption }) {
            if (parser.isSet(*starting)) {
                printError(QStringLiteral("--idle and --%1 exclude each other: --%1 starts something at launch, "
                                          "--idle starts nothing. Drop one of them.")
                               .arg(starting->names().constFirst()));
                return 2;
            }
        }
    }

    quitOnTerminationSignals();
    applyTheme(theme.value_or(Theme::Light)); // before the window is built, so it is built in its colours
    MainWindow window;
    if (!theme && !screenshot)
        window.restoreTheme();
    if (zoom > 0)
        window.setZoom(zoom);
    else if (!screenshot)
        window.restoreZoom(); // pictures are taken at 100 % unless asked
    if (parser.isSet(workerOption))
        window.setWorkerPath(parser.value(workerOption));
    if (size.isValid())
        window.resize(size);
    window.show();
    if (parser.isSet(timelineOption))
        window.showTimeline();
    if (parser.isSet(stepOption))
        window.session()->setStartStepping(true);

    if (parser.isSet(raceOption))
        return runRace(app, window, screenshot ? shotPath : QString());
    if (parser.isSet(systemOption)) {
        window.showSystem();
        if (!screenshot)
            return app.exec();
        return screenshotWhenReady(
            app, window, shotPath, after, [&] { return window.systemView()->listingCount() > 0; });
    }

    const QStringList watched = parser.values(watchOption);
    for (const QString& name : watched)
        window.watchPanel()->monitor()->watchNamed(name.toStdString());
    if (!watched.isEmpty()) {
        QObject::connect(window.watchPanel()->monitor(), &WatchMonitor::refused, &app, [&](const QString& problem) {
            printError(problem);
            if (screenshot)
                app.exit(1);
        });
    }
    if (!watched.isEmpty() && !parser.isSet(runOption)) {
        if (!screenshot)
            return app.exec();
        // Once the processes using the objects have been listed.
        return screenshotWhenReady(
            app, window, shotPath, after, [&] { return window.watchPanel()->monitor()->users() != nullptr; });
    }

    if (lesson > 0) {
        window.showLesson(lesson - 1);
        const QString reason
            = window.loadScenario(QString::fromStdString(ipccore::bundledLessons()[std::size_t(lesson - 1)].scenario));
        if (!reason.isEmpty())
            printError(reason);
    }
    if (parser.isSet(runOption)) {
        const QString reason = window.loadScenario(parser.value(runOption));
        if (!reason.isEmpty()) {
            printError(reason);
            if (screenshot)
                return 1;
        }
    }
    if (!screenshot) {
        // Without --run the window holds the default scenario; a newcomer should see it move, not an idle screen.
        if (!idle && window.lastError().isEmpty())
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
    bool shotTaken = false;
    auto takeShot = [&] {
        shotTaken = true;
        window.renderNow();
        const QPixmap shot = window.grab();
        if (shot.isNull() || !shot.save(shotPath, "PNG")) {
            printError(QStringLiteral("could not write the screenshot to %1").arg(shotPath));
            exitCode = 1;
        }
    };
    QObject::connect(session, &RunSession::runStarted, &app, [&] {
        QTimer::singleShot(int(after * 1000), &window, [&] {
            if (shotTaken || !session->isActive())
                return;
            takeShot();
            session->stop();
        });
    });
    QObject::connect(session, &RunSession::runStopped, &app, [&] {
        if (shotTaken) {
            app.exit(exitCode);
            return;
        }
        // Every process finished before --after (a pipeline ended by poison, workers with a count): the picture is
        // of the run's end, once the window has drawn it.
        std::fprintf(stderr, "ipclab: the run ended by itself before --after; the screenshot shows its end\n");
        QTimer::singleShot(300, &window, [&] {
            takeShot();
            app.exit(exitCode);
        });
    });
    QObject::connect(session, &RunSession::stateChanged, &app, [&](RunState state) {
        // A start refused by the runner goes Starting -> Idle without runStarted.
        if (state == RunState::Idle && exitCode != 0)
            app.exit(exitCode);
    });
    QTimer::singleShot(0, &window, [&window] { window.startRun(); });
    return app.exec();
}

} // namespace ipcui
