#include "model/process_table_model.h"

#include <QLocale>

namespace ipcui {

ProcessTableModel::ProcessTableModel(QObject* parent)
    : QAbstractTableModel(parent)
{ }

int ProcessTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ProcessTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString ProcessTableModel::stateText(ipccore::WorkerState state)
{
    using S = ipccore::WorkerState;
    switch (state) {
    case S::Starting:
        return tr("starting");
    case S::Running:
        return tr("running");
    case S::BlockedFull:
        return tr("blocked: full");
    case S::BlockedEmpty:
        return tr("blocked: empty");
    case S::WaitingLock:
        return tr("waiting for lock");
    case S::Paused:
        return tr("paused");
    case S::Finished:
        return tr("finished");
    case S::Dead:
        return tr("dead");
    }
    return tr("unknown");
}

QVariant ProcessTableModel::display(const Row& row, int column) const
{
    const ipccore::WorkerStatus& w = row.status;
    const QLocale locale;
    switch (column) {
    case NameColumn:
        return QString::fromStdString(w.name);
    case PidColumn:
        return w.pid > 0 ? QVariant(int(w.pid)) : QVariant(QStringLiteral("-"));
    case RoleColumn:
        return w.role == ipccore::Role::Producer ? tr("producer") : tr("consumer");
    case TransportColumn:
        return QStringLiteral("%1 (%2)").arg(
            QString::fromLatin1(ipccore::transportName(w.transport)), QString::fromStdString(w.object));
    case StateColumn:
        return stateText(w.state);
    case RateColumn:
        return locale.toString(row.rate, 'f', row.rate < 10 ? 1 : 0);
    case TotalColumn:
        return locale.toString(qulonglong(w.messages));
    case BlockedColumn:
        return locale.toString(100.0 * w.blockedFraction, 'f', 1);
    case CpuColumn:
        return locale.toString(w.cpuPercent, 'f', 1);
    case RateControlColumn:
        return w.rate > 0 ? locale.toString(w.rate, 'f', w.rate < 10 ? 1 : 0) : tr("unlimited");
    case SizeColumn:
        return locale.toString(uint(w.messageSize));
    case ExitColumn:
        return QString::fromStdString(w.exitText);
    default:
        return {};
    }
}

QVariant ProcessTableModel::sortValue(const Row& row, int column) const
{
    const ipccore::WorkerStatus& w = row.status;
    switch (column) {
    case PidColumn:
        return int(w.pid);
    case StateColumn:
        return int(w.state);
    case RateColumn:
        return row.rate;
    case TotalColumn:
        return qulonglong(w.messages);
    case BlockedColumn:
        return w.blockedFraction;
    case CpuColumn:
        return w.cpuPercent;
    case RateControlColumn:
        return w.rate;
    case SizeColumn:
        return uint(w.messageSize);
    default:
        return display(row, column);
    }
}

QVariant ProcessTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& row = m_rows[std::size_t(index.row())];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return display(row, column);
    case Qt::ToolTipRole:
        if (column == StateColumn) {
            QString tip = stateText(row.status.state);
            if (!row.status.waitingOn.empty())
                tip += tr(" — waiting on %1").arg(QString::fromStdString(row.status.waitingOn));
            tip += tr(" (for %1 s)").arg(row.status.stateSeconds, 0, 'f', 1);
            if (!row.status.exitText.empty())
                tip += QStringLiteral("\n") + QString::fromStdString(row.status.exitText);
            return tip;
        }
        if (column == ExitColumn && !row.status.exitText.empty())
            return QString::fromStdString(row.status.exitText);
        return {};
    case Qt::TextAlignmentRole:
        switch (column) {
        case PidColumn:
        case RateColumn:
        case TotalColumn:
        case BlockedColumn:
        case CpuColumn:
        case RateControlColumn:
        case SizeColumn:
            return int(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return int(Qt::AlignLeft | Qt::AlignVCenter);
        }
    case StateRole:
        return int(row.status.state);
    case AliveRole:
        return row.status.alive;
    case RoleRole:
        return int(row.status.role);
    case SortRole:
        return sortValue(row, column);
    default:
        return {};
    }
}

QVariant ProcessTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn:
            return tr("Name");
        case PidColumn:
            return tr("PID");
        case RoleColumn:
            return tr("Role");
        case TransportColumn:
            return tr("Transport (object)");
        case StateColumn:
            return tr("State");
        case RateColumn:
            return tr("msgs/s");
        case TotalColumn:
            return tr("Total");
        case BlockedColumn:
            return tr("% blocked");
        case CpuColumn:
            return tr("CPU %");
        case RateControlColumn:
            return tr("Rate limit");
        case SizeColumn:
            return tr("Size (B)");
        case ExitColumn:
            return tr("Exit");
        default:
            return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case RateColumn:
            return tr("Messages per second over the last second");
        case BlockedColumn:
            return tr("Share of the worker's lifetime spent blocked (full, empty or waiting for the lock)");
        case CpuColumn:
            return tr("CPU time as a percentage of one core");
        case RateControlColumn:
            return tr("The worker's rate control in messages per second");
        case SizeColumn:
            return tr("Frame size in bytes, header included");
        default:
            return {};
        }
    }
    return {};
}

void ProcessTableModel::apply(const ipccore::Snapshot& snapshot)
{
    const std::size_t shown = m_rows.size();
    const std::size_t common = std::min(shown, snapshot.workers.size());
    for (std::size_t i = 0; i < common; ++i) {
        Row& row = m_rows[i];
        const Row before { row.status, RateMeter(), row.rate };
        row.status = snapshot.workers[i];
        row.meter.add(snapshot.t, double(row.status.messages));
        row.rate = row.status.alive ? row.meter.rate() : 0;
        int firstChanged = -1, lastChanged = -1;
        for (int column = 0; column < ColumnCount; ++column) {
            if (display(before, column) != display(row, column)
                || (column == StateColumn && before.status.alive != row.status.alive)) {
                if (firstChanged < 0)
                    firstChanged = column;
                lastChanged = column;
            }
        }
        if (firstChanged >= 0)
            emit dataChanged(index(int(i), firstChanged), index(int(i), lastChanged));
    }
    if (snapshot.workers.size() > shown) {
        beginInsertRows({}, int(shown), int(snapshot.workers.size()) - 1);
        for (std::size_t i = shown; i < snapshot.workers.size(); ++i) {
            Row row { snapshot.workers[i], RateMeter(), 0 };
            row.meter.add(snapshot.t, double(row.status.messages));
            m_rows.push_back(std::move(row));
        }
        endInsertRows();
    } else if (snapshot.workers.size() < shown) {
        // Not expected within a run (the runner keeps finished workers), but a shorter list must not leave stale rows.
        beginRemoveRows({}, int(snapshot.workers.size()), int(shown) - 1);
        m_rows.resize(snapshot.workers.size());
        endRemoveRows();
    }
}

void ProcessTableModel::clear()
{
    if (m_rows.empty())
        return;
    beginRemoveRows({}, 0, int(m_rows.size()) - 1);
    m_rows.clear();
    endRemoveRows();
}

} // namespace ipcui
