// The System tab's models: the table applies each listing as a diff (selection and persistent indexes survive), the
// filter narrows by text and hides IPC Lab's own objects, and the monitor lists real objects in its own thread.
#include "test_support.h"

#include "model/system_monitor.h"
#include "model/system_object_model.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

#include <fcntl.h>
#include <semaphore.h>

using namespace ipccore;
using ipcui::SystemMonitor;
using ipcui::SystemObjectFilter;
using ipcui::SystemObjectModel;

namespace {

SystemObject object(SystemObjectKind kind, const std::string& name)
{
    SystemObject o;
    o.kind = kind;
    o.name = name;
    o.owner = "ada";
    o.mode = 0600;
    o.lab = name.rfind("/ipclab-", 0) == 0;
    return o;
}

SystemObject queue(const std::string& name, long depth)
{
    SystemObject o = object(SystemObjectKind::MessageQueue, name);
    o.depth = depth;
    o.capacity = 10;
    return o;
}

QString cell(const QAbstractItemModel& model, int row, int column)
{
    return model.index(row, column).data().toString();
}

} // namespace

class TestSystemObjectModel : public QObject {
    Q_OBJECT

private slots:
    void appliesListingsAsDiffs()
    {
        SystemObjectModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        SystemListing first;
        first.objects = { queue("/jobs", 3), object(SystemObjectKind::Semaphore, "/lock"),
            object(SystemObjectKind::SharedMemory, "/stats") };
        first.objects[1].value = 1;
        model.apply(first);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(cell(model, 0, SystemObjectModel::StateColumn), QStringLiteral("3 of 10"));
        const QPersistentModelIndex lock = model.index(1, SystemObjectModel::NameColumn);

        // /jobs fills, /alpha appears before it, /stats goes; /lock is the same object and keeps its index.
        SystemListing second;
        second.objects = { queue("/alpha", 0), queue("/jobs", 10), object(SystemObjectKind::Semaphore, "/lock") };
        second.objects[2].value = 1;
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.apply(second);
        QCOMPARE(reset.count(), 0);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(removed.count(), 1);
        QCOMPARE(model.rowCount(), 3);
        QVERIFY(lock.isValid());
        QCOMPARE(lock.data().toString(), QStringLiteral("/lock"));
        QCOMPARE(lock.row(), 2);
        QCOMPARE(cell(model, 0, SystemObjectModel::NameColumn), QStringLiteral("/alpha"));
        QCOMPARE(cell(model, 1, SystemObjectModel::StateColumn), QStringLiteral("10 of 10 (full) +7"));
        QVERIFY(changed.count() >= 1);

        // Nothing changes: no row is announced as changed once the change shown has been taken back.
        model.apply(second);
        changed.clear();
        model.apply(second);
        QCOMPARE(changed.count(), 0);
        QCOMPARE(cell(model, 1, SystemObjectModel::StateColumn), QStringLiteral("10 of 10 (full)"));

        // After forgetChanges (the tab was hidden), the next listing shows no change, however far the depth moved.
        second.objects[1].depth = 2;
        model.forgetChanges();
        model.apply(second);
        QCOMPARE(cell(model, 1, SystemObjectModel::StateColumn), QStringLiteral("2 of 10"));

        model.apply(SystemListing {});
        QCOMPARE(model.rowCount(), 0);
    }

    // Two queues of one name (two IPC namespaces' /jobs, seen through descriptors) are two rows, told apart by
    // inode: each keeps its own figures and its own change, whatever order they come in.
    void sameNameTwoObjects()
    {
        SystemObjectModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        SystemObject a = queue("/jobs", 1);
        a.inode = 10;
        SystemObject b = queue("/jobs", 9);
        b.inode = 20;
        SystemListing first;
        first.objects = { a, b };
        model.apply(first);
        const QPersistentModelIndex second = model.index(1, 0);
        a.depth = 2;
        b.depth = 8;
        SystemListing next;
        next.objects = { a, b };
        model.apply(next);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(cell(model, 0, SystemObjectModel::StateColumn), QStringLiteral("2 of 10 +1"));
        QCOMPARE(cell(model, 1, SystemObjectModel::StateColumn), QStringLiteral("8 of 10 -1"));
        QCOMPARE(second.row(), 1);
        // The first one goes: the second keeps its row's identity.
        SystemListing last;
        last.objects = { b };
        model.apply(last);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(second.row(), 0);
        QCOMPARE(cell(model, 0, SystemObjectModel::StateColumn), QStringLiteral("8 of 10"));
    }

    // Many objects come and go at once (a run starts and stops): one insert and one remove each time.
    void runsOfRowsAtOnce()
    {
        SystemObjectModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        SystemListing few;
        few.objects = { queue("/a", 0), queue("/z", 0) };
        model.apply(few);
        SystemListing many = few;
        for (int i = 0; i < 100; ++i)
            many.objects.insert(many.objects.begin() + 1 + i, queue("/m" + std::to_string(100 + i), 0));
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        model.apply(many);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(model.rowCount(), 102);
        QCOMPARE(cell(model, 101, SystemObjectModel::NameColumn), QStringLiteral("/z"));
        model.apply(few);
        QCOMPARE(removed.count(), 1);
        QCOMPARE(model.rowCount(), 2);
    }

    void detailsNameEveryUserAndItsCall()
    {
        SystemObject o = queue("/jobs", 10);
        ObjectUser producer;
        producer.pid = 4242;
        producer.command = "python3";
        producer.hasOpen = true;
        producer.blockedIn = "mq_timedsend";
        producer.blockedTid = 4243;
        ObjectUser consumer;
        consumer.pid = 4250;
        consumer.command = "evil\x1b[2J";
        consumer.hasOpen = true;
        consumer.elsewhere = "clock_nanosleep";
        o.users = { consumer, producer };
        const QString text = SystemObjectModel::detailsText(o);
        QVERIFY2(text.contains("4242 python3 (open): thread 4243 sleeps in mq_timedsend on it"), qPrintable(text));
        QVERIFY2(text.contains("4250 evil\\x1b[2J (open): sleeps elsewhere, in clock_nanosleep"), qPrintable(text));

        // The table's cell: the waiter first, and no word on what the others do (the details say it).
        SystemObjectModel model;
        SystemListing listing;
        listing.objects = { o };
        model.apply(listing);
        QCOMPARE(cell(model, 0, SystemObjectModel::UsersColumn),
            QStringLiteral("4242 python3 (in mq_timedsend), 4250 evil\\x1b[2J"));
        QVERIFY(!text.contains(QChar(0x1b)));

        // A name that looks like HTML is escaped in the tooltip (which Qt would otherwise render as rich text).
        SystemObject html = queue("/<img src=x>", 0);
        SystemListing one;
        one.objects = { html };
        SystemObjectModel htmlModel;
        htmlModel.apply(one);
        const QString tip = htmlModel.index(0, 0).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains("/&lt;img src=x&gt;") && !tip.contains("<img"), qPrintable(tip));

        // A name holding "%4" stays text.
        SystemObject tricky = queue("/a%4%1", 0);
        const QString first = SystemObjectModel::detailsText(tricky).section('\n', 0, 0);
        QCOMPARE(first, QStringLiteral("queue /a%4%1, owner ada, mode 0600"));
    }

    void filtersByTextAndLab()
    {
        SystemObjectModel model;
        SystemObjectFilter filter;
        filter.setSourceModel(&model);
        QAbstractItemModelTester tester(&filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
        SystemListing listing;
        listing.objects
            = { queue("/ipclab-1-a-jobs", 1), queue("/jobs", 2), object(SystemObjectKind::Semaphore, "/x") };
        ObjectUser user;
        user.pid = 777;
        user.command = "producer.py";
        listing.objects[2].users = { user };
        model.apply(listing);
        QCOMPARE(filter.rowCount(), 3);
        filter.setText(QStringLiteral("JOBS"));
        QCOMPARE(filter.rowCount(), 2);
        filter.setShowLab(false);
        QCOMPARE(filter.rowCount(), 1);
        QCOMPARE(cell(filter, 0, SystemObjectModel::NameColumn), QStringLiteral("/jobs"));
        filter.setText(QStringLiteral("777"));
        QCOMPARE(filter.rowCount(), 1);
        QCOMPARE(cell(filter, 0, SystemObjectModel::NameColumn), QStringLiteral("/x"));
        filter.setText(QStringLiteral("producer"));
        QCOMPARE(filter.rowCount(), 1);
        filter.setText(QString());
        filter.setShowLab(true);
        QCOMPARE(filter.rowCount(), 3);
    }

    // A real semaphore, listed by the monitor's thread and handed over; after stop() the listings end.
    void monitorListsRealObjects()
    {
        const std::string name = ipctest::uniqueName("monitor");
        sem_t* sem = sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 4);
        QVERIFY(sem != SEM_FAILED);
        SystemMonitor monitor;
        std::shared_ptr<const SystemListing> last;
        int listings = 0;
        connect(&monitor, &SystemMonitor::listed, this, [&](const std::shared_ptr<const SystemListing>& listing) {
            last = listing;
            ++listings;
        });
        monitor.start(100);
        QVERIFY(monitor.isRunning());
        const auto found = [&] {
            if (!last)
                return false;
            for (const SystemObject& o : last->objects)
                if (o.name == name && o.kind == SystemObjectKind::Semaphore && o.value == 4u)
                    return true;
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(found(), 5000);
        QTRY_VERIFY(listings >= 3); // every 100 ms
        monitor.stop();
        QVERIFY(!monitor.isRunning());
        // Not even a listing under way at stop() arrives.
        const int stopped = listings;
        QTest::qWait(400);
        QCOMPARE(listings, stopped);
        // Started again, it lists again.
        monitor.start(100);
        QTRY_VERIFY(listings > stopped);
        monitor.stop();
        sem_close(sem);
        sem_unlink(name.c_str());
    }
};

QTEST_GUILESS_MAIN(TestSystemObjectModel)
#include "tst_system_object_model.moc"
