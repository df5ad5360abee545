#include "model/system_object_model.h"

#include "model/printable_text.h"

#include <tuple>

namespace ipcui {

namespace {

using ipccore::SystemObject;
using ipccore::SystemObjectKind;

constexpr std::size_t UsersShown = 3; // the rest are counted; the tooltip names them all

// The listing's own order (scanSystemIpc sorts by it).
bool sortsBefore(const SystemObject& a, const SystemObject& b)
{
    return std::tie(a.kind, a.name, a.inode) < std::tie(b.kind, b.name, b.inode);
}

// Anything a cell shows (the tooltip and the details are made afresh from the object at each listing).
bool changed(const SystemObject& a, const SystemObject& b)
{
    const auto users = [](const SystemObject& o) {
        std::vector<std::tuple<int, std::string, std::string, std::string>> u;
        for (const auto& user : o.users)
            u.emplace_back(user.pid, user.command, user.blockedIn, user.elsewhere);
        return u;
    };
    return a.uid != b.uid || a.owner != b.owner || a.mode != b.mode || a.sizeBytes != b.sizeBytes
        || a.listed != b.listed || a.permissionDenied != b.permissionDenied || a.depth != b.depth
        || a.capacity != b.capacity || a.value != b.value || a.waiters != b.waiters || a.problem != b.problem
        || users(a) != users(b);
}

} // namespace

SystemObjectModel::SystemObjectModel(QObject* parent)
    : QAbstractTableModel(parent)
{ }

int SystemObjectModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SystemObjectModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SystemObjectModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case KindColumn:
            return tr("Kind");
        case NameColumn:
            return tr("Name");
        case OwnerColumn:
            return tr("Owner");
        case ModeColumn:
            return tr("Mode");
        case SizeColumn:
            return tr("Size");
        case StateColumn:
            return tr("Depth / value");
        case UsersColumn:
            return tr("Used by (pid, command, the call it waits in here)");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case SizeColumn:
            return tr("A queue's bytes in messages, a semaphore's file, a segment's length");
        case StateColumn:
            return tr("A queue's messages of its slots (mq_getattr), a semaphore's value and the threads waiting on "
                      "it; the change since the last listing follows");
        case UsersColumn:
            return tr("Processes with the object open or mapped, and the call a thread of theirs sleeps in on it");
        }
    }
    return {};
}

QString SystemObjectModel::detailsText(const SystemObject& o)
{
    QStringList lines;
    // One arg() call: a name holding "%4" must stay text, not become a place for the next argument.
    lines << tr("%1 %2, owner %3, mode %4")
                 .arg(QString::fromLatin1(ipccore::systemObjectKindName(o.kind)), printableQString(o.name),
                     printableQString(o.owner), QString::fromStdString(ipccore::systemObjectModeText(o)));
    if (o.lab)
        lines << tr("One of IPC Lab's own objects.");
    if (!o.problem.empty())
        lines << printableQString(o.problem) + QLatin1Char('.');
    if (o.users.empty())
        lines << tr("No process this user may inspect has it open or mapped.");
    else
        lines << tr("Used by:");
    for (const auto& u : o.users) {
        QString line = tr("%1 %2").arg(u.pid).arg(printableQString(u.command));
        QStringList how;
        if (u.hasOpen)
            how << tr("open");
        if (u.hasMapped)
            how << tr("mapped");
        line += QStringLiteral(" (%1)").arg(how.join(QStringLiteral(", ")));
        if (!u.blockedIn.empty())
            line += tr(": thread %1 sleeps in %2 on it").arg(u.blockedTid).arg(QString::fromStdString(u.blockedIn));
        else if (u.elsewhere == "running")
            line += tr(": running");
        else if (!u.elsewhere.empty())
            line += tr(": sleeps elsewhere, in %1").arg(QString::fromStdString(u.elsewhere));
        lines << line;
    }
    return lines.join(QLatin1Char('\n'));
}

QVariant SystemObjectModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const Row& row = m_rows[std::size_t(index.row())];
    const SystemObject& o = row.now;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case KindColumn:
            return QString::fromLatin1(ipccore::systemObjectKindName(o.kind));
        case NameColumn:
            return printableQString(o.name);
        case OwnerColumn:
            return printableQString(o.owner);
        case ModeColumn:
            return QString::fromStdString(ipccore::systemObjectModeText(o));
        case SizeColumn:
            return QString::fromStdString(ipccore::systemObjectSizeText(o));
        case StateColumn:
            return QString::fromStdString(ipccore::systemObjectStateText(o, row.hasBefore ? &row.before : nullptr));
        case UsersColumn:
            return QString::fromStdString(ipccore::systemObjectUsersText(o, UsersShown, m_someHidden, false));
        }
        return {};
    case Qt::ToolTipRole:
        // Rich text made on purpose, with the names escaped: left to guess, Qt would render a name such as
        // "<img src=...>" as HTML.
        return QStringLiteral("<p style='white-space:pre'>%1</p>").arg(detailsText(o).toHtmlEscaped());
    case LabRole:
        return o.lab;
    case SortRole:
        if (index.column() == SizeColumn)
            return qulonglong(o.sizeBytes);
        if (index.column() == StateColumn)
            return o.depth ? qlonglong(*o.depth) : o.value ? qlonglong(*o.value) : qlonglong(-1);
        return data(index, Qt::DisplayRole);
    case FilterRole: {
        QStringList words { QString::fromLatin1(ipccore::systemObjectKindName(o.kind)), printableQString(o.name),
            printableQString(o.owner) };
        for (const auto& u : o.users)
            words << QString::number(u.pid) << printableQString(u.command);
        return words.join(QLatin1Char(' '));
    }
    }
    return {};
}

void SystemObjectModel::apply(const ipccore::SystemListing& listing)
{
    const bool hiddenChanged = m_someHidden != (listing.processesUnreadable > 0);
    m_someHidden = listing.processesUnreadable > 0;
    const std::vector<SystemObject>& next = listing.objects;
    // Both lists are in the listing's order: walk them together, removing and inserting runs of neighbouring rows
    // at once (a run's hundreds of objects come and go together).
    std::size_t i = 0; // row in m_rows
    std::size_t j = 0; // object in next
    while (i < m_rows.size() || j < next.size()) {
        std::size_t gone = i;
        while (gone < m_rows.size() && (j == next.size() || sortsBefore(m_rows[gone].now, next[j])))
            ++gone;
        if (gone > i) {
            beginRemoveRows({}, int(i), int(gone - 1));
            m_rows.erase(m_rows.begin() + std::ptrdiff_t(i), m_rows.begin() + std::ptrdiff_t(gone));
            endRemoveRows();
            continue;
        }
        std::size_t fresh = j;
        while (fresh < next.size() && (i == m_rows.size() || sortsBefore(next[fresh], m_rows[i].now)))
            ++fresh;
        if (fresh > j) {
            beginInsertRows({}, int(i), int(i + (fresh - j) - 1));
            for (std::size_t k = j; k < fresh; ++k)
                m_rows.insert(m_rows.begin() + std::ptrdiff_t(i + (k - j)), Row { next[k], {}, false });
            endInsertRows();
            i += fresh - j;
            j = fresh;
            continue;
        }
        Row& row = m_rows[i]; // the same object (equal keys)
        // A change shown last time ("+7") goes away now unless the value moved again: that is a change too.
        const bool showedChange
            = row.hasBefore && (row.before.depth != row.now.depth || row.before.value != row.now.value);
        const bool differs = changed(row.now, next[j]) || !row.hasBefore || showedChange || hiddenChanged;
        row.before = std::move(row.now);
        row.hasBefore = !m_forget;
        row.now = next[j];
        if (differs)
            emit dataChanged(index(int(i), 0), index(int(i), ColumnCount - 1));
        ++i;
        ++j;
    }
    m_forget = false;
}

void SystemObjectModel::forgetChanges()
{
    m_forget = true;
}

SystemObjectFilter::SystemObjectFilter(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(SystemObjectModel::SortRole);
}

void SystemObjectFilter::setText(const QString& text)
{
    m_text = text.trimmed();
    invalidateFilter();
}

void SystemObjectFilter::setShowLab(bool show)
{
    m_showLab = show;
    invalidateFilter();
}

bool SystemObjectFilter::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    if (!m_showLab && index.data(SystemObjectModel::LabRole).toBool())
        return false;
    return m_text.isEmpty()
        || index.data(SystemObjectModel::FilterRole).toString().contains(m_text, Qt::CaseInsensitive);
}

} // namespace ipcui
