#pragma once

// Every step of every program of the run, one row each, grouped by process as the CLI report's "Programs" section:
// how often it was done, how long one run of it takes on average, that step's share of the time the process spent in
// its steps, and the Python line it stands for. This is where a request through a Manager (a round trip through two
// queues and the server: tens of microseconds) is read beside the same counter kept in shared memory (a locked read
// and write: hundredths of a microsecond). The rows come from the programs (setPrograms) and stay for the run; each
// snapshot only updates their figures (dataChanged), so the selection and scroll position stay put.

#include "ipccore/runner.h"

#include <QAbstractTableModel>

#include <string>
#include <vector>

namespace ipcui {

class ProgramStepsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        ProcessColumn, // the process's name, on its first step's row only
        StepColumn, // "2/6 request manager replies-1 set d[count] +1"
        DoneColumn,
        MissedColumn, // steps that can give up (a timeout); hidden when no step of the run has one
        MeanColumn, // "37 µs", "0.05 µs", "2.4 ms"
        ShareColumn, // of the time the process spent in its steps
        PythonColumn,
        ColumnCount
    };
    enum Roles {
        WorkerRole = Qt::UserRole + 1, // the process's name on every row of its steps
        MeanUsRole, // double, microseconds (0 before the step has completed once)
    };

    explicit ProgramStepsModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // One row per step of each program worker of the scenario, in its order, nothing counted yet.
    void setPrograms(const ipccore::Scenario& scenario);
    // The figures of a live sample, matched to the rows by the worker's name.
    void apply(const ipccore::Snapshot& snapshot);
    // The figures of the run's report: what the workers did after the last sample.
    void applyFinalCounts(const std::vector<ipccore::WorkerSummary>& workers);

    // Whether the run has any program (the view is worth showing).
    bool hasPrograms() const { return !m_rows.empty(); }
    // The row of a worker's step, or -1.
    int rowOf(const std::string& worker, std::size_t step) const;
    // Missed when no step of the run can give up (none has a timeout).
    bool isColumnUnused(int column) const;

private:
    struct Row {
        std::string worker;
        std::size_t step = 0;
        std::size_t steps = 0; // of its program
        QString text; // "request manager replies-1 get d[count]"
        QString python;
        bool canMiss = false;
        bool neverWaits = false; // a timeout of 0 ms
        std::uint64_t done = 0;
        std::uint64_t missed = 0;
        double meanUs = 0;
        double share = -1; // 0..1 of the process's time in its steps; < 0 while nothing is timed
    };
    QVariant display(const Row& row, int column) const;
    QString tooltip(const Row& row, int column) const;
    void update(const std::string& worker, const std::vector<std::uint64_t>& done,
        const std::vector<std::uint64_t>& missed, const std::vector<double>& meanUs);

    std::vector<Row> m_rows;
    bool m_anyCanMiss = false;
};

} // namespace ipcui
