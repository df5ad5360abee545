#pragma once

// The IPC Lab window. Layout, top to bottom: a toolbar (scenario picker, open/save, Start/Stop), the scenario's title
// and explanation, then the tabs: Live (objects and ledger on the left, charts on the right, processes below with tabs
// beside them for the programs' steps, the waits per object, who waits for whom and the processes of watched objects;
// other programs' watched objects between the charts and the processes), Timeline, Python, Experiment (the editor),
// Race (the bench) and System (every IPC object on the machine). Snapshots arrive from RunSession at the
// sampling rate; the window repaints from them with one coalescing timer at most 30 times a second.

#include "ipccore/system_ipc.h"
#include "ipccore/telemetry.h"
#include "model/run_types.h"
#include "widgets/theme.h"

#include <QMainWindow>
#include <QTimer>

class QAction;
class QComboBox;
class QDockWidget;
class QGroupBox;
class QLabel;
class QMessageBox;
class QPlainTextEdit;
class QScrollArea;
class QSplitter;
class QTabBar;
class QTabWidget;
class QTableView;

namespace ipcui {

class BenchRunner;
class SystemView;
class WatchPanel;
class WatchedProcessPanel;
class ChartPanel;
class TimelineView;
class WaitForView;
class ExperimentEditor;
class LedgerView;
class LessonPanel;
class LessonSession;
class ObjectView;
class ProcessPanel;
class StepBar;
class PythonView;
class ProcessTableModel;
class ProgramStepsModel;
class ContentionModel;
class RaceView;
class RunSession;
class ScenarioCatalogModel;
class ScenarioDocument;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    // 20 Hz for the object view, the tables and the ledger: the slots still move smoothly, digits change faster
    // than anyone reads them, and 30 Hz cost a quarter more of the window's CPU (tests/bench/gui_cpu.sh).
    static constexpr int RenderIntervalMs = 50;
    // Charts redraw at most 10 times a second, and no sooner than the time one pixel stands for
    // (ChartPanel::refreshIntervalMs): redrawing the charts was most of the GUI thread's work.
    static constexpr int ChartIntervalMs = 100;

    // The machine's mq limits arrive from the run controller's thread shortly after construction (no /proc read here).
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // A bundled scenario's name or a JSON file. On failure the reason is shown and returned.
    QString loadScenario(const QString& nameOrPath);
    void showTimeline(); // brings the Timeline tab to the front
    void showSystem(); // brings the System tab (every POSIX object on the machine) to the front
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
    ProgramStepsModel* stepsModel() const { return m_stepsModel; }
    ContentionModel* contentionModel() const { return m_contentionModel; }
    QTableView* stepsView() const { return m_stepsView; }
    // Under the live view: the processes (0); when the experiment has programs, their steps (1); the waits per object
    // (2); who waits for whom (3); while objects are watched, the processes using them (watchedProcessPanel()).
    QTabWidget* processTabs() const { return m_processTabs; }
    ChartPanel* charts() const { return m_charts; }
    ObjectView* objectView() const { return m_objectView; }
    LedgerView* ledgerView() const { return m_ledger; }
    ExperimentEditor* editor() const { return m_editor; }
    RaceView* raceView() const { return m_race; }
    SystemView* systemView() const { return m_systemView; }
    // Other programs' objects followed in the Live view (hidden until one is watched).
    WatchPanel* watchPanel() const { return m_watchPanel; }
    // The processes using the watched objects: a tab beside the run's processes while any object is watched.
    WatchedProcessPanel* watchedProcessPanel() const { return m_watchedProcesses; }
    // Follows an object of any program in the Live view and brings the Live tab to the front.
    void watchObject(ipccore::SystemObjectKind kind, const std::string& name);
    BenchRunner* benchRunner() const { return m_bench; }
    QTabWidget* tabs() const { return m_tabs; }
    QTabBar* tabBar() const { return m_tabBar; } // the tabs' bar, above the scenario's heading
    QAction* runAction() const { return m_runAction; }
    QString lastError() const { return m_lastError; }
    LessonPanel* lessonPanel() const { return m_lessonPanel; }
    QDockWidget* lessonDock() const { return m_lessonDock; }
    // The projector zoom: every font and chart at `factor` (0.8 to 2.5) of the start-up size.
    void setZoom(double factor);
    double zoom() const { return m_zoom; }
    // Applies the zoom saved by the last session and saves each change from now on (the app does; tests do not).
    void restoreZoom();
    // The light or the dark theme (theme.h), on the whole application; restoreTheme() as restoreZoom().
    void setTheme(Theme theme);
    void restoreTheme();
    // The status bar: an error (wrapped to two lines at most, the whole of it and its technical form behind
    // "Details", see error_text.h) stays until a later notice of something done replaces it; a notice shows for 8 s.
    void showError(const QString& message);
    void showNotice(const QString& message);
    static constexpr double MinZoom = 0.8, MaxZoom = 2.5, ZoomStep = 1.15;
    // Opens the Lessons panel on lesson `index` (0-based) of the bundled ones.
    void showLesson(int index);
    // Loads `scenario` and starts it; a run going now is stopped first, and the new one starts once it has.
    void startScenario(const QString& scenario);
    // Once a run starts the scenario's explanation is cut to two lines ending in a "more" link, so the live views
    // keep their room (a Manager run's process table, ledger and five charts), and stays so over the run's results
    // until another scenario is loaded; before the first run, or after "more", it is whole (with a "less" link).
    bool isDescriptionCollapsed() const { return m_descriptionCollapsed; }
    void setDescriptionExpanded(bool expanded);

signals:
    // Every error shown to the user, as shown.
    void errorShown(const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void buildToolbar();
    void keepOnScreen();
    void fitLiveSplitter();
    void updateScenarioHeading();
    QWidget* buildLiveView();
    QWidget* buildStepsView();
    QWidget* buildWaitsView();
    // The steps tab shows only for an experiment with programs, its columns fitted to their steps.
    void showStepsOf(const ipccore::Scenario& scenario);
    void onStateChanged(RunState state);
    void onScenarioChanged();
    void scheduleRender();
    void renderTick();
    void renderViews();
    void refreshCharts();
    void logEvent(double t, int kind, const QString& text);
    void addWorkerLike(ipccore::Role role, const QList<int>& selection);
    // A program added during the run: its steps join the process table's and the Steps tab's.
    void onWorkerAdded(const ipccore::WorkerSpec& spec);
    // The run's scenario as started, with the programs added since.
    ipccore::Scenario runningScenario() const;
    void openScenario();
    void saveScenario();
    // The file dialog, then the experiment written: as edited (the document), or with `live` as the run has it now.
    // True once written; false when the user cancelled or writing failed (the reason is shown).
    bool saveExperiment(bool live = false);
    // The scenario file the experiment was opened from; empty for a bundled scenario or a new experiment.
    QString editedFile() const;
    // Closing with edits not saved asks first: Save, Discard or Cancel. True when the window may close.
    bool mayCloseWithEdits();
    // Opening another scenario (picked, opened from a file, or a lesson's) in place of an experiment with edits not
    // saved asks the same; `next` is its bundled name or file. True when it may replace the experiment.
    bool mayReplaceEdits(const QString& next);
    // A scenario as the picker names it: its title in quotes (its name when the picker does not list it).
    QString quotedTitle(const QString& scenario) const;
    // The question both ask; `opening` names the scenario to open, empty when the window closes. True when the
    // edits were saved or are to be discarded; false on Cancel, a save that did not happen, or a termination signal.
    bool askAboutEdits(const QString& opening);
    void exportCsv();
    void exportTrace();
    void showIdleObjects();
    void showIdleLedger();
    void updateRunAction();
    QString stoppedStatus(const RunSummary& summary) const;
    void fitLeftColumn(); // as wide as its content's least width, never scrolling sideways
    void fitObjectsPane(); // the objects' cards whole and no taller, up to two; beyond, about two in view
    void updateDescription();

    ScenarioDocument* m_document;
    ScenarioCatalogModel* m_catalog;
    RunSession* m_session;
    ProcessTableModel* m_processModel;
    ProgramStepsModel* m_stepsModel;
    ContentionModel* m_contentionModel;
    // The table it shows: samples share one until the runner makes it again (ipccore::Snapshot::contention).
    std::shared_ptr<const ipccore::Contention> m_contentionShown;
    BenchRunner* m_bench;
    std::vector<ipccore::WorkerSpec> m_addedPrograms; // in this run, by "+ Program"

    QComboBox* m_scenarioBox = nullptr;
    QAction* m_runAction = nullptr;
    QAction* m_openAction = nullptr;
    QAction* m_saveAction = nullptr;
    QLabel* m_title = nullptr;
    QLabel* m_description = nullptr;
    QLabel* m_deadlockBanner = nullptr;
    QString m_deadlockText; // the cycle the banner names (the runner's error event ends with it)
    QTabWidget* m_tabs = nullptr;
    QTabBar* m_tabBar = nullptr;
    QGroupBox* m_objectsBox = nullptr;
    ObjectView* m_objectView = nullptr;
    QScrollArea* m_objectsScroll = nullptr;
    LedgerView* m_ledger = nullptr;
    ChartPanel* m_charts = nullptr;
    ProcessPanel* m_processPanel = nullptr;
    StepBar* m_stepBar = nullptr;
    PythonView* m_pythonView = nullptr;
    QTabWidget* m_processTabs = nullptr;
    QTableView* m_stepsView = nullptr;
    QTableView* m_waitsView = nullptr;
    WaitForView* m_waitForView = nullptr;
    QScrollArea* m_waitForScroll = nullptr; // the tab's page: m_waitForView in a scroll area
    QScrollArea* m_leftScroll = nullptr; // the objects, the ledger and the events, beside the charts
    TimelineView* m_timelineView = nullptr;
    bool m_waitForPending = false; // a snapshot came while the graph's tab was hidden
    ExperimentEditor* m_editor = nullptr;
    RaceView* m_race = nullptr;
    SystemView* m_systemView = nullptr;
    WatchPanel* m_watchPanel = nullptr;
    WatchedProcessPanel* m_watchedProcesses = nullptr;
    QWidget* m_liveView = nullptr;
    QSplitter* m_liveSplitter = nullptr;
    bool m_runViewsCollapsed = false; // the watched objects have the Live tab to themselves (fitLiveSplitter)
    QPlainTextEdit* m_events = nullptr;
    QLabel* m_runStatus = nullptr;
    QLabel* m_errorLabel = nullptr;

    QTimer m_renderTimer;
    QTimer m_chartTimer;
    SnapshotPtr m_rendered;
    QString m_lastError;
    bool m_errorShown = false; // m_lastError is on show (no notice has replaced it since)
    void renderError(); // m_lastError into the status bar, fitted to its width
    void clearError();
    QString m_descriptionText;
    bool m_descriptionExpanded = true; // whole: before a run, or the user asked for all of it
    bool m_descriptionCollapsed = false; // as shown now
    bool m_closeAfterStop = false;
    bool m_editsAnswered = false; // the question about unsaved edits was answered Save or Discard: closing goes on
    QMessageBox* m_editsQuestion = nullptr; // the question about unsaved edits while it is open
    double m_basePoints = 9; // the application font's size at start-up
    double m_zoom = 1;
    bool m_rememberZoom = false;
    bool m_rememberTheme = false;
    QAction* m_darkAction = nullptr;
    LessonSession* m_lessons = nullptr;
    LessonPanel* m_lessonPanel = nullptr;
    QDockWidget* m_lessonDock = nullptr;
    QAction* m_lessonAction = nullptr;
    QString m_startAfterStop; // a scenario to load and start once the run going now has stopped
    bool m_startAfterStopAsked = false; // and the question about unsaved edits was answered for it
};

} // namespace ipcui
