#pragma once

// The Live view's table of the processes using the watched objects of other programs (WatchMonitor): pid, command
// line, owner, state, CPU %, the call it sleeps in on a watched object, and the objects it uses. Rows are keyed by
// pid and start time and kept in pid order; each listing is applied as a diff, so a selection survives it.

#include "model/watch_monitor.h"

#include <QAbstractTableModel>

#include <vector>

namespace ipcui {

class WatchedProcessModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        PidColumn,
        PpidColumn,
        CommandColumn,
        StateColumn,
        CpuColumn,
        BlockedColumn,
        UsesColumn,
        ColumnCount
    };

    explicit WatchedProcessModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void apply(const WatchUsers& users);
    void clear();
    const WatchedProcess& process(int row) const { return m_rows[std::size_t(row)]; }

    // "pid 8917, python3 posix_jobs.py (owner alice)": how a confirmation names the process.
    static QString processTitle(const WatchedProcess& process);

private:
    std::vector<WatchedProcess> m_rows;
};

} // namespace ipcui
