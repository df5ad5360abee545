#pragma once

// Waits per object, live, as the CLI report's "Waits per object" (ipccore/contention.h): one row per object and what
// was waited for on it (room, data, a lock, a permit), with how many waits ended, their total and mean, p50, p90, p99
// and the longest, and who waited. The most waited-on row (the longest total) is marked. Every figure comes from the
// sampler's snapshot, worked out off the GUI thread; a snapshot only moves rows when their order changes.

#include "ipccore/contention.h"

#include <QAbstractTableModel>

namespace ipcui {

class ContentionModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        ObjectColumn,
        ForColumn, // "buffer: no empty slot (sem_wait on /ipclab-…-buffer.empty)"
        WaitsColumn,
        TotalColumn,
        MeanColumn,
        P50Column,
        P90Column,
        P99Column,
        MaxColumn,
        WhoColumn,
        ColumnCount
    };
    enum Roles {
        MostContendedRole = Qt::UserRole + 1, // bool: the row with the longest total wait
        TotalNsRole, // qulonglong
    };

    explicit ContentionModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setContention(const ipccore::Contention& contention);
    void clear();

private:
    std::vector<ipccore::ObjectContention> m_rows;
};

} // namespace ipcui
