#pragma once

// Bounded, time-window-trimmed histories of one run, fed with every snapshot on the GUI thread and read by the
// charts and the CSV export. Memory stays bounded however long the run and whatever the sampling rate: points are
// recorded at most `recordHz` times a second and dropped once older than `retentionS`.

#include "ipccore/runner.h"
#include "model/rate_meter.h"

#include <QList>
#include <QPointF>
#include <QString>

#include <cstddef>
#include <deque>
#include <vector>

class QIODevice;

namespace ipcui {

enum class SeriesKind {
    TotalThroughput, // msgs/s, all consumers (or, for shm-value, producers)
    WorkerThroughput, // msgs/s of one worker
    Depth, // messages in one object that carries messages
    Semaphore, // value of one semaphore (a ring's, an array's lock, a semaphore object's permits)
    Blocked, // % of the last second a worker was seen blocked
    // A shared array (shm-array), from its ledger: what the writes added up to, and what the cells hold. The gap
    // between the two lines is the lost updates.
    Increments,
    CellSum,
    // All the workers of one role together, which the charts draw instead of one line per worker when there are
    // too many lines to tell apart: their msgs/s summed, and the mean of their Blocked values (live workers only).
    RoleThroughput,
    RoleBlocked,
};

struct SeriesInfo {
    SeriesKind kind = SeriesKind::TotalThroughput;
    QString label; // legend text: worker or object name, "buffer.empty"
    QString unit; // "msgs/s", "messages", "copies" (a broadcast's depth), "value", "%", "count"
    int worker = -1; // index into Snapshot::workers
    int object = -1; // index into Snapshot::objects
    int semaphore = -1; // index into ObjectStatus::semaphores
    ipccore::Role role = ipccore::Role::Producer; // a worker's, or the role a Role* series adds up
};

class RunHistory {
public:
    static constexpr double DefaultRecordHz = 20;
    static constexpr double DefaultRetentionS = 15 * 60; // the longest chart window (10 min) plus scroll-back room

    explicit RunHistory(double recordHz = DefaultRecordHz, double retentionS = DefaultRetentionS);

    void clear();
    // Call with every snapshot of a run, in order. Meters see every snapshot; points are recorded at most
    // recordHz times a second.
    void append(const ipccore::Snapshot& snapshot);

    int seriesCount() const { return int(m_series.size()); }
    const SeriesInfo& series(int index) const { return m_series[std::size_t(index)]; }
    QList<int> seriesOfKind(SeriesKind kind) const;

    std::size_t sampleCount() const { return m_times.size(); }
    // Some object lives on a worker host: its semaphores (if it has any) come with its host's first snapshot.
    bool objectsOnHosts() const { return m_objectsOnHosts; }
    double firstTime() const { return m_times.empty() ? 0 : m_times.front(); }
    double lastTime() const { return m_times.empty() ? 0 : m_times.back(); }
    // Increases whenever a point is recorded or the history is cleared; lets views skip unchanged replots.
    quint64 revision() const { return m_revision; }
    double retentionS() const { return m_retentionS; }

    // The points of one series with t0 <= t <= t1, at most maxPoints of them: longer stretches keep the minimum and
    // the maximum of each bucket, so spikes survive decimation.
    QList<QPointF> points(int series, double t0, double t1, int maxPoints) const;
    // Largest value of a series in [t0, t1]; 0 when there is none.
    double maxValue(int series, double t0, double t1) const;
    // Most recent recorded value; NaN when none.
    double latest(int series) const;

    // Smoothed rates over the last second (updated with every snapshot).
    double totalRate() const { return m_totalMeter.rate(); }
    double workerRate(int worker) const;
    double workerBlockedPercent(int worker) const;

    // "t_s,<kind>:<label> (<unit>),..." then one row per recorded sample; empty cells where a series had no value.
    bool writeCsv(QIODevice& device) const;
    QString csvHeader() const;

private:
    int addSeries(SeriesInfo info);
    void record(const ipccore::Snapshot& snapshot);
    // The series of object j's semaphores that it has now and that have none yet.
    void addSemaphoreSeries(const ipccore::Snapshot& snapshot, std::size_t j);

    struct WorkerMeters {
        RateMeter messages;
        RateMeter blocked;
        double blockedSeconds = 0; // integral of the sampled blocked state
    };

    double m_recordIntervalS;
    double m_retentionS;
    quint64 m_revision = 0;
    double m_lastSampleT = -1;
    RateMeter m_totalMeter;
    std::vector<WorkerMeters> m_workerMeters;
    std::vector<int> m_workerThroughputSeries, m_workerBlockedSeries; // per worker index
    std::vector<int> m_depthSeries; // per object index; -1 for an object without messages
    std::vector<int> m_incrementSeries, m_cellSumSeries; // per object index; -1 except for shared arrays
    std::vector<std::vector<int>> m_semaphoreSeries; // per object, per semaphore
    bool m_objectsOnHosts = false;
    // Per Role (Producer, Consumer, Program); -1 until a worker of that role comes.
    int m_roleThroughputSeries[3] = { -1, -1, -1 }, m_roleBlockedSeries[3] = { -1, -1, -1 };

    std::vector<SeriesInfo> m_series;
    std::deque<double> m_times;
    std::vector<std::deque<double>> m_values; // aligned with m_times, NaN where a series had no value
};

} // namespace ipcui
