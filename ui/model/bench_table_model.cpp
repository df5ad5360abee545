#include "model/bench_table_model.h"

#include <QCoreApplication>

#include <cmath>

namespace ipcui {

namespace {
const QString Dash = QStringLiteral("–");

QString ratioText(double ratio)
{
    if (!(ratio > 0))
        return Dash;
    // Ratios near 1 need two decimals to tell 0.93 from 0.97; large ones read better whole.
    return ratio >= 100 ? QStringLiteral("%1×").arg(ratio, 0, 'f', 0)
        : ratio >= 10   ? QStringLiteral("%1×").arg(ratio, 0, 'f', 1)
                        : QStringLiteral("%1×").arg(ratio, 0, 'f', 2);
}

QString mbText(double mb)
{
    if (!(mb > 0))
        return Dash;
    return mb >= 100 ? QString::number(mb, 'f', 0) : QString::number(mb, 'f', 1);
}

QString rangeTip(const ipccore::BenchStats& s, const QString& unit)
{
    return QCoreApplication::translate("ipcui", "median %1 %4, min %2, max %3 (±%5 %)")
        .arg(benchRateText(s.median), benchRateText(s.min), benchRateText(s.max), unit)
        .arg(s.spread() * 100, 0, 'f', 0);
}
} // namespace

QString benchRateText(double v)
{
    if (!(v > 0))
        return Dash;
    if (v >= 1e6)
        return QStringLiteral("%1 M").arg(v / 1e6, 0, 'f', v >= 1e8 ? 0 : v >= 1e7 ? 1 : 2);
    if (v >= 1e3)
        return QStringLiteral("%1 k").arg(v / 1e3, 0, 'f', v >= 1e5 ? 0 : 1);
    return QString::number(v, 'f', 0);
}

QString benchLatencyText(double us)
{
    if (us < 0)
        return Dash;
    if (us >= 100)
        return QString::number(us, 'f', 0);
    if (us >= 10)
        return QString::number(us, 'f', 1);
    if (us >= 1)
        return QString::number(us, 'f', 2);
    return QString::number(us, 'f', 3);
}

QString benchSizeText(quint32 bytes)
{
    if (bytes >= 1024 && bytes % 1024 == 0)
        return QStringLiteral("%1 KiB").arg(bytes / 1024);
    return QStringLiteral("%1 B").arg(bytes);
}

void BenchTableModel::markNoisy(Row& row)
{
    row.cells[RatioColumn] = tr("%1 noisy").arg(row.cells[RatioColumn]);
    ++m_noisyRows;
}

void BenchTableModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_noisyRows = 0;
    endResetModel();
}

void BenchTableModel::setReport(const ipccore::BenchReport& report)
{
    beginResetModel();
    m_rows.clear();
    m_noisyRows = 0;
    const ipccore::BenchResult* fastest64 = nullptr;
    const ipccore::BenchResult* slowestProgram = nullptr; // through programs, against its loops
    const ipccore::BenchResult* spsc64k = nullptr;
    for (const ipccore::BenchResult& r : report.results) {
        Row row;
        row.cells[MeasurementColumn] = QString::fromLatin1(ipccore::transportName(r.transport));
        row.cells[SizeColumn] = benchSizeText(r.size);
        if (!r.applicable) {
            row.kind = RowKind::NotApplicable;
            row.cells[ReferenceColumn] = QString::fromStdString(r.note);
            for (const Column c : { RateColumn, MbColumn, P50Column, P99Column, RatioColumn })
                row.cells[c] = Dash;
            row.toolTip = QString::fromStdString(r.note);
            m_rows.push_back(row);
            continue;
        }
        row.cells[RateColumn] = benchRateText(r.msgsPerS.median);
        row.cells[MbColumn] = mbText(r.mbPerS.median);
        row.cells[P50Column] = benchLatencyText(r.p50Us);
        row.cells[P99Column] = benchLatencyText(r.p99Us);
        row.cells[ReferenceColumn] = r.baseline.empty() ? Dash : QString::fromStdString(r.baseline);
        row.cells[RatioColumn] = ratioText(r.ratio);
        const bool noisy = r.noisy() && r.ratio > 0;
        if (noisy)
            markNoisy(row);
        row.toolTip = tr("%1 at %2 through ipccore: %3; %4 messages per run")
                          .arg(row.cells[MeasurementColumn], row.cells[SizeColumn], rangeTip(r.msgsPerS, tr("msgs/s")))
                          .arg(r.messagesPerRun);
        if (!r.baseline.empty())
            row.toolTip
                += tr("\n%1: %2").arg(QString::fromStdString(r.baseline), rangeTip(r.baselineMsgsPerS, tr("msgs/s")));
        if (noisy)
            row.toolTip += tr("\nNoisy: a run strayed more than ±%1 % from its median, so the ratio may be far off. "
                              "Race again on a quieter machine, with more repeats, or pinned to two CPUs.")
                               .arg(ipccore::BenchStats::NoisySpread * 100, 0, 'f', 0);
        if (r.programRatio > 0) {
            row.toolTip += tr("\nthrough programs (put, get): %1, %2 of the producer/consumer loops")
                               .arg(rangeTip(r.programMsgsPerS, tr("msgs/s")), ratioText(r.programRatio));
            if (!slowestProgram || r.programRatio < slowestProgram->programRatio)
                slowestProgram = &r;
        }
        m_rows.push_back(row);
        if (r.size == 64 && r.msgsPerS.median > 0 && (!fastest64 || r.msgsPerS.median > fastest64->msgsPerS.median))
            fastest64 = &r;
        if (r.size == 65536 && r.transport == ipccore::TransportKind::ShmSpsc)
            spsc64k = &r;
    }

    const double memcpy = report.memcpyMbPerS.median;
    if (memcpy > 0) {
        Row row;
        row.kind = RowKind::Memcpy;
        row.cells[MeasurementColumn] = tr("memcpy, one core");
        row.cells[SizeColumn] = benchSizeText(65536);
        row.cells[RateColumn] = benchRateText(memcpy * 1e6 / 65536);
        row.cells[MbColumn] = mbText(memcpy);
        row.cells[P50Column] = row.cells[P99Column] = Dash;
        if (spsc64k && spsc64k->mbPerS.median > 0) {
            row.cells[ReferenceColumn] = tr("shm-spsc 64 KiB ÷ memcpy");
            row.cells[RatioColumn] = ratioText(spsc64k->mbPerS.median / memcpy);
        } else {
            row.cells[ReferenceColumn] = row.cells[RatioColumn] = Dash;
        }
        row.toolTip = tr("The machine's memory bandwidth: the ceiling for any shared-memory transport; %1")
                          .arg(rangeTip(report.memcpyMbPerS, tr("MB/s")));
        m_rows.push_back(row);
    }

    for (const ipccore::BenchPython& p : report.python) {
        Row row;
        row.kind = RowKind::Python;
        // "multiprocessing.Queue" -> "Python Queue": the column stays narrow, the tooltip keeps the full name.
        QString name = QString::fromStdString(p.name);
        name.remove(QStringLiteral("multiprocessing."));
        row.cells[MeasurementColumn] = tr("Python %1").arg(name);
        row.cells[SizeColumn] = benchSizeText(64);
        row.cells[RateColumn] = benchRateText(p.msgsPerS);
        row.cells[MbColumn] = mbText(p.msgsPerS * 64 / 1e6);
        row.cells[P50Column] = row.cells[P99Column] = Dash;
        if (fastest64 && p.msgsPerS > 0) {
            row.cells[ReferenceColumn]
                = tr("%1 64 B ÷ Python").arg(QString::fromLatin1(ipccore::transportName(fastest64->transport)));
            row.cells[RatioColumn] = ratioText(fastest64->msgsPerS.median / p.msgsPerS);
            if (fastest64->msgsPerS.noisy())
                markNoisy(row);
        } else {
            row.cells[ReferenceColumn] = row.cells[RatioColumn] = Dash;
        }
        row.toolTip
            = tr("Python's %1: %2").arg(QString::fromStdString(p.name), QString::fromStdString(report.pythonNote));
        m_rows.push_back(row);
    }

    for (const ipccore::BenchSystem& x : report.systems) {
        Row row;
        row.kind = RowKind::Python;
        row.cells[MeasurementColumn] = QString::fromStdString(x.name);
        row.cells[SizeColumn] = row.cells[MbColumn] = row.cells[P50Column] = row.cells[P99Column] = Dash;
        row.cells[RateColumn] = benchRateText(x.lab.median);
        QString python = QString::fromStdString(x.python);
        python.remove(QStringLiteral("multiprocessing."));
        row.cells[ReferenceColumn] = x.pythonPerS > 0
            ? tr("%1: lab ÷ Python %2 (%3)").arg(QString::fromStdString(x.unit), python, benchRateText(x.pythonPerS))
            : tr("%1; Python not measured").arg(QString::fromStdString(x.unit));
        row.cells[RatioColumn] = ratioText(x.ratio());
        if (x.lab.noisy() && x.ratio() > 0)
            markNoisy(row);
        row.toolTip = tr("%1 through the lab's programs: %2\n%3")
                          .arg(QString::fromStdString(x.name), rangeTip(x.lab, QString::fromStdString(x.unit)),
                              QString::fromStdString(x.program));
        m_rows.push_back(row);
    }

    const ipccore::BenchObservation& ob = report.observation;
    const auto observation = [this](const QString& what, const QString& rate, const QString& reference,
                                 const QString& ratio, const QString& tip) {
        Row row;
        row.kind = RowKind::Observation;
        row.cells[MeasurementColumn] = what;
        row.cells[SizeColumn] = benchSizeText(64);
        row.cells[RateColumn] = rate;
        row.cells[MbColumn] = row.cells[P50Column] = row.cells[P99Column] = Dash;
        row.cells[ReferenceColumn] = reference;
        row.cells[RatioColumn] = ratio;
        row.toolTip = tip;
        m_rows.push_back(row);
    };
    if (slowestProgram) {
        const ipccore::BenchResult& r = *slowestProgram;
        observation(tr("Programs (put, get)"), benchRateText(r.programMsgsPerS.median),
            tr("÷ producer/consumer loops, slowest: %1 %2")
                .arg(QString::fromLatin1(ipccore::transportName(r.transport)), benchSizeText(r.size)),
            ratioText(r.programRatio),
            tr("The same transfer written as one-step programs, run back to back with the producer and consumer "
               "loops; the row shows the transport and size where programs lost the most. Every row's tooltip "
               "gives its own figure."));
        m_rows.back().cells[SizeColumn] = benchSizeText(r.size);
    }
    if (ob.telemetryMeasured)
        observation(tr("Telemetry on"), benchRateText(ob.telemetryOnMsgsPerS),
            tr("÷ telemetry off (%1)").arg(benchRateText(ob.telemetryOffMsgsPerS)), ratioText(ob.telemetryRatio),
            tr("What publishing counters to the telemetry board costs shm-spsc: median of back-to-back on/off pairs"));
    if (ob.samplerMeasured)
        observation(tr("Sampler at 1 kHz"), benchRateText(ob.samplerOnMsgsPerS),
            tr("÷ sampler off (%1)").arg(benchRateText(ob.samplerOffMsgsPerS)), ratioText(ob.samplerRatio),
            tr("What the runner's sampler costs the shm-spsc workers it watches, at 1000 samples a second"));
    if (ob.samplerCpuFraction >= 0)
        observation(tr("Sampler CPU"), Dash, tr("of one core, %1 workers at 1 kHz").arg(ob.samplerWorkers),
            QStringLiteral("%1 %").arg(ob.samplerCpuFraction * 100, 0, 'f', 1),
            tr("%1 µs of CPU per sample; %2 of 1000 samples/s taken")
                .arg(ob.samplerUsPerSample, 0, 'f', 1)
                .arg(ob.samplerHzAchieved, 0, 'f', 0));
    endResetModel();
}

int BenchTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int BenchTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant BenchTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount)
        return {};
    const Row& row = m_rows[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return row.cells[index.column()];
    case Qt::ToolTipRole:
        return row.toolTip;
    case Qt::TextAlignmentRole:
        if (index.column() == MeasurementColumn || index.column() == ReferenceColumn)
            return QVariant(Qt::AlignLeft | Qt::AlignVCenter);
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case KindRole:
        return int(row.kind);
    default:
        return {};
    }
}

QVariant BenchTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole) {
        switch (Column(section)) {
        case MeasurementColumn:
            return tr("Measurement");
        case SizeColumn:
            return tr("Size");
        case RateColumn:
            return tr("msgs/s");
        case MbColumn:
            return tr("MB/s");
        case P50Column:
            return tr("p50 µs");
        case P99Column:
            return tr("p99 µs");
        case ReferenceColumn:
            return tr("Compared with");
        case RatioColumn:
            return tr("Ratio");
        case ColumnCount:
            break;
        }
    } else if (role == Qt::ToolTipRole) {
        switch (Column(section)) {
        case RateColumn:
            return tr("Messages per second, median of the repeats (hover a row for min and max)");
        case MbColumn:
            return tr("Megabytes (10^6 bytes) per second");
        case P50Column:
        case P99Column:
            return tr("One-way latency from a ping-pong: half of each round trip, in microseconds");
        case ReferenceColumn:
        case RatioColumn:
            return tr("Transports: ipccore's msgs/s ÷ the same loop with bare system calls (1.00× = no overhead). "
                      "Python rows: the fastest transport ÷ Python. Manager and Pool.map: the lab's programs ÷ "
                      "Python's (above 1: the lab is faster). \"noisy\": a repeat strayed more than ±15 % from the "
                      "median");
        default:
            break;
        }
    }
    return {};
}

} // namespace ipcui
