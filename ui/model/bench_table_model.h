#pragma once

// A bench report as one compact table: a row per transport and size (through ipccore, with its ratio to the bare
// baseline), then memcpy, the Python multiprocessing reference and the cost of observing. setReport() replaces the
// whole table at once: a report arrives once per race, so there is no selection or scroll position to keep.

#include "ipccore/bench.h"

#include <QAbstractTableModel>
#include <QString>

#include <vector>

namespace ipcui {

// "612 k", "1.23 M": rates span four decades, and a student reads thousands and millions faster than digits.
QString benchRateText(double perSecond);
// Microseconds with three significant digits, "-" when not measured (negative).
QString benchLatencyText(double us);
// "64 B", "4 KiB", "64 KiB", "1000 B".
QString benchSizeText(quint32 bytes);

class BenchTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        MeasurementColumn,
        SizeColumn,
        RateColumn,
        MbColumn,
        P50Column,
        P99Column,
        ReferenceColumn,
        RatioColumn,
        ColumnCount
    };
    enum class RowKind { Result, NotApplicable, Memcpy, Python, Observation };
    enum Roles { KindRole = Qt::UserRole + 1 };

    using QAbstractTableModel::QAbstractTableModel;

    void setReport(const ipccore::BenchReport& report);
    // How many rows the report's table marks noisy (BenchStats::noisy): transports, the Python rows drawn from a
    // noisy figure, and the systems through programs.
    int noisyRowCount() const { return m_noisyRows; }
    void clear();
    bool hasReport() const { return !m_rows.empty(); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Row {
        RowKind kind = RowKind::Result;
        QString cells[ColumnCount];
        QString toolTip;
    };
    // Appends "noisy" to the row's ratio and counts it.
    void markNoisy(Row& row);
    std::vector<Row> m_rows;
    int m_noisyRows = 0;
};

} // namespace ipcui
