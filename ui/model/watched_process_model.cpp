#include "model/watched_process_model.h"

#include "model/printable_text.h"

#include "ipccore/system_ipc.h"

#include <QStringList>

#include <tuple>

namespace ipcui {

namespace {

bool sortsBefore(const WatchedProcess& a, const WatchedProcess& b)
{
    return std::tie(a.pid, a.info.startTicks) < std::tie(b.pid, b.info.startTicks);
}

} // namespace

WatchedProcessModel::WatchedProcessModel(QObject* parent)
    : QAbstractTableModel(parent)
{ }

int WatchedProcessModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int WatchedProcessModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant WatchedProcessModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case PidColumn:
        return tr("PID");
    case PpidColumn:
        return tr("PPID");
    case CommandColumn:
        return tr("Command line");
    case StateColumn:
        return tr("State");
    case CpuColumn:
        return tr("CPU %");
    case BlockedColumn:
        return tr("Blocked in");
    case UsesColumn:
        return tr("Uses");
    default:
        return {};
    }
}

QVariant WatchedProcessModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const WatchedProcess& p = m_rows[std::size_t(index.row())];
    if (role == Qt::TextAlignmentRole
        && (index.column() == PidColumn || index.column() == PpidColumn || index.column() == CpuColumn))
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) { // a tooltip that looks like HTML is shown as HTML: the command line is anyone's
        QString tip = QStringLiteral("<p>%1</p>").arg(processTitle(p).toHtmlEscaped());
        if (index.column() == BlockedColumn || index.column() == UsesColumn) // whole, where the cell elides it
            tip += QStringLiteral("<p style='white-space:pre'>%1: %2</p>") // no break after a name's '/'
                       .arg(headerData(index.column(), Qt::Horizontal).toString(),
                           data(index, Qt::DisplayRole).toString().toHtmlEscaped());
        return tip;
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case PidColumn:
        return p.pid;
    case PpidColumn:
        return p.info.ppid;
    case CommandColumn:
        return printableQString(p.info.commandLine);
    case StateColumn:
        return QString::fromLatin1(ipccore::processStateName(p.info.state));
    case CpuColumn:
        return p.cpuPercent < 0 ? QStringLiteral("…") : QString::number(p.cpuPercent, 'f', 1);
    case BlockedColumn:
        // Stopped first: a process paused inside mq_timedsend still reads it in /proc, but it waits for SIGCONT, not
        // for the queue (whose state may have turned since).
        if (p.info.state == 'T' || p.info.state == 't')
            return p.blockedIn.empty() ? tr("none: stopped")
                                       : tr("none: stopped (paused in %1)").arg(printableQString(p.blockedIn));
        if (!p.blockedIn.empty())
            return printableQString(p.blockedIn);
        if (p.elsewhere.empty() || p.elsewhere == "running")
            return p.elsewhere.empty() ? tr("none") : tr("none: running");
        return tr("none here (elsewhere: %1)").arg(printableQString(p.elsewhere));
    case UsesColumn: {
        QStringList names;
        for (const std::string& name : p.uses)
            names << printableQString(name);
        return names.join(QStringLiteral(", "));
    }
    default:
        return {};
    }
}

QString WatchedProcessModel::processTitle(const WatchedProcess& p)
{
    return tr("pid %1, %2 (owner %3)")
        .arg(p.pid)
        .arg(printableQString(p.info.commandLine), printableQString(p.info.owner));
}

void WatchedProcessModel::apply(const WatchUsers& users)
{
    const std::vector<WatchedProcess>& next = users.processes;
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < m_rows.size() || j < next.size()) {
        if (i < m_rows.size() && (j == next.size() || sortsBefore(m_rows[i], next[j]))) {
            beginRemoveRows({}, int(i), int(i));
            m_rows.erase(m_rows.begin() + std::ptrdiff_t(i));
            endRemoveRows();
        } else if (i == m_rows.size() || sortsBefore(next[j], m_rows[i])) {
            beginInsertRows({}, int(i), int(i));
            m_rows.insert(m_rows.begin() + std::ptrdiff_t(i), next[j]);
            endInsertRows();
            ++i;
            ++j;
        } else {
            m_rows[i] = next[j];
            emit dataChanged(index(int(i), 0), index(int(i), ColumnCount - 1));
            ++i;
            ++j;
        }
    }
}

void WatchedProcessModel::clear()
{
    if (m_rows.empty())
        return;
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

} // namespace ipcui
