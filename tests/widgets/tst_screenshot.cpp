// `ipclab --run bounded-buffer-3x2 --screenshot FILE --after SECONDS` and `ipclab --race --screenshot FILE` exit 0,
// write a non-blank PNG of the window and leave no object behind; a race whose window is killed ends all the same.
#include "test_support.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

class TestScreenshot : public QObject {
    Q_OBJECT
private slots:
    void screenshotOfARunningScenario()
    {
        const QString gui = QProcessEnvironment::systemEnvironment().value(QStringLiteral("IPCLAB_GUI"));
        QVERIFY2(!gui.isEmpty(), "IPCLAB_GUI is not set (run through ctest)");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString shot = dir.filePath(QStringLiteral("shot.png"));

        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        process.setProcessEnvironment(env);
        process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QStringList arguments { QStringLiteral("--run"), QStringLiteral("bounded-buffer-3x2"),
            QStringLiteral("--screenshot"), shot, QStringLiteral("--after"), QStringLiteral("2") };
        if (!ipctest::workerPath().isEmpty())
            arguments << QStringLiteral("--worker") << ipctest::workerPath();
        process.start(gui, arguments);
        QVERIFY2(process.waitForStarted(10000), qPrintable(process.errorString()));
        QVERIFY(process.waitForFinished(60000));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 0);

        QImage image(shot);
        QVERIFY2(!image.isNull(), "the screenshot is not a readable PNG");
        QVERIFY(image.width() >= 800 && image.height() >= 600);
        // Non-blank: a real window has text, charts and coloured tiles, so many distinct colours.
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 3) {
            for (int x = 0; x < image.width(); x += 3)
                colours.insert(image.pixel(x, y));
        }
        QVERIFY2(colours.size() > 50, qPrintable(QString::number(colours.size())));
        QVERIFY2(ipctest::leftoverObjects(QStringLiteral("ipclab-%1-").arg(process.processId())).isEmpty(),
            "the GUI left objects behind");
    }

    void screenshotOfAFinishedRace()
    {
        const QString gui = QProcessEnvironment::systemEnvironment().value(QStringLiteral("IPCLAB_GUI"));
        QVERIFY2(!gui.isEmpty(), "IPCLAB_GUI is not set (run through ctest)");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString shot = dir.filePath(QStringLiteral("race.png"));
        QProcess process;
        process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QStringList arguments { QStringLiteral("--race"), QStringLiteral("--screenshot"), shot };
        if (!ipctest::workerPath().isEmpty())
            arguments << QStringLiteral("--worker") << ipctest::workerPath();
        process.start(gui, arguments);
        QVERIFY2(process.waitForStarted(10000), qPrintable(process.errorString()));
        // A liveness bound, not a speed goal: under ASan beside another test on 2 cores the race took over 180 s.
        QVERIFY(process.waitForFinished(300000));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 0);
        const QImage image(shot);
        QVERIFY2(!image.isNull(), "the screenshot is not a readable PNG");
        QVERIFY(image.width() >= 800 && image.height() >= 600);
        const QString pid = QString::number(process.processId());
        for (const QString& needle : { QStringLiteral("ipclab-b%1-").arg(pid), QStringLiteral("ipclab-%1-").arg(pid) })
            QVERIFY2(ipctest::leftoverObjects(needle).isEmpty(), "the race left objects behind");
    }

    void aKilledGuiStopsItsRace()
    {
        // The race runs in an ipclab-cli child; SIGKILL of the window must still end it and leave none of its
        // objects. Two things tell the child: PDEATHSIG (SIGTERM) and, at its next progress line, SIGPIPE on the
        // dead window's pipe; the bench cancels cleanly on either. This test does not tell them apart.
        const QString gui = QProcessEnvironment::systemEnvironment().value(QStringLiteral("IPCLAB_GUI"));
        QVERIFY2(!gui.isEmpty(), "IPCLAB_GUI is not set (run through ctest)");
        QProcess process;
        process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QStringList arguments { QStringLiteral("--race") };
        if (!ipctest::workerPath().isEmpty())
            arguments << QStringLiteral("--worker") << ipctest::workerPath();
        process.start(gui, arguments);
        QVERIFY2(process.waitForStarted(10000), qPrintable(process.errorString()));
        qint64 bench = 0;
        QTRY_VERIFY_WITH_TIMEOUT((bench = childNamed(process.processId(), "ipclab-cli")) > 0, 30000);
        QTest::qWait(1000); // into the measurements
        QCOMPARE(::kill(pid_t(process.processId()), SIGKILL), 0);
        QVERIFY(process.waitForFinished(10000));
        // A cancelled bench is gone in a second or two; the whole race would take 20 s or more (about 25 s on the
        // 2-core dev machine), so a bench that missed the news would still be running here.
        QTRY_VERIFY_WITH_TIMEOUT(!ipctest::isRunning(bench), 15000);
        const QStringList left = ipctest::leftoverObjects(QStringLiteral("ipclab-b%1-").arg(bench));
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QStringLiteral(", "))));
    }

private:
    // A child of `parent` whose command name is `comm`, or 0 (from /proc/<pid>/stat: "pid (comm) state ppid ...").
    static qint64 childNamed(qint64 parent, const QByteArray& comm)
    {
        const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
        for (const QString& entry : entries) {
            bool isPid = false;
            const qint64 pid = entry.toLongLong(&isPid);
            QFile stat(QStringLiteral("/proc/%1/stat").arg(entry));
            if (!isPid || !stat.open(QIODevice::ReadOnly))
                continue;
            const QByteArray text = stat.readAll();
            const qsizetype open = text.indexOf('('), close = text.lastIndexOf(')');
            if (open < 0 || close < open || text.mid(open + 1, close - open - 1) != comm)
                continue;
            const QList<QByteArray> rest = text.mid(close + 2).split(' ');
            if (rest.size() > 1 && rest.at(1).toLongLong() == parent)
                return pid;
        }
        return 0;
    }
};

QTEST_GUILESS_MAIN(TestScreenshot)
#include "tst_screenshot.moc"
