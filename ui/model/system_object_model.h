#pragma once

// The System tab's table: every POSIX queue, semaphore and segment on the machine (ipccore::SystemListing), one row
// each. Each new listing is applied as a diff keyed by kind, name and inode, in the listing's order (queues,
// semaphores, segments, each by name): vanished objects are removed with beginRemoveRows, new ones inserted where
// they sort (each run of neighbours at once), changed rows announced with dataChanged. A reset per listing would drop
// the user's selection and scroll.

#include "ipccore/system_ipc.h"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>

#include <vector>

namespace ipcui {

class SystemObjectModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { KindColumn, NameColumn, OwnerColumn, ModeColumn, SizeColumn, StateColumn, UsersColumn, ColumnCount };
    enum Roles {
        LabRole = Qt::UserRole + 1, // bool: one of IPC Lab's own objects
        SortRole, // a number for Size and Depth / Value, the text otherwise
        FilterRole, // name, owner, kind and every user's pid and command, for the filter box
    };

    explicit SystemObjectModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void apply(const ipccore::SystemListing& listing);
    // The next listing shows no change since the last one (the tab was hidden for a while: "+N" would span all of
    // that time).
    void forgetChanges();
    const ipccore::SystemObject& object(int row) const { return m_rows[std::size_t(row)].now; }

    // Every user of the object with what it sleeps in, one per line, and the object's problem: the tooltip of a row
    // and the text under the table for the selected one.
    static QString detailsText(const ipccore::SystemObject& object);

private:
    struct Row {
        ipccore::SystemObject now;
        ipccore::SystemObject before; // the same object in the listing before, for the change in Depth / Value
        bool hasBefore = false;
    };
    std::vector<Row> m_rows;
    bool m_someHidden = false; // the last listing could not inspect some processes: "none seen", not "none"
    bool m_forget = false; // forgetChanges() was called: the next listing records no change
};

// The filter of the System tab: rows whose name, owner, kind or users' pids and commands contain the text
// (case-insensitive), and IPC Lab's own objects only when they are asked for.
class SystemObjectFilter : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit SystemObjectFilter(QObject* parent = nullptr);
    void setText(const QString& text);
    void setShowLab(bool show);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    QString m_text;
    bool m_showLab = true;
};

} // namespace ipcui
