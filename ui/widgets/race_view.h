#pragma once

// The Race tab: races every transport against its bare system-call baseline, memcpy and Python multiprocessing
// (ipccore/bench.h) in the background, with a progress bar and Cancel, then shows msgs/s per transport and size and
// one-way latency p50/p99 as bar charts on log scales, and the figures with their ratios in a table. The form checks
// its options with validateBenchOptions as they are edited and refuses to start with the reason. A race and a live
// run would disturb each other's numbers, so Start waits while a live run is going (MainWindow says so).

#include "ipccore/bench.h"

#include <QString>
#include <QWidget>

#include <map>
#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;

namespace ipcui {

class BenchRunner;
class BenchTableModel;
class LogBarChart;

class RaceView : public QWidget {
    Q_OBJECT
public:
    static constexpr int DefaultMessages = 20000; // a full race takes well under a minute on 2 cores
    static constexpr int DefaultRepeat = 3;

    explicit RaceView(BenchRunner* runner, QWidget* parent = nullptr);

    // Empty lets the bench find ipclab-worker beside the running executable (the observation part spawns workers).
    void setWorkerPath(const QString& path) { m_workerPath = path; }
    // While true, Start is disabled and the label says why.
    void setLiveRunActive(bool active);

    // The options as the form shows them.
    ipccore::BenchOptions options() const;
    // The form's verdict on its options; empty when they can run.
    QString problem() const;
    // Starts a race; returns (and shows) the reason when refused.
    QString start();
    void cancel();

    bool hasReport() const { return m_report.has_value(); }
    const ipccore::BenchReport* report() const { return m_report ? &*m_report : nullptr; }
    // Shows a report as if a race had just produced it (tests, README pictures).
    void showReport(const ipccore::BenchReport& report);
    void clearReport();

    // Saves <base>-throughput.png and <base>-latency.png; returns the files written.
    QStringList saveChartsPng(const QString& basePath) const;
    bool saveChartPng(LogBarChart* chart, const QString& path) const;

    QPushButton* startButton() const { return m_start; }
    QPushButton* cancelButton() const { return m_cancel; }
    QSpinBox* messagesBox() const { return m_messages; }
    QSpinBox* repeatBox() const { return m_repeat; }
    QCheckBox* transportBox(ipccore::TransportKind kind) const;
    QCheckBox* sizeBox(quint32 bytes) const;
    QCheckBox* baselinesBox() const { return m_baselines; }
    QCheckBox* pythonBox() const { return m_python; }
    QCheckBox* observationBox() const { return m_observation; }
    QProgressBar* progressBar() const { return m_progress; }
    QString shownProblem() const;
    QString statusText() const;
    LogBarChart* throughputChart() const { return m_throughput; }
    LogBarChart* latencyChart() const { return m_latency; }
    QComboBox* latencySizeBox() const { return m_latencySize; }
    BenchTableModel* tableModel() const { return m_model; }
    QTableView* table() const { return m_table; }

signals:
    void errorOccurred(const QString& message);
    void notice(const QString& message);

private:
    QWidget* buildOptions();
    QWidget* buildResults();
    void updateControls();
    void onProgress(int step, int steps, const QString& what);
    void onFinished(const ipccore::BenchReport& report);
    void onEnded(const QString& status, const QString& error);
    void showLatency();
    void exportPng();
    void exportJson();
    void showChartMenu(LogBarChart* chart, const QPoint& pos);

    BenchRunner* m_runner;
    BenchTableModel* m_model;
    QString m_workerPath;
    bool m_liveRunActive = false;
    std::optional<ipccore::BenchReport> m_report;

    std::map<ipccore::TransportKind, QCheckBox*> m_transports;
    std::map<quint32, QCheckBox*> m_sizes;
    QSpinBox* m_messages = nullptr;
    QSpinBox* m_repeat = nullptr;
    QCheckBox* m_baselines = nullptr;
    QCheckBox* m_python = nullptr;
    QCheckBox* m_observation = nullptr;
    QCheckBox* m_programs = nullptr;
    QCheckBox* m_pin = nullptr;
    QPushButton* m_start = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_problem = nullptr;
    LogBarChart* m_throughput = nullptr;
    LogBarChart* m_latency = nullptr;
    QComboBox* m_latencySize = nullptr;
    QTableView* m_table = nullptr;
    QLabel* m_summary = nullptr;
    QPushButton* m_exportPng = nullptr;
    QPushButton* m_exportJson = nullptr;
};

} // namespace ipcui
