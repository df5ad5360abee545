#pragma once

// The objects of the experiment being edited, one row each. Edits are rare and user-driven, so the model resets on
// every document change; the live views use ProcessTableModel, which applies diffs.

#include "ipccore/scenario.h"

#include <QAbstractTableModel>

namespace ipcui {

class ScenarioDocument;

class ObjectListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { NameColumn, TransportColumn, CapacityColumn, MessageSizeColumn, UsersColumn, ColumnCount };

    explicit ObjectListModel(ScenarioDocument* document, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString capacityText(const ipccore::ObjectSpec& object);

private:
    ScenarioDocument* m_document;
    std::vector<std::string> m_hosts; // per object, the worker host it is on ("" here), as of the last change
};

} // namespace ipcui
