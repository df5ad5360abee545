// Runs last (CTest FIXTURES_CLEANUP): no test may leave a /ipclab-* object behind.
#include "test_support.h"

#include <QtTest>

class TestLeakCheck : public QObject {
    Q_OBJECT
private slots:
    void nothingLeftBehind()
    {
        const QStringList left = ipctest::leftoverObjects(QStringLiteral("ipclab-"));
        QVERIFY2(left.isEmpty(), qPrintable("left behind: " + left.join(", ")));
    }
};

QTEST_GUILESS_MAIN(TestLeakCheck)
#include "tst_leak_check.moc"
