#include "model/bench_worker.h"

#include "model/error_text.h"

#include <QThread>

namespace ipcui {

void BenchWorker::run(const ipccore::BenchOptions& options, const std::atomic<bool>* cancel)
{
    Q_ASSERT(QThread::currentThread() == thread());
    const auto report = ipccore::runBench(
        options,
        [this](const ipccore::BenchProgress& p) {
            emit progress(int(p.step), int(p.steps), QString::fromStdString(p.what));
        },
        cancel);
    if (report)
        emit finished(*report);
    // A measurement torn down by the cancel may fail with its own error first; the user asked for the stop.
    else if (report.error().code == ipccore::ErrorCode::Interrupted || (cancel && cancel->load()))
        emit cancelled();
    else
        emit failed(errorText(tr("The race stopped"), report.error()));
}

} // namespace ipcui
