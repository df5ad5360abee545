#pragma once

// The IPC Lab window. Layout, top to bottom: a toolbar (scenario picker, open/save, Start/Stop), the scenario's title
// and explanation, then the live view (objects and ledger on the left, charts on the right, processes below) or the
// experiment editor in a second tab, and the Race (the bench) in a third. Snapshots arrive from RunSession at the
// sampling rate; the window repaints from them with one coalescing timer at most 30 times a second.

#include "ipccore/telemetry.h"
#include "model/run_types.h"

#include <QMainWindow>
#include <QTimer>

class QAction;
class QComboBox;
class QGroupBox;
class QLabel;
class QPlainTextEdit;
class QTabWidget;

namespace ipcui {

class BenchRunner;
class ChartPanel;
class ExperimentEditor;
class LedgerView;
class ObjectView;
class ProcessPanel;
class ProcessTableModel;
class RaceView;
class RunSession;
class ScenarioCatalogModel;
class ScenarioDocument;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    static constexpr int RenderIntervalMs = 33; // ~30 Hz for the object view, table and ledger
    // Charts redraw at most 10 times a second: their history has 20 points/s, a 60 s window moves by a pixel or two
    // per redraw, and redrawing four charts is most of the GUI thread's work.
    static constexpr int ChartIntervalMs = 100;

    // The machine's mq limits arrive from the run controller's thread shortly after construction (no /proc read here).
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // A bundled scenario's name or a JSON file. On failure the reason is shown and returned.
    QString loadScenario(const QString& nameOrPath);
    void startRun();
    void stopRun();
    // Applies the latest snapshot to every view now instead of at the next render tick (screenshots, tests).
    void renderNow();
    // Shows the Race tab.
    void showRace();
    // Where ipclab-worker is, for live runs and for the race's observation part; empty = beside this program.
    void setWorkerPath(const QString& path);

    RunSession* session() const { return m_session; }
    ScenarioDocument* document() const { return m_document; }
    ProcessTableModel* processModel() const { return m_processModel; }
    ProcessPanel* processPanel() const { return m_processPanel; }
    ChartPanel* charts() const { return m_charts; }
    ObjectView* objectView() const { return m_objectView; }
    LedgerView* ledgerView() const { return m_ledger; }
    ExperimentEditor* editor() const { return m_editor; }
    RaceView* raceView() const { return m_race; }
    BenchRunner* benchRunner() const { return m_bench; }
    QTabWidget* tabs() const { return m_tabs; }
    QAction* runAction() const { return m_runAction; }
    QString lastError() const { return m_lastError; }

signals:
    // Every error shown to the user, as shown.
    void errorShown(const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildToolbar();
    QWidget* buildLiveView();
    void showError(const QString& message);
    void showNotice(const QString& message);
    void onStateChanged(RunState state);
    void onScenarioChanged();
    void scheduleRender();
    void renderTick();
    void renderViews();
    void refreshCharts();
    void logEvent(double t, int kind, const QString& text);
    void addWorkerLike(ipccore::Role role, const QList<int>& selection);
    void openScenario();
    void saveScenario();
    void exportCsv();
    void showIdleObjects();
    void showIdleLedger();
    void updateRunAction();

    ScenarioDocument* m_document;
    ScenarioCatalogModel* m_catalog;
    RunSession* m_session;
    ProcessTableModel* m_processModel;
    BenchRunner* m_bench;

    QComboBox* m_scenarioBox = nullptr;
    QAction* m_runAction = nullptr;
    QAction* m_openAction = nullptr;
    QAction* m_saveAction = nullptr;
    QLabel* m_title = nullptr;
    QLabel* m_description = nullptr;
    QTabWidget* m_tabs = nullptr;
    QGroupBox* m_objectsBox = nullptr;
    ObjectView* m_objectView = nullptr;
    QWidget* m_objectsScroll = nullptr;
    LedgerView* m_ledger = nullptr;
    ChartPanel* m_charts = nullptr;
    ProcessPanel* m_processPanel = nullptr;
    ExperimentEditor* m_editor = nullptr;
    RaceView* m_race = nullptr;
    QPlainTextEdit* m_events = nullptr;
    QLabel* m_runStatus = nullptr;
    QLabel* m_errorLabel = nullptr;

    QTimer m_renderTimer;
    QTimer m_chartTimer;
    SnapshotPtr m_rendered;
    QString m_lastError;
    bool m_closeAfterStop = false;
};

} // namespace ipcui
