#include "model/bench_runner.h"

#include "model/bench_worker.h"
#include "model/error_text.h"

namespace ipcui {

BenchRunner::BenchRunner(QObject* parent)
    : QObject(parent)
{
    qRegisterMetaType<ipccore::BenchReport>();

    m_thread.setObjectName(QStringLiteral("ipclab-bench"));
    m_worker = new BenchWorker;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);

    connect(m_worker, &BenchWorker::progress, this, [this](int step, int steps, const QString& what) {
        // A late step of a cancelled race would overwrite "Cancelling…" for nothing.
        if (!m_cancel.load())
            emit progress(step, steps, what);
    });
    connect(m_worker, &BenchWorker::finished, this, [this](const ipccore::BenchReport& report) {
        setRunning(false);
        emit finished(report);
    });
    connect(m_worker, &BenchWorker::cancelled, this, [this] {
        setRunning(false);
        emit cancelled();
    });
    connect(m_worker, &BenchWorker::failed, this, [this](const QString& message) {
        setRunning(false);
        emit failed(message);
    });
    m_thread.start();
}

BenchRunner::~BenchRunner()
{
    // Blocking on purpose: the bench's children die with this thread, but its objects are unlinked only when
    // runBench returns, so let it return before the process may exit.
    m_cancel.store(true);
    m_thread.quit();
    m_thread.wait();
}

QString BenchRunner::check(const ipccore::BenchOptions& options)
{
    const ipccore::Status valid = ipccore::validateBenchOptions(options);
    return valid ? QString() : errorText(valid.error());
}

QString BenchRunner::start(const ipccore::BenchOptions& options)
{
    if (m_running)
        return tr("A race is already running; wait for it or cancel it.");
    const QString problem = check(options);
    if (!problem.isEmpty())
        return problem;
    m_cancel.store(false);
    setRunning(true);
    BenchWorker* worker = m_worker;
    const std::atomic<bool>* cancel = &m_cancel;
    QMetaObject::invokeMethod(
        worker, [worker, options, cancel] { worker->run(options, cancel); }, Qt::QueuedConnection);
    return {};
}

void BenchRunner::cancel()
{
    if (m_running)
        m_cancel.store(true);
}

void BenchRunner::setRunning(bool running)
{
    if (m_running == running)
        return;
    m_running = running;
    emit runningChanged(running);
}

} // namespace ipcui
