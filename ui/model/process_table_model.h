#pragma once

// The live process table. Rows are the workers of the running scenario in Snapshot::workers order (the runner only
// appends), so each tick is applied as a diff: new workers are inserted with beginInsertRows and changed cells are
// announced with dataChanged. A reset per tick would drop the user's selection and scroll position.
//
// A program worker (Role::Program) shows the step it is on in the Step column; its tooltip lists every step with
// what it did, the mean time of one run of it (a request's round trip) and the Python line it stands for, from the
// programs given to setPrograms(). A Manager's clients and server add their requests and replies to it, and the State
// tooltip says what a blocked client or server waits for (a reply, a request), and that a dead server's reply never
// comes.
//
// Pools (a program that calls map or apply, and the programs that get its tasks): the Tasks column shows a pool
// worker's tasks taken with its share of all its pool's workers took ("23,488 (25%)", the load balance), and the
// caller's tasks whose result came back of those it submitted ("93,952 of 94,208"). Who is a pool's caller or worker
// is read from the programs given to setPrograms (ipccore::poolParts), never from the counters. Columns that no row
// uses (Tasks without a pool, Size when every row is a program) are reported by isColumnUnused, for the view to hide.

#include "ipccore/ledger.h"
#include "ipccore/runner.h"
#include "model/rate_meter.h"

#include <QAbstractTableModel>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ipcui {

class ProcessTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        HostColumn, // the machine it runs on: this one, or a worker host (shown only when a worker runs on one)
        PidColumn,
        PpidColumn, // the parent: what os.getppid() returns in the worker
        RoleColumn,
        TransportColumn,
        StateColumn,
        StepColumn, // programs: "2/3 write counter[0] +1"
        RateColumn, // msgs/s over the last second
        TotalColumn,
        TasksColumn, // pools: tasks taken (pool worker) or collected of submitted (caller)
        BlockedColumn,
        CpuColumn,
        LatencyColumn, // consumers: mean time from send to receive
        RateControlColumn,
        SizeColumn,
        PriorityColumn, // mq priorities: what a producer sends at, and a consumer's share of each
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
    // The counts of the run's report (passes, steps, a pool's tasks), which the workers made after the last live
    // sample, and how each process ended: the table then agrees with the final ledger.
    void applyFinalCounts(const std::vector<ipccore::WorkerSummary>& workers);
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

    // Whether no row has anything to show in the column: Tasks when the run has no pool, Size (in bytes per
    // message) when every row is a program, Step when none is. Emits unusedColumnsChanged when that changes.
    bool isColumnUnused(int column) const;
    // The widest step text a row can show ("1/1 map tasks results 256 chunk 32"), for the view to size the column.
    QString widestStepText() const;
    static bool holdsRegister(const ipccore::ProgramSteps& program, std::size_t step);

signals:
    void unusedColumnsChanged();

private:
    // A program's part in a pool, from its steps: the caller of map or apply, or a worker that gets the tasks.
    using PoolPart = ipccore::PoolPart;
    using PoolTotals = std::map<std::string, std::uint64_t>; // tasks taken by each pool's workers, by task object

    struct Row {
        ipccore::WorkerStatus status;
        RateMeter meter;
        double rate = 0;
    };
    QVariant display(const Row& row, int column) const;
    QVariant sortValue(const Row& row, int column) const;
    QString exitText(const ipccore::WorkerStatus& worker) const;
    QString priorityText(const ipccore::WorkerStatus& worker) const;
    QString workerStateText(const ipccore::WorkerStatus& worker) const;
    QString programTooltip(const ipccore::WorkerStatus& worker) const;
    // The worker's part in a pool, from its program as setPrograms gave it. nullopt: no pool, or a row whose program
    // is not known (its counters cannot tell: a caller that has not put a task yet has counted nothing).
    std::optional<PoolPart> poolPart(const ipccore::WorkerStatus& worker) const;
    PoolTotals poolTotals(const std::vector<ipccore::WorkerStatus>& workers) const;
    QString tasksText(const ipccore::WorkerStatus& worker, const PoolTotals& totals) const;
    QString tasksTooltip(const ipccore::WorkerStatus& worker) const;
    QString transportTooltip(const ipccore::WorkerStatus& worker) const;
    // Manager: a client's requests and replies, or the server's, read from its counters; who is a client or the
    // server is read from the programs given to setPrograms.
    QString requestsTooltip(const ipccore::WorkerStatus& worker) const;
    bool programHas(const ipccore::WorkerStatus& worker, ipccore::StepOp op) const;
    const ipccore::ProgramStep* currentStep(const ipccore::WorkerStatus& worker) const;
    // A blocked program's wait in its own terms (a client waits for the server's reply); empty where the object's
    // words say it all.
    QString waitMeaning(const ipccore::WorkerStatus& worker) const;
    QString deadServerOf(const ipccore::WorkerStatus& worker) const;
    void updateProgramsOnly();
    void updateUnusedColumns();

    std::vector<Row> m_rows;
    std::map<std::string, ipccore::ProgramSteps> m_programs; // by worker name
    std::set<std::string> m_semaphoreObjects; // names of the scenario's semaphore objects
    std::set<std::string> m_rendezvousObjects; // and of its rendezvous (CSP channels)
    std::map<std::string, PoolPart> m_poolParts; // by worker name
    PoolTotals m_poolTotals; // of the rows shown
    bool m_programsOnly = false; // every row is a program: the rate and total headers count passes
    bool m_tasksUnused = true;
    bool m_sizeUnused = false;
    bool m_priorityUnused = true;
    bool m_stepUnused = true; // no program among the rows
    bool m_latencyUnused = true; // no consumer among the rows
    bool m_hostUnused = true; // every worker runs on this machine
};

} // namespace ipcui
