#include "model/run_history.h"

#include <QIODevice>
#include <QTextStream>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

namespace ipcui {

namespace {
constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

QString kindName(SeriesKind kind)
{
    switch (kind) {
    case SeriesKind::TotalThroughput:
        return QStringLiteral("throughput");
    case SeriesKind::WorkerThroughput:
        return QStringLiteral("throughput");
    case SeriesKind::Depth:
        return QStringLiteral("depth");
    case SeriesKind::Semaphore:
        return QStringLiteral("semaphore");
    case SeriesKind::Blocked:
        return QStringLiteral("blocked");
    case SeriesKind::Increments:
        return QStringLiteral("increments");
    case SeriesKind::CellSum:
        return QStringLiteral("cell-sum");
    case SeriesKind::RoleThroughput:
        return QStringLiteral("throughput");
    case SeriesKind::RoleBlocked:
        return QStringLiteral("blocked");
    }
    return {};
}

// "producers", "consumers", "programs": the legend's name for all the workers of a role.
QString rolePlural(ipccore::Role role)
{
    return QString::fromLatin1(ipccore::roleName(role)) + QLatin1Char('s');
}

QString csvQuote(const QString& text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}
} // namespace

RunHistory::RunHistory(double recordHz, double retentionS)
    : m_recordIntervalS(recordHz > 0 ? 1.0 / recordHz : 0)
    , m_retentionS(retentionS)
{
    clear();
}

void RunHistory::clear()
{
    m_series.clear();
    m_values.clear();
    m_times.clear();
    m_workerMeters.clear();
    m_workerThroughputSeries.clear();
    m_workerBlockedSeries.clear();
    m_depthSeries.clear();
    m_incrementSeries.clear();
    m_cellSumSeries.clear();
    m_semaphoreSeries.clear();
    m_objectsOnHosts = false;
    std::fill(std::begin(m_roleThroughputSeries), std::end(m_roleThroughputSeries), -1);
    std::fill(std::begin(m_roleBlockedSeries), std::end(m_roleBlockedSeries), -1);
    m_totalMeter.reset();
    m_lastSampleT = -1;
    ++m_revision;
    addSeries({ SeriesKind::TotalThroughput, QStringLiteral("total"), QStringLiteral("msgs/s") });
}

int RunHistory::addSeries(SeriesInfo info)
{
    m_series.push_back(std::move(info));
    m_values.emplace_back(m_times.size(), NaN);
    return int(m_series.size()) - 1;
}

QList<int> RunHistory::seriesOfKind(SeriesKind kind) const
{
    QList<int> found;
    for (std::size_t i = 0; i < m_series.size(); ++i) {
        if (m_series[i].kind == kind)
            found.append(int(i));
    }
    return found;
}

void RunHistory::append(const ipccore::Snapshot& snapshot)
{
    const double t = snapshot.t;
    const double dt = m_lastSampleT < 0 ? 0 : std::max(0.0, t - m_lastSampleT);
    const bool first = m_lastSampleT < 0;
    m_lastSampleT = t;
    for (const ipccore::ObjectStatus& object : snapshot.objects)
        m_objectsOnHosts = m_objectsOnHosts || !object.host.empty();

    // Meters: every snapshot, so short spells of blocking and bursts are counted. The total meters the same counters
    // as the workers' lines (what got through: messages received, or values written to a shared value, as
    // Snapshot::totalMsgsPerS sums them), so it agrees with them from the first second.
    std::vector<ipccore::ThroughputParty> parties;
    for (const ipccore::WorkerStatus& worker : snapshot.workers)
        parties.push_back({ worker.transport, worker.role });
    const std::vector<bool> counted = ipccore::countedInTotal(parties);
    double through = 0;
    for (std::size_t i = 0; i < snapshot.workers.size(); ++i) {
        if (counted[i])
            through += double(snapshot.workers[i].messages);
    }
    m_totalMeter.add(t, through);
    for (std::size_t i = 0; i < snapshot.workers.size(); ++i) {
        const ipccore::WorkerStatus& worker = snapshot.workers[i];
        if (i >= m_workerMeters.size()) {
            m_workerMeters.emplace_back();
            // On a worker host: "collector@lab2", as the process table and the timeline name it.
            const QString name = QString::fromStdString(ipccore::placedName(worker.name, worker.host));
            m_workerThroughputSeries.push_back(addSeries(
                { SeriesKind::WorkerThroughput, name, QStringLiteral("msgs/s"), int(i), -1, -1, worker.role }));
            m_workerBlockedSeries.push_back(
                addSeries({ SeriesKind::Blocked, name, QStringLiteral("%"), int(i), -1, -1, worker.role }));
            const auto role = std::size_t(worker.role);
            if (role < std::size(m_roleThroughputSeries) && m_roleThroughputSeries[role] < 0) {
                m_roleThroughputSeries[role]
                    = addSeries({ SeriesKind::RoleThroughput, QStringLiteral("all ") + rolePlural(worker.role),
                        QStringLiteral("msgs/s"), -1, -1, -1, worker.role });
                m_roleBlockedSeries[role]
                    = addSeries({ SeriesKind::RoleBlocked, rolePlural(worker.role) + QStringLiteral(" (mean)"),
                        QStringLiteral("%"), -1, -1, -1, worker.role });
            }
        }
        WorkerMeters& meters = m_workerMeters[i];
        meters.messages.add(t, double(worker.messages));
        if (worker.alive && ipccore::isBlocked(worker.state))
            meters.blockedSeconds += dt;
        meters.blocked.add(t, meters.blockedSeconds);
    }
    for (std::size_t j = m_depthSeries.size(); j < snapshot.objects.size(); ++j) {
        const ipccore::ObjectStatus& object = snapshot.objects[j];
        const QString name = QString::fromStdString(ipccore::placedName(object.name, object.host));
        // Only objects that carry messages have a depth; a semaphore's value is a Semaphore series below. A
        // broadcast's is in copies (one for each message and each subscriber yet to receive it).
        const ipccore::TransportTraits& transport = ipccore::traits(object.transport);
        const QString unit = transport.broadcast ? QStringLiteral("copies") : QStringLiteral("messages");
        m_depthSeries.push_back(
            transport.carriesMessages ? addSeries({ SeriesKind::Depth, name, unit, -1, int(j) }) : -1);
        // The value first, so that the dashed increments line is drawn over it and stays visible where the two
        // are equal (no update lost).
        const bool array = object.transport == ipccore::TransportKind::ShmArray;
        m_cellSumSeries.push_back(array
                ? addSeries({ SeriesKind::CellSum, name + QStringLiteral(": value (sum of cells)"),
                    QStringLiteral("count"), -1, int(j) })
                : -1);
        m_incrementSeries.push_back(array
                ? addSeries({ SeriesKind::Increments, name + QStringLiteral(": increments made"),
                    QStringLiteral("count"), -1, int(j) })
                : -1);
        m_semaphoreSeries.emplace_back();
        addSemaphoreSeries(snapshot, j);
    }
    // An object on a worker host is listed before its host's first snapshot, with no semaphores: they get their
    // series when they come.
    for (std::size_t j = 0; j < snapshot.objects.size() && j < m_semaphoreSeries.size(); ++j)
        addSemaphoreSeries(snapshot, j);

    // One point per 1/recordHz slot of time (not "interval since the last point"), so a 50 Hz sampler still
    // yields 20 points a second instead of alternating 40 and 60 ms gaps.
    const auto slot = [this](double at) { return std::floor(at / m_recordIntervalS + 1e-6); };
    if (first || m_times.empty() || m_recordIntervalS <= 0 || slot(t) > slot(m_times.back()))
        record(snapshot);
}

void RunHistory::addSemaphoreSeries(const ipccore::Snapshot& snapshot, std::size_t j)
{
    const ipccore::ObjectStatus& object = snapshot.objects[j];
    std::vector<int>& semaphores = m_semaphoreSeries[j];
    for (std::size_t k = semaphores.size(); k < object.semaphores.size(); ++k) {
        // "far.empty@lab2" on a worker host, as its processes are named.
        const std::string semaphore = object.name + "." + object.semaphores[k].role;
        semaphores.push_back(
            addSeries({ SeriesKind::Semaphore, QString::fromStdString(ipccore::placedName(semaphore, object.host)),
                QStringLiteral("value"), -1, int(j), int(k) }));
    }
}

void RunHistory::record(const ipccore::Snapshot& snapshot)
{
    const double t = snapshot.t;
    m_times.push_back(t);
    for (auto& values : m_values)
        values.push_back(NaN);
    auto set = [this](int series, double value) { m_values[std::size_t(series)].back() = value; };

    set(0, m_totalMeter.rate());
    double roleRate[3] = {}, roleBlocked[3] = {};
    int roleAlive[3] = {};
    for (std::size_t i = 0; i < snapshot.workers.size() && i < m_workerMeters.size(); ++i) {
        const double rate = m_workerMeters[i].messages.rate();
        const double blocked = 100.0 * std::clamp(m_workerMeters[i].blocked.rate(), 0.0, 1.0);
        set(m_workerThroughputSeries[i], rate);
        set(m_workerBlockedSeries[i], blocked);
        const auto role = std::size_t(snapshot.workers[i].role);
        if (role < std::size(roleRate)) {
            roleRate[role] += rate;
            if (snapshot.workers[i].alive) {
                roleBlocked[role] += blocked;
                ++roleAlive[role];
            }
        }
    }
    for (std::size_t role = 0; role < std::size(roleRate); ++role) {
        if (m_roleThroughputSeries[role] < 0)
            continue;
        set(m_roleThroughputSeries[role], roleRate[role]);
        if (roleAlive[role] > 0)
            set(m_roleBlockedSeries[role], roleBlocked[role] / roleAlive[role]);
    }
    for (std::size_t j = 0; j < snapshot.objects.size() && j < m_depthSeries.size(); ++j) {
        const ipccore::ObjectStatus& object = snapshot.objects[j];
        if (m_depthSeries[j] >= 0 && object.depth >= 0)
            set(m_depthSeries[j], double(object.depth));
        if (m_incrementSeries[j] >= 0 && j < snapshot.objectLedgers.size()) {
            set(m_incrementSeries[j], double(snapshot.objectLedgers[j].increments));
            set(m_cellSumSeries[j], double(snapshot.objectLedgers[j].cellSum));
        }
        for (std::size_t k = 0; k < object.semaphores.size() && k < m_semaphoreSeries[j].size(); ++k)
            set(m_semaphoreSeries[j][k], double(object.semaphores[k].value));
    }

    while (!m_times.empty() && m_times.front() < t - m_retentionS) {
        m_times.pop_front();
        for (auto& values : m_values)
            values.pop_front();
    }
    ++m_revision;
}

QList<QPointF> RunHistory::points(int series, double t0, double t1, int maxPoints) const
{
    QList<QPointF> result;
    if (series < 0 || series >= seriesCount() || t1 < t0)
        return result;
    const auto& values = m_values[std::size_t(series)];
    const auto begin = std::lower_bound(m_times.begin(), m_times.end(), t0);
    const auto end = std::upper_bound(begin, m_times.end(), t1);
    const std::size_t first = std::size_t(begin - m_times.begin());
    const std::size_t last = std::size_t(end - m_times.begin());
    const std::size_t count = last - first;
    if (count == 0)
        return result;

    const std::size_t buckets = std::max<std::size_t>(1, std::size_t(std::max(2, maxPoints)) / 2);
    if (count <= std::size_t(std::max(2, maxPoints))) {
        result.reserve(qsizetype(count));
        for (std::size_t i = first; i < last; ++i) {
            if (!std::isnan(values[i]))
                result.append(QPointF(m_times[i], values[i]));
        }
        return result;
    }
    result.reserve(qsizetype(buckets * 2));
    for (std::size_t b = 0; b < buckets; ++b) {
        const std::size_t from = first + count * b / buckets;
        const std::size_t to = first + count * (b + 1) / buckets;
        std::size_t minAt = to, maxAt = to;
        for (std::size_t i = from; i < to; ++i) {
            if (std::isnan(values[i]))
                continue;
            if (minAt == to || values[i] < values[minAt])
                minAt = i;
            if (maxAt == to || values[i] > values[maxAt])
                maxAt = i;
        }
        if (minAt == to)
            continue;
        const std::size_t a = std::min(minAt, maxAt), c = std::max(minAt, maxAt);
        result.append(QPointF(m_times[a], values[a]));
        if (c != a)
            result.append(QPointF(m_times[c], values[c]));
    }
    return result;
}

double RunHistory::maxValue(int series, double t0, double t1) const
{
    if (series < 0 || series >= seriesCount())
        return 0;
    const auto& values = m_values[std::size_t(series)];
    const auto begin = std::lower_bound(m_times.begin(), m_times.end(), t0);
    const auto end = std::upper_bound(begin, m_times.end(), t1);
    double best = 0;
    for (auto it = begin; it != end; ++it) {
        const double v = values[std::size_t(it - m_times.begin())];
        if (!std::isnan(v))
            best = std::max(best, v);
    }
    return best;
}

double RunHistory::latest(int series) const
{
    if (series < 0 || series >= seriesCount() || m_times.empty())
        return NaN;
    return m_values[std::size_t(series)].back();
}

double RunHistory::workerRate(int worker) const
{
    if (worker < 0 || std::size_t(worker) >= m_workerMeters.size())
        return 0;
    return m_workerMeters[std::size_t(worker)].messages.rate();
}

double RunHistory::workerBlockedPercent(int worker) const
{
    if (worker < 0 || std::size_t(worker) >= m_workerMeters.size())
        return 0;
    return 100.0 * std::clamp(m_workerMeters[std::size_t(worker)].blocked.rate(), 0.0, 1.0);
}

QString RunHistory::csvHeader() const
{
    QStringList columns { QStringLiteral("t_s") };
    for (const SeriesInfo& info : m_series)
        columns << csvQuote(QStringLiteral("%1:%2 (%3)").arg(kindName(info.kind), info.label, info.unit));
    return columns.join(QLatin1Char(','));
}

bool RunHistory::writeCsv(QIODevice& device) const
{
    QTextStream out(&device);
    out << csvHeader() << '\n';
    for (std::size_t row = 0; row < m_times.size(); ++row) {
        out << QString::number(m_times[row], 'f', 3);
        for (const auto& values : m_values) {
            out << ',';
            if (!std::isnan(values[row]))
                out << QString::number(values[row], 'g', 10);
        }
        out << '\n';
    }
    out.flush();
    return out.status() == QTextStream::Ok;
}

} // namespace ipcui
