#include "model/system_monitor.h"

#include <QTimer>

namespace ipcui {

// Lives in the monitor's thread: its timer fires there, so every scan runs there.
class SystemScanner : public QObject {
    Q_OBJECT
public:
    void start(int generation, int intervalMs)
    {
        m_generation = generation;
        if (!m_timer) {
            m_timer = new QTimer(this);
            connect(m_timer, &QTimer::timeout, this, &SystemScanner::scan);
        }
        m_timer->start(intervalMs);
        scan();
    }
    void stop()
    {
        if (m_timer)
            m_timer->stop();
    }

signals:
    void listed(int generation, const std::shared_ptr<const ipccore::SystemListing>& listing);

private:
    void scan() { emit listed(m_generation, std::make_shared<const ipccore::SystemListing>(ipccore::scanSystemIpc())); }

    QTimer* m_timer = nullptr;
    int m_generation = 0;
};

SystemMonitor::SystemMonitor(QObject* parent)
    : QObject(parent)
    , m_scanner(new SystemScanner)
{
    qRegisterMetaType<std::shared_ptr<const ipccore::SystemListing>>();
    m_thread.setObjectName(QStringLiteral("ipclab-system-scan"));
    m_scanner->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_scanner, &QObject::deleteLater);
    connect(m_scanner, &SystemScanner::listed, this, &SystemMonitor::take, Qt::QueuedConnection);
    m_thread.start();
}

SystemMonitor::~SystemMonitor()
{
    m_thread.quit();
    m_thread.wait();
}

void SystemMonitor::start(int intervalMs)
{
    m_running = true;
    const int generation = ++m_generation;
    QMetaObject::invokeMethod(
        m_scanner, [scanner = m_scanner, generation, intervalMs] { scanner->start(generation, intervalMs); });
}

void SystemMonitor::take(int generation, const std::shared_ptr<const ipccore::SystemListing>& listing)
{
    if (m_running && generation == m_generation)
        emit listed(listing);
}

void SystemMonitor::stop()
{
    m_running = false;
    QMetaObject::invokeMethod(m_scanner, [scanner = m_scanner] { scanner->stop(); });
}

} // namespace ipcui

#include "system_monitor.moc"
