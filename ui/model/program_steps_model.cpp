#include "model/program_steps_model.h"

#include "model/duration_text.h"

#include "ipccore/program.h"

#include <QLocale>

namespace ipcui {

ProgramStepsModel::ProgramStepsModel(QObject* parent)
    : QAbstractTableModel(parent)
{ }

int ProgramStepsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ProgramStepsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

void ProgramStepsModel::setPrograms(const ipccore::Scenario& scenario)
{
    beginResetModel();
    m_rows.clear();
    m_anyCanMiss = false;
    for (const ipccore::WorkerSpec& worker : scenario.workers) {
        if (worker.role != ipccore::Role::Program)
            continue;
        for (std::size_t i = 0; i < worker.program.size(); ++i) {
            const ipccore::ProgramStep& step = worker.program[i];
            Row row;
            row.worker = worker.name;
            row.step = i;
            row.steps = worker.program.size();
            row.text = QString::fromStdString(ipccore::stepText(step));
            row.python = QString::fromStdString(ipccore::stepPython(step));
            // Only a step that waits with a timeout gives up (an acquire, put, get or request with "100ms").
            row.canMiss = ipccore::stepCanTimeOut(step.op) && step.timeoutMs.has_value();
            row.neverWaits = row.canMiss && *step.timeoutMs == 0;
            m_anyCanMiss = m_anyCanMiss || row.canMiss;
            m_rows.push_back(std::move(row));
        }
    }
    endResetModel();
}

int ProgramStepsModel::rowOf(const std::string& worker, std::size_t step) const
{
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].worker == worker && m_rows[i].step == step)
            return int(i);
    }
    return -1;
}

bool ProgramStepsModel::isColumnUnused(int column) const
{
    return column == MissedColumn && !m_anyCanMiss;
}

void ProgramStepsModel::update(const std::string& worker, const std::vector<std::uint64_t>& done,
    const std::vector<std::uint64_t>& missed, const std::vector<double>& meanUs)
{
    // A worker's rows are contiguous, in step order.
    std::size_t first = 0;
    while (first < m_rows.size() && m_rows[first].worker != worker)
        ++first;
    if (first == m_rows.size())
        return;
    std::size_t end = first;
    while (end < m_rows.size() && m_rows[end].worker == worker)
        ++end;
    const auto at = [](const auto& values, std::size_t i) { return i < values.size() ? values[i] : 0; };
    // Each step's share of the time the process spent in its steps: its mean times the runs done.
    double total = 0;
    for (std::size_t i = first; i < end; ++i) {
        const std::size_t step = m_rows[i].step;
        total += double(at(done, step)) * at(meanUs, step);
    }
    bool changed = false;
    for (std::size_t i = first; i < end; ++i) {
        Row& row = m_rows[i];
        const std::uint64_t d = at(done, row.step);
        const std::uint64_t m = at(missed, row.step);
        const double mean = at(meanUs, row.step);
        const double share = total > 0 ? double(d) * mean / total : -1;
        if (d == row.done && m == row.missed && mean == row.meanUs && share == row.share)
            continue;
        row.done = d;
        row.missed = m;
        row.meanUs = mean;
        row.share = share;
        changed = true;
    }
    if (changed)
        emit dataChanged(index(int(first), DoneColumn), index(int(end) - 1, ShareColumn));
}

void ProgramStepsModel::apply(const ipccore::Snapshot& snapshot)
{
    for (const ipccore::WorkerStatus& w : snapshot.workers) {
        if (w.role == ipccore::Role::Program)
            update(w.name, w.stepDone, w.stepMissed, w.stepMeanUs);
    }
}

void ProgramStepsModel::applyFinalCounts(const std::vector<ipccore::WorkerSummary>& workers)
{
    for (const ipccore::WorkerSummary& w : workers) {
        if (w.role == ipccore::Role::Program)
            update(w.name, w.stepDone, w.stepMissed, w.stepMeanUs);
    }
}

QVariant ProgramStepsModel::display(const Row& row, int column) const
{
    const QLocale locale;
    switch (column) {
    case ProcessColumn:
        // The name once, on its first step: the rows under it are its steps.
        return row.step == 0 ? QString::fromStdString(row.worker) : QString();
    case StepColumn:
        return QStringLiteral("%1/%2 %3").arg(row.step + 1).arg(row.steps).arg(row.text);
    case DoneColumn:
        return locale.toString(qulonglong(row.done));
    case MissedColumn:
        return row.canMiss ? locale.toString(qulonglong(row.missed)) : QString();
    case MeanColumn:
        return durationText(row.meanUs);
    case ShareColumn:
        if (row.share < 0)
            return QStringLiteral("–");
        // Below one percent the first digit that is not zero is worth seeing: 0.3% is what a locked read costs
        // beside a round trip.
        return QStringLiteral("%1%").arg(
            100 * row.share, 0, 'f', row.share > 0 && row.share < 0.00995 ? 2 : (row.share < 0.0995 ? 1 : 0));
    case PythonColumn:
        return row.python;
    default:
        return {};
    }
}

QString ProgramStepsModel::tooltip(const Row& row, int column) const
{
    const QString name = QString::fromStdString(row.worker);
    switch (column) {
    case MeanColumn: {
        if (row.meanUs <= 0)
            return tr("Not completed yet");
        QString tip = tr("%1's step %2 takes %3 on average over the %4 times it completed")
                          .arg(name)
                          .arg(row.step + 1)
                          .arg(durationText(row.meanUs), QLocale().toString(qulonglong(row.done)));
        if (row.text.startsWith(QLatin1String("request ")))
            tip += tr(": the round trip of one call through the Manager's proxy (put the request, the server takes "
                      "it and answers, take the reply)");
        else if (row.text.startsWith(QLatin1String("serve ")))
            tip += tr(": take one request (waiting for it included), apply it, put the reply");
        else if (row.text.startsWith(QLatin1String("acquire ")))
            tip += tr(" (waiting for the lock or permit included)");
        return tip;
    }
    case ShareColumn:
        return tr("Of the time %1 spent in its steps: this step's mean time × the times it was done").arg(name);
    case MissedColumn: {
        if (!row.canMiss)
            return {};
        QString tip = tr("%1's step %2 gave up %3 times: its wait ran out, which ends that pass (its later steps "
                         "are skipped) and the next pass starts (Python's queue.Empty, queue.Full or posix_ipc's "
                         "BusyError, caught)")
                          .arg(name)
                          .arg(row.step + 1)
                          .arg(QLocale().toString(qulonglong(row.missed)));
        // A trial user met millions here and could not tell why.
        if (row.neverWaits)
            tip += tr(". Its timeout is 0 ms, so it never waits: every try that cannot go on at once counts "
                      "here, and a program that loops fast counts them by the million. A longer timeout waits "
                      "instead.");
        return tip;
    }
    case ProcessColumn:
    case StepColumn:
        return tr("%1, step %2 of %3: %4\nPython: %5")
            .arg(name)
            .arg(row.step + 1)
            .arg(row.steps)
            .arg(row.text, row.python);
    default:
        return {};
    }
}

QVariant ProgramStepsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& row = m_rows[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return display(row, index.column());
    case Qt::ToolTipRole: {
        const QString tip = tooltip(row, index.column());
        return tip.isEmpty() ? QVariant() : QVariant(tip);
    }
    case Qt::TextAlignmentRole:
        switch (index.column()) {
        case DoneColumn:
        case MissedColumn:
        case MeanColumn:
        case ShareColumn:
            return int(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return int(Qt::AlignLeft | Qt::AlignVCenter);
        }
    case WorkerRole:
        return QString::fromStdString(row.worker);
    case MeanUsRole:
        return row.meanUs;
    default:
        return {};
    }
}

QVariant ProgramStepsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case ProcessColumn:
            return tr("Process");
        case StepColumn:
            return tr("Step");
        case DoneColumn:
            return tr("Done");
        case MissedColumn:
            return tr("Missed");
        case MeanColumn:
            return tr("Mean time");
        case ShareColumn:
            return tr("Share of its time");
        case PythonColumn:
            return tr("Python");
        default:
            return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case DoneColumn:
            return tr("Times the step completed");
        case MissedColumn:
            return tr("Times the step gave up: its wait timed out (posix_ipc's BusyError, queue.Full, queue.Empty)");
        case MeanColumn:
            return tr("Mean time of one completed run of the step, waits included; a request's is its round trip "
                      "through the server");
        case ShareColumn:
            return tr("The step's part of the time the process spent in its steps (mean time × done)");
        case PythonColumn:
            return tr("The Python line the step stands for");
        default:
            return {};
        }
    }
    return {};
}

} // namespace ipcui
