#pragma once

// The workers of the experiment being edited, one row each (resets on document change, like ObjectListModel).

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
        ColumnCount
    };

    explicit WorkerListModel(ScenarioDocument* document, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    ScenarioDocument* m_document;
};

} // namespace ipcui
