#include "model/object_list_model.h"

#include "model/scenario_document.h"

#include "ipccore/runner.h"

namespace ipcui {

ObjectListModel::ObjectListModel(ScenarioDocument* document, QObject* parent)
    : QAbstractTableModel(parent)
    , m_document(document)
{
    // (The document says objectsChanged after a worker edit too: a worker's host moves its objects with it.)
    connect(document, &ScenarioDocument::objectsChanged, this, [this] {
        beginResetModel();
        m_hosts = ipccore::objectHosts(m_document->scenario());
        endResetModel();
    });
    m_hosts = ipccore::objectHosts(m_document->scenario());
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
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case NameColumn: // on a worker host: "far@lab2", as the run will show it
            return QString::fromStdString(ipccore::placedName(
                object.name, std::size_t(index.row()) < m_hosts.size() ? m_hosts[std::size_t(index.row())] : ""));
        case TransportColumn:
            return QString::fromLatin1(ipccore::transportName(object.transport));
        case CapacityColumn:
            return capacityText(object);
        case MessageSizeColumn:
            // Arrays and semaphores hold no messages.
            return ipccore::traits(object.transport).carriesMessages ? QVariant(uint(object.messageSize))
                                                                     : QVariant(QStringLiteral("–"));
        case UsersColumn:
            return int(m_document->usersOf(object.name).size());
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() >= CapacityColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

// The capacity with what it counts: "8 messages", "1 cell", "2 permits"; byte streams and shared values have none.
QString ObjectListModel::capacityText(const ipccore::ObjectSpec& object)
{
    const uint n = object.capacity;
    switch (ipccore::traits(object.transport).capacity) {
    case ipccore::CapacityUnit::Messages:
        return n == 1 ? tr("1 message") : tr("%1 messages").arg(n);
    case ipccore::CapacityUnit::Cells:
        return n == 1 ? tr("1 cell") : tr("%1 cells").arg(n);
    case ipccore::CapacityUnit::Permits:
        return n == 1 ? tr("1 permit") : tr("%1 permits").arg(n);
    case ipccore::CapacityUnit::KernelBytes:
        return tr("kernel buffer");
    case ipccore::CapacityUnit::OneValue:
        return tr("one value");
    case ipccore::CapacityUnit::None:
        return tr("none (rendezvous)");
    }
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
        return tr("Capacity");
    case MessageSizeColumn:
        return tr("Max message (B)");
    case UsersColumn:
        return tr("Workers");
    }
    return {};
}

} // namespace ipcui
