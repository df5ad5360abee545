#pragma once

// Values that cross from the sampler thread to the GUI thread. A snapshot is shared immutable data: the sampler
// builds it once and every consumer on the GUI thread reads the same instance, so fan-out costs no copies.

#include "ipccore/limits.h"
#include "ipccore/runner.h"

#include <QMetaType>
#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

namespace ipcui {

using SnapshotPtr = std::shared_ptr<const ipccore::Snapshot>;

// What a finished run leaves for the user: the text report and the names that were removed.
struct RunSummary {
    QString scenario;
    QString reportText;
    QStringList cleanup;
    double durationS = 0;
    // Every object as the run left it, with its final ledger: the books of a shared array or a semaphore are only
    // judged once every worker has exited, so the window shows these after stop rather than the last live sample.
    std::vector<ipccore::ObjectSummary> objects;
    // The message totals over those objects at stop (the Report's integrity ledger), so that the window's totals
    // and its per-object rows (a pool's tasks, a queue's priorities) come from the same count.
    ipccore::Ledger integrity;
    // Every worker's final counts (passes, steps, a pool's tasks), counted after the last live sample.
    std::vector<ipccore::WorkerSummary> workers;
    // Events the stop itself raised (after the last live snapshot), for the window's log.
    std::vector<ipccore::RunEvent> stopEvents;
    // Every wait of the run, counted to the end (the Report's contention).
    ipccore::Contention contention;
};

enum class RunState { Idle, Starting, Running, Stopping };

} // namespace ipcui

Q_DECLARE_METATYPE(ipcui::SnapshotPtr)
Q_DECLARE_METATYPE(ipcui::RunSummary)
Q_DECLARE_METATYPE(ipcui::RunState)
Q_DECLARE_METATYPE(ipccore::MqLimits)
Q_DECLARE_METATYPE(ipccore::WorkerSpec)
