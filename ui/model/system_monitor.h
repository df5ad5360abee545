#pragma once

// The GUI-thread facade of the machine-wide listing (ipccore::scanSystemIpc, what `ipclab-cli ls` prints): a scanner
// in its own thread lists every POSIX queue, semaphore and segment and their users once per interval while started,
// and listed() hands each listing over. The scan reads /dev and /proc, so it never runs on the GUI thread.
//
// Nothing here blocks, except the destructor, which waits for a scan in progress (about 20 ms with 1000 objects;
// longer on a machine with many large processes, whose /proc/PID/maps it reads).

#include "ipccore/system_ipc.h"

#include <QMetaType>
#include <QObject>
#include <QThread>

#include <memory>

Q_DECLARE_METATYPE(std::shared_ptr<const ipccore::SystemListing>)

namespace ipcui {

class SystemScanner;

class SystemMonitor : public QObject {
    Q_OBJECT
public:
    static constexpr int DefaultIntervalMs = 1000;

    explicit SystemMonitor(QObject* parent = nullptr);
    ~SystemMonitor() override;

    // Lists at once, then every intervalMs until stop() (starting a started monitor lists at once too). After stop(),
    // no listing arrives, not even one that was under way.
    void start(int intervalMs = DefaultIntervalMs);
    void stop();
    bool isRunning() const { return m_running; }

signals:
    void listed(const std::shared_ptr<const ipccore::SystemListing>& listing);

private:
    void take(int generation, const std::shared_ptr<const ipccore::SystemListing>& listing);

    QThread m_thread;
    SystemScanner* m_scanner; // lives in m_thread, deleted when it finishes
    bool m_running = false;
    int m_generation = 0; // of the last start(): listings of an earlier one, or after stop(), are dropped
};

} // namespace ipcui
