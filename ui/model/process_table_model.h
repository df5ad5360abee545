#pragma once

// The live process table. Rows are the workers of the running scenario in Snapshot::workers order (the runner only
// appends), so each tick is applied as a diff: new workers are inserted with beginInsertRows and changed cells are
// announced with dataChanged. A reset per tick would drop the user's selection and scroll position.

#include "ipccore/runner.h"
#include "model/rate_meter.h"

#include <QAbstractTableModel>

#include <vector>

namespace ipcui {

class ProcessTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        PidColumn,
        RoleColumn,
        TransportColumn,
        StateColumn,
        RateColumn, // msgs/s over the last second
        TotalColumn,
        BlockedColumn,
        CpuColumn,
        RateControlColumn,
        SizeColumn,
        ExitColumn,
        ColumnCount
    };
    enum Roles {
        StateRole = Qt::UserRole + 1, // int(ipccore::WorkerState)
        AliveRole, // bool
        RoleRole, // int(ipccore::Role)
        SortRole, // raw number for numeric columns
    };

    explicit ProcessTableModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Applies a snapshot as a diff against the rows shown.
    void apply(const ipccore::Snapshot& snapshot);
    // Removes every row (a new run starts).
    void clear();

    const ipccore::WorkerStatus& worker(int row) const { return m_rows[std::size_t(row)].status; }
    double smoothedRate(int row) const { return m_rows[std::size_t(row)].rate; }

    static QString stateText(ipccore::WorkerState state);

private:
    struct Row {
        ipccore::WorkerStatus status;
        RateMeter meter;
        double rate = 0;
    };
    QVariant display(const Row& row, int column) const;
    QVariant sortValue(const Row& row, int column) const;

    std::vector<Row> m_rows;
};

} // namespace ipcui
