// `ipclab --run bounded-buffer-3x2 --screenshot FILE --after SECONDS` and `ipclab --race --screenshot FILE` exit 0,
// write a non-blank PNG of the window and leave no object behind.
#include "test_support.h"

#include <QImage>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

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
        QVERIFY(process.waitForFinished(180000));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 0);
        const QImage image(shot);
        QVERIFY2(!image.isNull(), "the screenshot is not a readable PNG");
        QVERIFY(image.width() >= 800 && image.height() >= 600);
        const QString pid = QString::number(process.processId());
        for (const QString& needle : { QStringLiteral("ipclab-b%1-").arg(pid), QStringLiteral("ipclab-%1-").arg(pid) })
            QVERIFY2(ipctest::leftoverObjects(needle).isEmpty(), "the race left objects behind");
    }
};

QTEST_GUILESS_MAIN(TestScreenshot)
#include "tst_screenshot.moc"
