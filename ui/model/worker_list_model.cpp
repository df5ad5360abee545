#include "model/worker_list_model.h"

#include "model/scenario_document.h"

#include "ipccore/program.h"
#include "ipccore/runner.h"

#include <algorithm>

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
    const bool program = worker.role == ipccore::Role::Program;
    // Message size, work per message and priority mean nothing to a program: a dash, not a misleading number.
    const auto messageField
        = [program](uint value) { return program ? QVariant(QStringLiteral("–")) : QVariant(value); };
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case NameColumn: // on a worker host: "c-1@lab2", as the run will show it
            return QString::fromStdString(ipccore::placedName(worker.name, worker.host));
        case RoleColumn:
            return QString::fromLatin1(ipccore::roleName(worker.role));
        case ObjectColumn:
            return program ? programObjectsText(m_document->scenario(), worker) : QString::fromStdString(worker.object);
        case RateColumn:
            return worker.rate > 0 ? QVariant(worker.rate) : QVariant(tr("unlimited"));
        case SizeColumn:
            return messageField(worker.messageSize);
        case WorkColumn:
            return messageField(worker.workUs);
        case CountColumn:
            return worker.count > 0 ? QVariant(qulonglong(worker.count)) : QVariant(tr("until stopped"));
        case PriorityColumn:
            return messageField(worker.priority);
        case ProgramColumn:
            return QString::fromStdString(ipccore::programText(worker.program));
        }
    }
    if (role == Qt::ToolTipRole && index.column() == NameColumn && !worker.host.empty()) {
        const auto& hosts = m_document->scenario().hosts;
        const auto host = std::find_if(
            hosts.begin(), hosts.end(), [&](const ipccore::HostSpec& h) { return h.name == worker.host; });
        return tr("Runs on the worker host %1 (%2), which 'ipclab-cli host --listen' must serve there when the run "
                  "starts")
            .arg(QString::fromStdString(worker.host),
                QString::fromStdString(host != hosts.end() ? host->endpoint : std::string("not listed")));
    }
    if (role == Qt::TextAlignmentRole && index.column() >= RateColumn && index.column() != ProgramColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QString WorkerListModel::programObjectsText(const ipccore::Scenario& scenario, const ipccore::WorkerSpec& worker)
{
    QStringList names;
    // A server's too: the reply queues of its clients, which it puts into though its steps do not name them.
    for (const std::string& name : ipccore::workerObjects(scenario, worker))
        names << QString::fromStdString(name);
    return names.join(QStringLiteral(", "));
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
        return tr("Rate (per s)");
    case SizeColumn:
        return tr("Message (B)");
    case WorkColumn:
        return tr("Work (µs)");
    case CountColumn:
        return tr("Count");
    case PriorityColumn:
        return tr("Priority");
    case ProgramColumn:
        return tr("Program steps");
    }
    return {};
}

} // namespace ipcui
