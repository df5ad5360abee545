#include "model/contention_model.h"

#include "model/duration_text.h"

#include <QLocale>

namespace ipcui {

namespace {

QString kindText(ipccore::WaitKind kind)
{
    switch (kind) {
    case ipccore::WaitKind::Room:
        return ContentionModel::tr("room");
    case ipccore::WaitKind::Data:
        return ContentionModel::tr("data");
    case ipccore::WaitKind::Lock:
        return ContentionModel::tr("the lock");
    case ipccore::WaitKind::Permit:
        return ContentionModel::tr("a permit");
    }
    return {};
}

// A row's identity: the rows are rebuilt only when these change (a new object waited on, or the order).
bool sameRows(const std::vector<ipccore::ObjectContention>& a, const std::vector<ipccore::ObjectContention>& b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].object != b[i].object || a[i].kind != b[i].kind || a[i].gaveUp != b[i].gaveUp)
            return false;
    }
    return true;
}

} // namespace

ContentionModel::ContentionModel(QObject* parent)
    : QAbstractTableModel(parent)
{ }

int ContentionModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ContentionModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ContentionModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || std::size_t(index.row()) >= m_rows.size())
        return {};
    const ipccore::ObjectContention& row = m_rows[std::size_t(index.row())];
    const ipccore::WaitStats& s = row.stats;
    const bool most = index.row() == 0;
    if (role == MostContendedRole)
        return most;
    if (role == TotalNsRole)
        return qulonglong(s.totalNs);
    if (role == Qt::TextAlignmentRole)
        return index.column() >= WaitsColumn && index.column() <= MaxColumn
            ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
            : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && index.column() == ObjectColumn && most)
        return tr("The most waited on: the longest total wait of all objects");
    if (role == Qt::ToolTipRole && index.column() == ForColumn)
        return QString::fromStdString(row.what);
    if (role != Qt::DisplayRole)
        return {};
    const auto us = [](double ns) { return durationText(ns / 1e3); };
    switch (index.column()) {
    case ObjectColumn:
        return (most ? QStringLiteral("★ ") : QString()) + QString::fromStdString(row.object);
    case ForColumn:
        return row.gaveUp ? tr("%1, gave up").arg(kindText(row.kind)) : kindText(row.kind);
    case WaitsColumn:
        return QLocale().toString(qulonglong(s.waits));
    case TotalColumn:
        return durationText(double(s.totalNs) / 1e3);
    case MeanColumn:
        return us(s.meanNs());
    case P50Column:
        return us(double(s.percentileNs(0.5)));
    case P90Column:
        return us(double(s.percentileNs(0.9)));
    case P99Column:
        return us(double(s.percentileNs(0.99)));
    case MaxColumn:
        return us(double(s.maxNs));
    case WhoColumn: {
        QStringList who;
        for (const std::string& w : row.waiters)
            who << QString::fromStdString(w);
        return who.join(QStringLiteral(", "));
    }
    default:
        return {};
    }
}

QVariant ContentionModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case WaitsColumn:
            return tr("Waits that have ended: every one, not a sample");
        case P50Column:
        case P90Column:
        case P99Column:
            return tr("Half, 90 % and 99 % of the waits were no longer than this (read from log buckets: at most "
                      "1.5 times the true value, never beyond the longest)");
        case WhoColumn:
            return tr("The processes that waited here");
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case ObjectColumn:
        return tr("Object");
    case ForColumn:
        return tr("Waiting for");
    case WaitsColumn:
        return tr("Waits");
    case TotalColumn:
        return tr("Total");
    case MeanColumn:
        return tr("Mean");
    case P50Column:
        return tr("p50");
    case P90Column:
        return tr("p90");
    case P99Column:
        return tr("p99");
    case MaxColumn:
        return tr("Longest");
    case WhoColumn:
        return tr("Who waited");
    default:
        return {};
    }
}

void ContentionModel::setContention(const ipccore::Contention& contention)
{
    if (!sameRows(m_rows, contention.objects)) {
        beginResetModel();
        m_rows = contention.objects;
        endResetModel();
        return;
    }
    m_rows = contention.objects;
    if (!m_rows.empty())
        emit dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

void ContentionModel::clear()
{
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

} // namespace ipcui
