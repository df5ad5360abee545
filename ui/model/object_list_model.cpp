#include "model/object_list_model.h"

#include "model/scenario_document.h"

namespace ipcui {

ObjectListModel::ObjectListModel(ScenarioDocument* document, QObject* parent)
    : QAbstractTableModel(parent)
    , m_document(document)
{
    connect(document, &ScenarioDocument::objectsChanged, this, [this] {
        beginResetModel();
        endResetModel();
    });
}

int ObjectListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_document->scenario().objects.size());
}

int ObjectListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ObjectListModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ipccore::ObjectSpec& object = m_document->scenario().objects[std::size_t(index.row())];
    const bool hasCapacity = ipccore::capacityInMessages(object.transport);
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case NameColumn:
            return QString::fromStdString(object.name);
        case TransportColumn:
            return QString::fromLatin1(ipccore::transportName(object.transport));
        case CapacityColumn:
            return hasCapacity ? QVariant(uint(object.capacity)) : QVariant(tr("kernel buffer"));
        case MessageSizeColumn:
            return uint(object.messageSize);
        case UsersColumn: {
            int users = 0;
            for (const ipccore::WorkerSpec& worker : m_document->scenario().workers)
                users += worker.object == object.name ? 1 : 0;
            return users;
        }
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() >= CapacityColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant ObjectListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return tr("Object");
    case TransportColumn:
        return tr("Transport");
    case CapacityColumn:
        return tr("Capacity (msgs)");
    case MessageSizeColumn:
        return tr("Max message (B)");
    case UsersColumn:
        return tr("Workers");
    }
    return {};
}

} // namespace ipcui
