// The System tab as a user meets it: a real semaphore with a process asleep on it appears within a listing or two,
// the filter finds it by name, selecting it names the sleeper and its call, the lab switch hides the lab's objects,
// and the tab lists only while it is shown.
#include "test_support.h"

#include "../core/child_process.h"
#include "model/system_object_model.h"
#include "widgets/main_window.h"
#include "widgets/system_view.h"

#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QTabWidget>
#include <QTableView>
#include <QtTest>

#include <fcntl.h>
#include <semaphore.h>

using namespace ipcui;

class TestSystemView : public QObject {
    Q_OBJECT

private slots:
    void showsWhoSleepsOnARealSemaphore()
    {
        const ipctest::TestSemaphore sem("view", 0);
        QVERIFY(sem.ok());
        const std::string& name = sem.name();
        // Forked before the view's thread exists.
        const pid_t sleeper = ipctest::forkChild([&] { return sem_wait(sem.get()) == 0 ? 0 : 1; });
        QVERIFY(sleeper > 0);
        ipctest::ChildGuard guard(sleeper);
        QVERIFY(ipctest::waitUntilSleeping(sleeper));

        SystemView view;
        view.resize(1100, 500);
        view.show();
        const ipctest::TestSemaphore other("other", 1); // filtered out: the count says how many are shown
        QVERIFY(other.ok());
        view.filterEdit()->setText(QString::fromStdString(name));
        QTRY_COMPARE_WITH_TIMEOUT(view.filter()->rowCount(), 1, 5000);
        const auto* status = view.findChild<QLabel*>(QStringLiteral("systemStatus"));
        QVERIFY(status);
        QTRY_VERIFY2_WITH_TIMEOUT(status->text().startsWith("1 of ") && status->text().contains(" objects shown ("),
            qPrintable(status->text()), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(view.filter()->index(0, SystemObjectModel::StateColumn).data().toString(),
            QStringLiteral("value 0 (1 waiting)"), 5000);
        view.table()->selectRow(0);
        const QString details = view.detailsLabel()->text();
        QVERIFY2(details.contains(QStringLiteral("%1 ").arg(sleeper)) && details.contains("sleeps in sem_wait on it"),
            qPrintable(details));
        QVERIFY(details.contains("One of IPC Lab's own objects")); // a test's names start with /ipclab-t

        view.showLabBox()->setChecked(false);
        QCOMPARE(view.filter()->rowCount(), 0);
        view.showLabBox()->setChecked(true);
        QCOMPARE(view.filter()->rowCount(), 1);

        // Several selected: one request each, for the Live view to watch them together.
        view.filterEdit()->setText(QStringLiteral("/ipclab-t%1-").arg(getpid()));
        QTRY_COMPARE_WITH_TIMEOUT(view.filter()->rowCount(), 2, 5000);
        view.table()->selectAll();
        QVERIFY2(view.detailsLabel()->text().startsWith("2 objects selected"), qPrintable(view.detailsLabel()->text()));
        QSignalSpy requests(&view, &SystemView::watchRequested);
        QVERIFY(view.watchSelected());
        QCOMPARE(requests.count(), 2);
        QStringList names { requests.at(0).at(1).value<std::string>().c_str(),
            requests.at(1).at(1).value<std::string>().c_str() };
        names.sort();
        QStringList expected { QString::fromStdString(name), QString::fromStdString(other.name()) };
        expected.sort();
        QCOMPARE(names, expected);

        // Hidden, it lists no more (not even a listing under way when it was hidden).
        view.hide();
        const int listings = view.listingCount();
        QTest::qWait(1500);
        QCOMPARE(view.listingCount(), listings);

        QCOMPARE(sem_post(sem.get()), 0);
        guard.release();
        QCOMPARE(ipctest::waitChild(sleeper), 0);
    }

    // The window has the tab, and opening it starts the listing.
    void windowHasTheTab()
    {
        MainWindow window;
        window.show();
        QCOMPARE(window.systemView()->listingCount(), 0);
        window.showSystem();
        auto* tabs = window.findChild<QTabWidget*>();
        QVERIFY(tabs);
        QCOMPARE(tabs->tabText(tabs->currentIndex()), QStringLiteral("System"));
        QTRY_VERIFY_WITH_TIMEOUT(window.systemView()->listingCount() > 0, 5000);
    }
};

QTEST_MAIN(TestSystemView)
#include "tst_system_view.moc"
