#include "model/worker_list_model.h"

#include "model/scenario_document.h"

namespace ipcui {

WorkerListModel::WorkerListModel(ScenarioDocument* document, QObject* parent)
    : QAbstractTableModel(parent)
    , m_document(document)
{
    connect(document, &ScenarioDocument::workersChanged, this, [this] {
        beginResetModel();
        endResetModel();
    });
}

int WorkerListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_document->scenario().workers.size());
}

int WorkerListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant WorkerListModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ipccore::WorkerSpec& worker = m_document->scenario().workers[std::size_t(index.row())];
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case NameColumn:
            return QString::fromStdString(worker.name);
        case RoleColumn:
            return worker.role == ipccore::Role::Producer ? tr("producer") : tr("consumer");
        case ObjectColumn:
            return QString::fromStdString(worker.object);
        case RateColumn:
            return worker.rate > 0 ? QVariant(worker.rate) : QVariant(tr("unlimited"));
        case SizeColumn:
            return uint(worker.messageSize);
        case WorkColumn:
            return uint(worker.workUs);
        case CountColumn:
            return worker.count > 0 ? QVariant(qulonglong(worker.count)) : QVariant(tr("until stopped"));
        case PriorityColumn:
            return uint(worker.priority);
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() >= RateColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant WorkerListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return tr("Worker");
    case RoleColumn:
        return tr("Role");
    case ObjectColumn:
        return tr("Object");
    case RateColumn:
        return tr("Rate (msgs/s)");
    case SizeColumn:
        return tr("Message (B)");
    case WorkColumn:
        return tr("Work (µs)");
    case CountColumn:
        return tr("Count");
    case PriorityColumn:
        return tr("Priority");
    }
    return {};
}

} // namespace ipcui
