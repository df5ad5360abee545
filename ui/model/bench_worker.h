#pragma once

// The bench's home thread. runBench blocks for the whole race and forks every producer and consumer from the thread
// that calls it, which must outlive the call (the children's PR_SET_PDEATHSIG is tied to it). So a BenchWorker is
// moved to a dedicated QThread that lives as long as its BenchRunner, and runs one bench at a time there; results
// leave as signals over queued connections.

#include "ipccore/bench.h"

#include <QObject>
#include <QString>

#include <atomic>

namespace ipcui {

class BenchWorker : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    // Must be called in the worker's thread; blocks it until the bench ends. `cancel` must outlive the call.
    void run(const ipccore::BenchOptions& options, const std::atomic<bool>* cancel);

signals:
    void progress(int step, int steps, const QString& what);
    void finished(const ipccore::BenchReport& report);
    void cancelled();
    void failed(const QString& message);
};

} // namespace ipcui
