// `cmake --install <build dir> --prefix <fresh dir>` as a user would run it: the three programs land side by side in
// bin/, the desktop entry is valid and points at what was installed, every hicolor icon size is there at its size,
// and the installed programs work from the prefix: --version and --help without a display, and a real run in which
// the installed CLI finds the installed worker beside itself.
#include "test_support.h"

#include "ipccore/version.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

namespace {

struct Outcome {
    int exitCode = -1; // -1: did not start, crashed or timed out
    qint64 pid = 0;
    QString out;
    QString err;
};

// The environment of a user's shell with no display at all, and no IPCLAB_WORKER (ctest sets it to the build
// tree's worker, which would hide a worker missing from the prefix). Runs go to a private runtime directory.
QProcessEnvironment plainEnvironment(const QString& runtimeDir)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* name : { "IPCLAB_WORKER", "IPCLAB_CLI", "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM" })
        env.remove(QString::fromLatin1(name));
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtimeDir);
    return env;
}

Outcome runProgram(
    const QString& program, const QStringList& arguments, const QProcessEnvironment& env, int timeoutMs = 60000)
{
    QProcess process;
    process.setProcessEnvironment(env);
    process.start(program, arguments);
    Outcome outcome;
    if (!process.waitForStarted(10000)) {
        outcome.err = process.errorString();
        return outcome;
    }
    outcome.pid = process.processId();
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        outcome.err = QStringLiteral("timed out after %1 ms").arg(timeoutMs);
        return outcome;
    }
    outcome.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    outcome.out = QString::fromLocal8Bit(process.readAllStandardOutput());
    outcome.err = QString::fromLocal8Bit(process.readAllStandardError());
    return outcome;
}

QString describe(const Outcome& outcome)
{
    return QStringLiteral("exit %1\nstdout: %2\nstderr: %3").arg(outcome.exitCode).arg(outcome.out, outcome.err);
}

// Width and height from a PNG's IHDR chunk, which the format requires to come first.
QSize pngSize(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray head = file.read(24);
    if (head.size() < 24 || !head.startsWith("\x89PNG\r\n\x1a\n") || head.mid(12, 4) != "IHDR")
        return {};
    const auto be32 = [&head](int at) {
        return int(
            (uchar(head[at]) << 24) | (uchar(head[at + 1]) << 16) | (uchar(head[at + 2]) << 8) | uchar(head[at + 3]));
    };
    return { be32(16), be32(20) };
}

// The programs whose parent is `parent`, as the paths /proc/<pid>/exe points at.
QStringList childExecutables(qint64 parent)
{
    QStringList paths;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString& entry : entries) {
        bool isPid = false;
        entry.toLongLong(&isPid);
        QFile stat(QStringLiteral("/proc/%1/stat").arg(entry));
        if (!isPid || !stat.open(QIODevice::ReadOnly))
            continue;
        // "pid (comm) state ppid ...": the command name may hold spaces, so fields resume after the last ')'.
        const QByteArray text = stat.readAll();
        const QList<QByteArray> rest = text.mid(text.lastIndexOf(')') + 2).split(' ');
        if (rest.size() > 1 && rest.at(1).toLongLong() == parent)
            paths << QFileInfo(QStringLiteral("/proc/%1/exe").arg(entry)).symLinkTarget();
    }
    return paths;
}

} // namespace

class TestInstall : public QObject {
    Q_OBJECT

    QTemporaryDir m_prefix; // unique per test process, so parallel builds' installs never meet
    QTemporaryDir m_runtime;
    bool m_withGui = false;

    QString installed(const QString& relative) const { return m_prefix.filePath(relative); }

private slots:
    void initTestCase()
    {
        const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        const QString buildDir = env.value(QStringLiteral("IPCLAB_BUILD_DIR"));
        const QString cmake = env.value(QStringLiteral("IPCLAB_CMAKE"));
        QVERIFY2(
            !buildDir.isEmpty() && !cmake.isEmpty(), "IPCLAB_BUILD_DIR or IPCLAB_CMAKE is not set (run through ctest)");
        m_withGui = env.value(QStringLiteral("IPCLAB_INSTALL_GUI")) == QLatin1String("1");
        QVERIFY(m_prefix.isValid());
        QVERIFY(m_runtime.isValid());

        const Outcome install = runProgram(
            cmake, { QStringLiteral("--install"), buildDir, QStringLiteral("--prefix"), m_prefix.path() }, env, 120000);
        QVERIFY2(install.exitCode == 0, qPrintable(describe(install)));
    }

    void programsAreInstalled_data()
    {
        QTest::addColumn<QString>("program");
        QTest::newRow("ipclab-cli") << QStringLiteral("ipclab-cli");
        QTest::newRow("ipclab-worker") << QStringLiteral("ipclab-worker");
        if (m_withGui)
            QTest::newRow("ipclab") << QStringLiteral("ipclab");
    }

    void programsAreInstalled()
    {
        QFETCH(QString, program);
        const QFileInfo info(installed(QStringLiteral("bin/") + program));
        QVERIFY2(info.isFile(), qPrintable(info.filePath() + QStringLiteral(" is missing")));
        QVERIFY2(info.isExecutable(), qPrintable(info.filePath() + QStringLiteral(" is not executable")));
    }

    void desktopEntryPointsAtWhatWasInstalled()
    {
        if (!m_withGui)
            QSKIP("built without the GUI (IPCLAB_BUILD_UI=OFF): no desktop entry to install");
        QFile file(installed(QStringLiteral("share/applications/ipclab.desktop")));
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName() + QStringLiteral(" is missing")));
        const QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
        // Every Exec names an installed program; Icon names the installed icon's file name without extension.
        int execs = 0;
        for (const QString& line : lines) {
            if (line.startsWith(QLatin1String("Exec="))) {
                ++execs;
                const QString program = line.mid(5).section(QLatin1Char(' '), 0, 0);
                QVERIFY2(QFileInfo(installed(QStringLiteral("bin/") + program)).isExecutable(), qPrintable(line));
            }
        }
        QVERIFY(execs >= 1);
        QVERIFY(lines.contains(QStringLiteral("Icon=ipclab")));
    }

    void desktopEntryValidates()
    {
        if (!m_withGui)
            QSKIP("built without the GUI (IPCLAB_BUILD_UI=OFF): no desktop entry to install");
        const QString validator = QStandardPaths::findExecutable(QStringLiteral("desktop-file-validate"));
        if (validator.isEmpty())
            QSKIP("desktop-file-validate is not installed: apt-get install desktop-file-utils (in .ci/packages.txt)");
        const Outcome result = runProgram(validator, { installed(QStringLiteral("share/applications/ipclab.desktop")) },
            QProcessEnvironment::systemEnvironment());
        // Hints count too: they name things a desktop shows wrongly, such as the entry appearing twice in a menu.
        QVERIFY2(result.exitCode == 0 && result.out.trimmed().isEmpty() && result.err.trimmed().isEmpty(),
            qPrintable(describe(result)));
    }

    void iconIsInstalledInEverySize_data()
    {
        QTest::addColumn<int>("size");
        for (int size : { 16, 22, 24, 32, 48, 64, 128, 256 })
            QTest::addRow("%dx%d", size, size) << size;
    }

    void iconIsInstalledInEverySize()
    {
        if (!m_withGui)
            QSKIP("built without the GUI (IPCLAB_BUILD_UI=OFF): no icon to install");
        QFETCH(int, size);
        const QString path = installed(QStringLiteral("share/icons/hicolor/%1x%1/apps/ipclab.png").arg(size));
        QVERIFY2(QFileInfo::exists(path), qPrintable(path + QStringLiteral(" is missing")));
        QCOMPARE(pngSize(path), QSize(size, size));
    }

    void scalableIconIsInstalled()
    {
        if (!m_withGui)
            QSKIP("built without the GUI (IPCLAB_BUILD_UI=OFF): no icon to install");
        QFile file(installed(QStringLiteral("share/icons/hicolor/scalable/apps/ipclab.svg")));
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName() + QStringLiteral(" is missing")));
        QVERIFY(file.readAll().contains("<svg"));
    }

    void installedProgramsAnswerWithoutADisplay_data()
    {
        QTest::addColumn<QString>("program");
        QTest::addColumn<QString>("option");
        QStringList programs { QStringLiteral("ipclab-cli"), QStringLiteral("ipclab-worker") };
        if (m_withGui)
            programs << QStringLiteral("ipclab");
        for (const QString& program : programs) {
            for (const QString& option : { QStringLiteral("--version"), QStringLiteral("--help") })
                QTest::addRow("%s %s", qPrintable(program), qPrintable(option)) << program << option;
        }
    }

    void installedProgramsAnswerWithoutADisplay()
    {
        QFETCH(QString, program);
        QFETCH(QString, option);
        const Outcome result = runProgram(
            installed(QStringLiteral("bin/") + program), { option }, plainEnvironment(m_runtime.path()), 30000);
        QVERIFY2(result.exitCode == 0, qPrintable(describe(result)));
        if (option == QLatin1String("--version"))
            QCOMPARE(result.out.trimmed(), program + QLatin1Char(' ') + QString::fromLatin1(ipccore::versionString()));
        else
            QVERIFY2(result.out.contains(program), qPrintable(describe(result)));
    }

    void installedCliRunsAScenarioWithTheInstalledWorker()
    {
        const Outcome result = runProgram(installed(QStringLiteral("bin/ipclab-cli")),
            { QStringLiteral("run"), QStringLiteral("producer-consumer-mq"), QStringLiteral("--duration"),
                QStringLiteral("1") },
            plainEnvironment(m_runtime.path()));
        QVERIFY2(result.exitCode == 0, qPrintable(describe(result)));
        QVERIFY2(result.out.contains(QLatin1String("exact")), qPrintable(describe(result)));
        const QStringList left = ipctest::leftoverObjects(QStringLiteral("ipclab-%1-").arg(result.pid));
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QStringLiteral(", "))));
    }

    void installedGuiRunsTheDefaultScenarioAtLaunch()
    {
        // A newcomer's first minute: `ipclab` with no arguments opens on the default scenario and runs it, with
        // workers started from the prefix; SIGTERM stops the run and removes its objects.
        if (!m_withGui)
            QSKIP("built without the GUI (IPCLAB_BUILD_UI=OFF)");
        // The tsan preset leaves the window to the other presets (it runs no gui-labelled test): Qt's widgets and
        // fonts are not built with TSan, and their threads would be reported as races in code that is not ours.
        if (qEnvironmentVariableIsSet("TSAN_OPTIONS"))
            QSKIP("the window is not run under ThreadSanitizer; the dev and asan presets run this check");
        QProcess gui;
        QProcessEnvironment env = plainEnvironment(m_runtime.path());
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        gui.setProcessEnvironment(env);
        gui.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        gui.start(installed(QStringLiteral("bin/ipclab")), {});
        QVERIFY2(gui.waitForStarted(10000), qPrintable(gui.errorString()));
        const QString worker = QFileInfo(installed(QStringLiteral("bin/ipclab-worker"))).canonicalFilePath();
        // bounded-buffer-3x2: three producers and two consumers.
        QTRY_COMPARE_WITH_TIMEOUT(childExecutables(gui.processId()).count(worker), 5, 30000);
        const QString needle = QStringLiteral("ipclab-%1-").arg(gui.processId());
        QVERIFY(!ipctest::leftoverObjects(needle).isEmpty());

        QCOMPARE(::kill(pid_t(gui.processId()), SIGTERM), 0);
        QVERIFY(gui.waitForFinished(30000));
        QCOMPARE(gui.exitStatus(), QProcess::NormalExit);
        QCOMPARE(gui.exitCode(), 0);
        const QStringList left = ipctest::leftoverObjects(needle);
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QStringLiteral(", "))));
    }

    void installedGuiRefusesIdleWithRun()
    {
        if (!m_withGui)
            QSKIP("built without the GUI (IPCLAB_BUILD_UI=OFF)");
        QProcessEnvironment env = plainEnvironment(m_runtime.path());
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        const Outcome result = runProgram(installed(QStringLiteral("bin/ipclab")),
            { QStringLiteral("--idle"), QStringLiteral("--run"), QStringLiteral("producer-consumer-mq") }, env, 30000);
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(
            result.err.contains(QLatin1String("--idle and --run exclude each other")), qPrintable(describe(result)));
    }

    // Without any display the window cannot open: one line says so and what to do, instead of Qt's abort (134).
    void installedGuiWithoutADisplaySaysSo()
    {
        if (!m_withGui)
            QSKIP("built without the GUI (IPCLAB_BUILD_UI=OFF)");
        const Outcome result
            = runProgram(installed(QStringLiteral("bin/ipclab")), {}, plainEnvironment(m_runtime.path()), 30000);
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(result.err.contains(QLatin1String("no display")) && result.err.contains(QLatin1String("xvfb-run"))
                && result.err.count(QLatin1Char('\n')) == 1,
            qPrintable(describe(result)));
    }

    void cliWithoutAWorkerBesideItSaysWhere()
    {
        // The control for the run above: the same installed CLI copied where no worker sits beside it refuses and
        // names the path it looked at, so the run above can only have used the worker in the prefix.
        QTemporaryDir alone;
        QVERIFY(alone.isValid());
        const QString copy = alone.filePath(QStringLiteral("ipclab-cli"));
        QVERIFY(QFile::copy(installed(QStringLiteral("bin/ipclab-cli")), copy));
        const Outcome result = runProgram(copy,
            { QStringLiteral("run"), QStringLiteral("producer-consumer-mq"), QStringLiteral("--duration"),
                QStringLiteral("1") },
            plainEnvironment(m_runtime.path()));
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(result.err.contains(alone.filePath(QStringLiteral("ipclab-worker"))), qPrintable(describe(result)));
    }
};

QTEST_GUILESS_MAIN(TestInstall)
#include "tst_install.moc"
