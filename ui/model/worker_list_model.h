#pragma once

// The workers of the experiment being edited, one row each (resets on document change, like ObjectListModel).

#include "ipccore/scenario.h"

#include <QAbstractTableModel>

namespace ipcui {

class ScenarioDocument;

class WorkerListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        RoleColumn,
        ObjectColumn,
        RateColumn,
        SizeColumn,
        WorkColumn,
        CountColumn,
        PriorityColumn,
        ProgramColumn, // a program's steps, "read counter[0]; work 20us; write counter[0] +1"
        ColumnCount
    };

    explicit WorkerListModel(ScenarioDocument* document, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    // The objects a program uses, "counter, pool"; a server's include its clients' reply queues.
    static QString programObjectsText(const ipccore::Scenario& scenario, const ipccore::WorkerSpec& worker);

    ScenarioDocument* m_document;
};

} // namespace ipcui
