#pragma once

// The live process table. Rows are the workers of the running scenario in Snapshot::workers order (the runner only
// appends), so each tick is applied as a diff: new workers are inserted with beginInsertRows and changed cells are
// announced with dataChanged. A reset per tick would drop the user's selection and scroll position.
//
// A program worker (Role::Program) shows the step it is on in the Step column; its tooltip lists every step with
// what it did and the Python line it stands for, from the programs given to setPrograms().

#include "ipccore/runner.h"
#include "model/rate_meter.h"

#include <QAbstractTableModel>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace ipcui {

class ProcessTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        PidColumn,
        PpidColumn, // the parent: what os.getppid() returns in the worker
        RoleColumn,
        TransportColumn,
        StateColumn,
        StepColumn, // programs: "2/3 write counter[0] +1"
        RateColumn, // msgs/s over the last second
        TotalColumn,
        BlockedColumn,
        CpuColumn,
        RateControlColumn,
        SizeColumn,
        ExitColumn,
        ColumnCount
    };
    enum Roles {
        StateRole = Qt::UserRole + 1, // int(ipccore::WorkerState)
        AliveRole, // bool
        RoleRole, // int(ipccore::Role)
        SortRole, // raw number for numeric columns
    };

    explicit ProcessTableModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Applies a snapshot as a diff against the rows shown.
    void apply(const ipccore::Snapshot& snapshot);
    // Removes every row (a new run starts).
    void clear();
    // The programs of the run's workers, by worker name: the snapshot names only the step a worker is on, the
    // tooltip lists them all.
    void setPrograms(const ipccore::Scenario& scenario);

    const ipccore::WorkerStatus& worker(int row) const { return m_rows[std::size_t(row)].status; }
    double smoothedRate(int row) const { return m_rows[std::size_t(row)].rate; }

    static QString stateText(ipccore::WorkerState state);
    static QString roleText(ipccore::Role role);
    // "2/3 write counter[0] +1", with "(1.5 s)" once the worker has been on the step a while; empty for
    // producers and consumers.
    static QString stepText(const ipccore::WorkerStatus& worker);

private:
    struct Row {
        ipccore::WorkerStatus status;
        RateMeter meter;
        double rate = 0;
    };
    QVariant display(const Row& row, int column) const;
    QVariant sortValue(const Row& row, int column) const;
    QString exitText(const ipccore::WorkerStatus& worker) const;
    QString workerStateText(const ipccore::WorkerStatus& worker) const;
    QString programTooltip(const ipccore::WorkerStatus& worker) const;
    void updateProgramsOnly();

    std::vector<Row> m_rows;
    std::map<std::string, ipccore::ProgramSteps> m_programs; // by worker name
    std::set<std::string> m_semaphoreObjects; // names of the scenario's semaphore objects
    bool m_programsOnly = false; // every row is a program: the rate and total headers count passes
};

} // namespace ipcui
