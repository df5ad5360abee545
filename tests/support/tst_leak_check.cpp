// Runs last (CTest FIXTURES_CLEANUP): no test may leave a /ipclab-* object behind. Every name IPC Lab makes carries
// the pid of its creator ("ipclab-<pid>-", tests "ipclab-t<pid>-", the bench "ipclab-b<pid>-"); an object whose
// creator is still alive belongs to a run in progress elsewhere on the machine (an app, another build's tests) and
// is not a leak. One whose creator has exited is.
#include "test_support.h"

#include <QDir>
#include <QRegularExpression>
#include <QtTest>

namespace {

bool creatorAlive(const QString& path)
{
    static const QRegularExpression pidInName(QStringLiteral("ipclab-[tb]?(\\d+)-"));
    const QRegularExpressionMatch m = pidInName.match(path);
    return m.hasMatch() && QDir(QStringLiteral("/proc/") + m.captured(1)).exists();
}

} // namespace

class TestLeakCheck : public QObject {
    Q_OBJECT
private slots:
    void nothingLeftBehind()
    {
        QStringList leaked;
        for (const QString& path : ipctest::leftoverObjects(QStringLiteral("ipclab-"))) {
            if (!creatorAlive(path))
                leaked << path;
        }
        QVERIFY2(leaked.isEmpty(), qPrintable("left behind by a process that has exited: " + leaked.join(", ")));
    }
};

QTEST_GUILESS_MAIN(TestLeakCheck)
#include "tst_leak_check.moc"
