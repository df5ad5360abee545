#pragma once

// The GUI-thread facade of the bench (ipccore/bench.h): owns the bench thread for the whole life of the app, starts
// one race at a time there and cancels it on request. Nothing here blocks, except the destructor, which cancels a
// race still going and waits until its processes are reaped and its objects unlinked (a fraction of a second).

#include "ipccore/bench.h"

#include <QMetaType>
#include <QObject>
#include <QString>
#include <QThread>

#include <atomic>

Q_DECLARE_METATYPE(ipccore::BenchReport)

namespace ipcui {

class BenchWorker;

class BenchRunner : public QObject {
    Q_OBJECT
public:
    explicit BenchRunner(QObject* parent = nullptr);
    ~BenchRunner() override;

    // validateBenchOptions' verdict as the user reads it; empty when the options are valid.
    static QString check(const ipccore::BenchOptions& options);

    // Returns the reason for refusing (bad options, a race already going), or an empty string when started.
    QString start(const ipccore::BenchOptions& options);
    // The race stops soon after (runBench polls the flag between and inside measurements) with cancelled().
    void cancel();
    bool isRunning() const { return m_running; }
    bool isCancelling() const { return m_running && m_cancel.load(); }

signals:
    void runningChanged(bool running);
    void progress(int step, int steps, const QString& what);
    void finished(const ipccore::BenchReport& report);
    void cancelled();
    void failed(const QString& message);

private:
    void setRunning(bool running);

    QThread m_thread;
    BenchWorker* m_worker = nullptr;
    // Written here, read by runBench on the bench thread; lives as long as the thread (joined in the destructor).
    std::atomic<bool> m_cancel { false };
    bool m_running = false;
};

} // namespace ipcui
