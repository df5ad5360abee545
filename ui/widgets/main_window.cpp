#include "widgets/main_window.h"
#include "widgets/state_colors.h"
#include "widgets/theme.h"

#include "model/bench_runner.h"
#include "model/contention_model.h"
#include "model/error_text.h"
#include "model/lesson_session.h"
#include "model/process_table_model.h"
#include "model/program_steps_model.h"
#include "model/quit_on_signal.h"
#include "model/run_session.h"
#include "model/scenario_catalog_model.h"
#include "model/scenario_document.h"
#include "model/watched_process_model.h"
#include "widgets/chart_panel.h"
#include "widgets/experiment_editor.h"
#include "widgets/ledger_view.h"
#include "widgets/lesson_panel.h"
#include "widgets/object_view.h"
#include "widgets/process_panel.h"
#include "widgets/python_view.h"
#include "widgets/race_view.h"
#include "widgets/step_bar.h"
#include "widgets/system_view.h"
#include "widgets/timeline_view.h"
#include "widgets/wait_for_view.h"
#include "widgets/watch_panel.h"
#include "widgets/watched_process_panel.h"

#include "ipccore/program.h"
#include "ipccore/scenario.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QResizeEvent>
#include <QSaveFile>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QTextLayout>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <functional>
#include <set>

namespace ipcui {

namespace {
// Whether any object carries messages; programs' shared arrays and semaphores carry none.
bool hasMessageObjects(const ipccore::Scenario& scenario)
{
    for (const ipccore::ObjectSpec& object : scenario.objects) {
        if (ipccore::traits(object.transport).carriesMessages)
            return true;
    }
    return false;
}

// Whether some object that carries messages takes another worker of `role`: its transport sets no limit for the
// role (0), or the scenario starts it with fewer (a pipe takes one of each). A ZeroMQ object's consumers are the
// ones the run starts with (ipccore::consumersFixedAtStart).
bool hasRoomFor(const ipccore::Scenario& scenario, ipccore::Role role)
{
    return std::any_of(scenario.objects.begin(), scenario.objects.end(), [&](const ipccore::ObjectSpec& object) {
        const ipccore::TransportTraits& t = ipccore::traits(object.transport);
        const auto users = std::count_if(scenario.workers.begin(), scenario.workers.end(),
            [&](const ipccore::WorkerSpec& w) { return w.role == role && w.object == object.name; });
        if (role == ipccore::Role::Consumer && ipccore::consumersFixedAtStart(object.transport))
            return t.carriesMessages && users == 0;
        const std::uint32_t limit = role == ipccore::Role::Producer ? t.maxProducers : t.maxConsumers;
        return t.carriesMessages && (limit == 0 || std::uint32_t(users) < limit);
    });
}

// Whether any object holds messages in slots (a queue or ring); a pipe or socket holds bytes instead.
bool hasMessageSlots(const ipccore::Scenario& scenario)
{
    return std::any_of(scenario.objects.begin(), scenario.objects.end(),
        [](const ipccore::ObjectSpec& object) { return ipccore::capacityInMessages(object.transport); });
}

// The mq priorities a scenario's workers send at on an object, highest first, each with nothing counted yet: the
// ledger's priority row shows before the run, as the live books will have it.
std::vector<ipccore::PriorityShare> plannedPriorities(
    const ipccore::Scenario& scenario, const ipccore::ObjectSpec& object)
{
    std::vector<ipccore::PriorityShare> shares;
    if (!ipccore::traits(object.transport).priorities)
        return shares;
    const auto add = [&shares](std::uint32_t priority) {
        if (std::none_of(shares.begin(), shares.end(),
                [priority](const ipccore::PriorityShare& p) { return p.priority == priority; }))
            shares.push_back({ priority, 0, 0, 0 });
    };
    for (const ipccore::WorkerSpec& worker : scenario.workers) {
        if (worker.role == ipccore::Role::Producer && worker.object == object.name)
            add(worker.priority);
        if (worker.role != ipccore::Role::Program)
            continue;
        for (const ipccore::ProgramStep& step : worker.program) {
            if (step.op == ipccore::StepOp::Put && step.object == object.name)
                add(step.priority);
        }
    }
    std::sort(shares.begin(), shares.end(),
        [](const ipccore::PriorityShare& a, const ipccore::PriorityShare& b) { return a.priority > b.priority; });
    return shares;
}
// The first `lines` lines of `text` as `font` wraps it at `width` (at its own line breaks too), the last one
// shortened to leave room for " … " and `tail` (a link's words); `cut` says whether anything was left out.
struct FittedText {
    QString text;
    bool cut = false;
};
FittedText fitLines(const QString& text, const QFont& font, int width, int lines, const QString& tail)
{
    QString laidOut = text;
    laidOut.replace(QLatin1Char('\n'), QChar::LineSeparator);
    QTextLayout layout(laidOut, font);
    layout.beginLayout();
    int count = 0, lastStart = 0, lastLength = 0;
    for (QTextLine line = layout.createLine(); line.isValid(); line = layout.createLine()) {
        line.setLineWidth(width);
        if (++count == lines) {
            lastStart = line.textStart();
            lastLength = line.textLength();
        }
    }
    layout.endLayout();
    if (count <= lines)
        return { text, false };
    const QFontMetrics fm(font);
    const int room = width - fm.horizontalAdvance(QStringLiteral(" … ") + tail) - 4;
    QString last = fm.elidedText(text.mid(lastStart, lastLength), Qt::ElideRight, room);
    if (last.endsWith(QChar(0x2026)))
        last.chop(1);
    return { text.left(lastStart) + last.trimmed(), true };
}

} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_document(new ScenarioDocument({}, this))
    , m_catalog(new ScenarioCatalogModel(this))
    , m_session(new RunSession(this))
    , m_processModel(new ProcessTableModel(this))
    , m_stepsModel(new ProgramStepsModel(this))
    , m_contentionModel(new ContentionModel(this))
    , m_bench(new BenchRunner(this))
    , m_lessons(new LessonSession(this))
{
    setWindowTitle(tr("IPC Lab"));
    buildToolbar();

    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(8, 4, 8, 4);
    layout->setSpacing(4);
    m_title = new QLabel(central);
    m_title->setObjectName(QStringLiteral("scenarioTitle"));
    QFont titleFont = font();
    titleFont.setPointSizeF(font().pointSizeF() * 1.35);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_description = new QLabel(central);
    m_description->setObjectName(QStringLiteral("scenarioDescription"));
    m_description->setWordWrap(true);
    setThemedStyleSheet(
        m_description, [] { return QStringLiteral("color: %1;").arg(cssColor(Colors::secondaryText())); });
    m_description->setTextFormat(Qt::RichText); // for its "more" link while a run goes
    m_description->setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
    m_description->installEventFilter(this);
    connect(m_description, &QLabel::linkActivated, this,
        [this](const QString& link) { setDescriptionExpanded(link == QLatin1String("more")); });
    layout->addWidget(m_title);
    layout->addWidget(m_description);
    // A deadlock is the one finding that must not be missed: named in full above the live views until the next run.
    m_deadlockBanner = new QLabel(central);
    m_deadlockBanner->setObjectName(QStringLiteral("deadlockBanner"));
    m_deadlockBanner->setWordWrap(true);
    m_deadlockBanner->setStyleSheet(
        QStringLiteral("background: #c62828; color: white; padding: 6px; border-radius: 3px; font-weight: bold;"));
    m_deadlockBanner->hide();
    layout->addWidget(m_deadlockBanner);

    m_tabs = new QTabWidget(central);
    m_liveView = buildLiveView();
    m_tabs->addTab(m_liveView, tr("Live"));
    m_timelineView = new TimelineView(m_tabs);
    m_timelineView->setTimeline(&m_session->timeline());
    m_tabs->addTab(m_timelineView, tr("Timeline"));
    m_tabs->setTabToolTip(m_tabs->indexOf(m_timelineView),
        tr("Each process's states over time, exactly as it recorded them, and who held each lock when"));
    m_pythonView = new PythonView(m_tabs);
    m_pythonView->setObjectName(QStringLiteral("pythonView"));
    m_tabs->addTab(m_pythonView, tr("Python"));
    m_tabs->setTabToolTip(m_tabs->indexOf(m_pythonView),
        tr("The scenario as a Python multiprocessing program, with the line each process is on"));
    m_editor = new ExperimentEditor(m_document, m_tabs);
    m_tabs->addTab(m_editor, tr("Experiment"));
    m_race = new RaceView(m_bench, m_tabs);
    m_tabs->addTab(m_race, tr("Race"));
    m_tabs->setTabToolTip(m_tabs->indexOf(m_race),
        tr("Race every transport against bare system calls and Python, and see what it costs"));
    m_systemView = new SystemView(m_tabs);
    m_tabs->addTab(m_systemView, tr("System"));
    m_tabs->setTabToolTip(m_tabs->indexOf(m_systemView),
        tr("Every POSIX queue, semaphore and segment on this machine, whoever made it, and who uses it"));
    connect(m_systemView, &SystemView::watchRequested, this, &MainWindow::watchObject);
    // The tabs' bar stands above the scenario's title and story, which hide on some tabs (below): under them it
    // moved up and down as the tabs changed, and a new user's next click on a tab missed. The tab widget's own bar
    // is hidden, and the two follow each other.
    m_tabBar = new QTabBar(central);
    m_tabBar->setObjectName(QStringLiteral("viewTabs"));
    m_tabBar->setDocumentMode(true);
    m_tabBar->setExpanding(false);
    for (int i = 0; i < m_tabs->count(); ++i) {
        m_tabBar->addTab(m_tabs->tabText(i));
        m_tabBar->setTabToolTip(i, m_tabs->tabToolTip(i));
    }
    m_tabs->tabBar()->hide();
    m_tabs->setDocumentMode(true);
    connect(m_tabBar, &QTabBar::currentChanged, m_tabs, &QTabWidget::setCurrentIndex);
    connect(m_tabs, &QTabWidget::currentChanged, m_tabBar, &QTabBar::setCurrentIndex);
    layout->insertWidget(0, m_tabBar);
    // The scenario's title and story are about the Live and Experiment tabs; the race needs the room.
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int) {
        if (m_tabs->currentWidget() == m_pythonView && m_session->isActive() && m_session->latest())
            m_pythonView->setSnapshot(*m_session->latest());
        updateScenarioHeading();
        if (m_tabs->currentWidget() == m_timelineView)
            m_timelineView->timelineChanged();
    });
    layout->addWidget(m_tabs, 1);
    setCentralWidget(central);

    // Lessons: docked at the right, beside whichever view the lesson needs; hidden until asked for.
    m_lessonDock = new QDockWidget(tr("Lessons"), this);
    m_lessonDock->setObjectName(QStringLiteral("lessonDock"));
    m_lessonDock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable);
    m_lessonPanel = new LessonPanel(m_lessons, m_lessonDock);
    m_lessonPanel->setMinimumWidth(300);
    m_lessonDock->setWidget(m_lessonPanel);
    addDockWidget(Qt::RightDockWidgetArea, m_lessonDock);
    m_lessonDock->hide();
    m_lessonAction->setChecked(false);
    connect(m_lessonDock, &QDockWidget::visibilityChanged, m_lessonAction, [this](bool visible) {
        if (!isMinimized())
            m_lessonAction->setChecked(visible);
        if (visible)
            keepOnScreen();
    });
    connect(m_lessonPanel, &LessonPanel::startRequested, this, &MainWindow::startScenario);
    // Refused by the runner after the start was asked for: no run showed anything (see startScenario).
    connect(m_session, &RunSession::startFailed, m_lessons,
        [this] { m_lessons->startWithdrawn(QString::fromStdString(m_session->scenario().name)); });
    // Another lesson picked while the last one's run goes: that run belonged to the lesson left, stop it.
    connect(m_lessons, &LessonSession::lessonChanged, this, [this](const QString& previousScenario) {
        if (m_session->isActive() && QString::fromStdString(m_session->scenario().name) == previousScenario)
            stopRun();
    });
    connect(m_lessonPanel, &LessonPanel::errorOccurred, this, &MainWindow::showError);

    m_runStatus = new QLabel(tr("Idle"), this);
    m_runStatus->setObjectName(QStringLiteral("runStatus"));
    m_runStatus->setMinimumWidth(320);
    m_errorLabel = new QLabel(this);
    m_errorLabel->setObjectName(QStringLiteral("errorLabel"));
    setThemedStyleSheet(
        m_errorLabel, [] { return QStringLiteral("color: %1; font-weight: bold;").arg(cssColor(Colors::error())); });
    // Wrapped, never cut off; the technical form behind "Details" (error_text.h).
    m_errorLabel->setWordWrap(true);
    m_errorLabel->setTextFormat(Qt::RichText);
    m_errorLabel->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::LinksAccessibleByMouse);
    connect(m_errorLabel, &QLabel::linkActivated, this, [this] {
        const ErrorParts parts = splitError(m_lastError);
        // Plain text: an error may quote a name another user chose (a segment called "<font size=7>").
        QMessageBox box(QMessageBox::Information, tr("Error details"),
            parts.details.isEmpty() ? parts.text : parts.text + QStringLiteral("\n\n") + parts.details, QMessageBox::Ok,
            this);
        box.setTextFormat(Qt::PlainText);
        box.exec();
    });
    m_errorLabel->installEventFilter(this);
    statusBar()->addWidget(m_errorLabel, 1);
    statusBar()->addPermanentWidget(m_runStatus);

    m_renderTimer.setSingleShot(true);
    m_renderTimer.setInterval(RenderIntervalMs);
    connect(&m_renderTimer, &QTimer::timeout, this, &MainWindow::renderTick);
    m_chartTimer.setSingleShot(true);
    m_chartTimer.setInterval(ChartIntervalMs);
    connect(&m_chartTimer, &QTimer::timeout, this, &MainWindow::refreshCharts);

    connect(m_document, &ScenarioDocument::changed, this, &MainWindow::onScenarioChanged);
    connect(m_session, &RunSession::mqLimitsRead, m_document, &ScenarioDocument::setLimits);
    connect(m_session, &RunSession::stateChanged, this, &MainWindow::onStateChanged);
    connect(m_session, &RunSession::snapshotReceived, this, &MainWindow::scheduleRender);
    connect(m_session, &RunSession::errorOccurred, this, &MainWindow::showError);
    connect(m_session, &RunSession::errorOccurred, m_processPanel, &ProcessPanel::reloadControls);
    connect(m_session, &RunSession::notice, this, &MainWindow::showNotice);
    connect(m_session, &RunSession::traceExported, this, [this](const QString& path, const QString& error) {
        if (!error.isEmpty())
            showError(error);
        else
            showNotice(tr("Saved %1: open it in the Perfetto UI (ui.perfetto.dev) or chrome://tracing").arg(path));
    });
    connect(m_session, &RunSession::workerAdded, this, &MainWindow::onWorkerAdded);
    connect(m_session, &RunSession::eventLogged, this, &MainWindow::logEvent);
    connect(m_pythonView, &PythonView::notice, this, &MainWindow::showNotice);
    connect(m_session, &RunSession::runStarted, this, [this](const QString& prefix) {
        m_pythonView->setScenario(m_session->scenario()); // the run's, even if the experiment is edited meanwhile
        m_lessons->setRunScenario(QString::fromStdString(m_session->scenario().name));
        logEvent(0, int(ipccore::RunEvent::Kind::Info), tr("Run started; objects are named %1*").arg(prefix));
    });
    connect(m_session, &RunSession::runStopped, this, [this](const RunSummary& summary) {
        renderNow();
        m_lessons->setRunScenario({});
        m_pythonView->clearMarks();
        m_processModel->applyFinalCounts(summary.workers);
        m_stepsModel->applyFinalCounts(summary.workers);
        m_contentionModel->setContention(summary.contention);
        // The final books: a shared array's lost updates and a semaphore's balance are judged once all have exited.
        // The message totals are the final ones too, counted with the objects' rows (a queue's priorities add up to
        // what it received), not the last live sample's.
        m_ledger->setLedger(summary.integrity);
        m_ledger->setObjectBooks(LedgerView::booksOf(summary.objects), hasMessageObjects(m_session->scenario()));
        for (const ipccore::RunEvent& event : summary.stopEvents)
            logEvent(event.t, int(event.kind), QString::fromStdString(event.text));
        logEvent(summary.durationS, int(ipccore::RunEvent::Kind::Info),
            tr("Run stopped after %1 s. Removed: %2")
                .arg(summary.durationS, 0, 'f', 1)
                .arg(summary.cleanup.isEmpty() ? tr("nothing") : summary.cleanup.join(QStringLiteral(", "))));
        m_runStatus->setText(stoppedStatus(summary));
        m_waitForView->clear(); // it shows who waits now, and after a stop nobody does
        if (m_closeAfterStop)
            close();
    });
    connect(m_session, &RunSession::stateChanged, this, [this](RunState state) {
        if (state != RunState::Idle || m_startAfterStop.isEmpty())
            return;
        const QString scenario = std::exchange(m_startAfterStop, QString());
        // Queued: the session finishes its own handling of the stop before the next run starts.
        QMetaObject::invokeMethod(
            this, [this, scenario] { startScenario(scenario); }, Qt::QueuedConnection);
    });

    connect(m_processPanel, &ProcessPanel::addRequested, this, &MainWindow::addWorkerLike);
    connect(m_processPanel, &ProcessPanel::pauseRequested, m_session, &RunSession::pauseWorkers);
    connect(m_processPanel, &ProcessPanel::resumeRequested, m_session, &RunSession::resumeWorkers);
    connect(m_processPanel, &ProcessPanel::terminateRequested, m_session, &RunSession::terminateWorkers);
    connect(m_processPanel, &ProcessPanel::killRequested, m_session, &RunSession::killWorkers);
    connect(m_processPanel, &ProcessPanel::rateRequested, m_session, &RunSession::setRate);
    connect(m_processPanel, &ProcessPanel::messageSizeRequested, m_session, &RunSession::setMessageSize);
    connect(m_processPanel, &ProcessPanel::workUsRequested, m_session, &RunSession::setWorkUs);
    connect(m_stepBar, &StepBar::stepAllRequested, this, [this] { m_session->step({}); });
    connect(m_stepBar, &StepBar::stepSelectedRequested, this,
        [this] { m_session->step(m_processPanel->selectedWorkers()); });
    connect(m_stepBar, &StepBar::runAtStepRateRequested, m_session, &RunSession::runAtStepRate);
    connect(m_stepBar, &StepBar::runFreelyRequested, m_session, &RunSession::runFreely);
    connect(m_processPanel->table()->selectionModel(), &QItemSelectionModel::selectionChanged, this,
        [this] { m_stepBar->setSelectionAvailable(!m_processPanel->selectedWorkers().isEmpty()); });
    connect(m_charts, &ChartPanel::exportCsvRequested, this, &MainWindow::exportCsv);
    connect(m_charts, &ChartPanel::exportTraceRequested, this, &MainWindow::exportTrace);
    connect(m_charts, &ChartPanel::errorOccurred, this, &MainWindow::showError);
    connect(m_race, &RaceView::errorOccurred, this, &MainWindow::showError);
    connect(m_race, &RaceView::notice, this, &MainWindow::showNotice);
    connect(m_bench, &BenchRunner::runningChanged, this, [this](bool running) {
        updateRunAction();
        m_runStatus->setText(running ? tr("Racing (the Race tab shows progress)") : tr("Idle"));
    });

    const QString loaded = m_document->loadBundled(QString::fromLatin1(ipccore::DefaultScenarioName));
    if (!loaded.isEmpty())
        showError(loaded);
    onStateChanged(RunState::Idle);
    // 1400 × 900, or what the screen has room for (a projector at 1024 × 768). Offscreen (tests, --screenshot) the
    // "screen" is a nominal 800 × 600, and the pictures keep their size.
    QSize size(1400, 900);
    if (QGuiApplication::platformName() != QLatin1String("offscreen") && screen())
        size = size.boundedTo(screen()->availableGeometry().size() * 0.95);
    resize(size);
}

MainWindow::~MainWindow()
{
    // ~QWidget hides the dock, which would signal visibilityChanged into this window, already half destroyed.
    m_lessonDock->disconnect();
}

void MainWindow::buildToolbar()
{
    QToolBar* bar = addToolBar(tr("Run"));
    bar->setObjectName(QStringLiteral("runToolbar"));
    bar->setMovable(false);
    bar->setToolButtonStyle(Qt::ToolButtonTextOnly);

    bar->addWidget(new QLabel(tr(" Scenario: "), bar));
    m_scenarioBox = new QComboBox(bar);
    m_scenarioBox->setObjectName(QStringLiteral("scenarioPicker"));
    m_scenarioBox->setModel(m_catalog);
    m_scenarioBox->setMinimumContentsLength(28);
    m_scenarioBox->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_scenarioBox->setToolTip(tr("The bundled scenarios; each explains what to watch"));
    connect(m_scenarioBox, &QComboBox::activated, this, [this](int row) {
        const QString name = m_catalog->index(row).data(ScenarioCatalogModel::NameRole).toString();
        if (!mayReplaceEdits(name)) {
            m_scenarioBox->setCurrentIndex(m_catalog->rowOf(m_document->source())); // still the edited one
            return;
        }
        loadScenario(name);
    });
    bar->addWidget(m_scenarioBox);

    m_openAction = bar->addAction(tr("Open…"), this, &MainWindow::openScenario);
    m_openAction->setObjectName(QStringLiteral("openAction"));
    m_openAction->setShortcut(QKeySequence::Open);
    m_openAction->setToolTip(tr("Open a scenario JSON file (Ctrl+O)"));
    m_saveAction = bar->addAction(tr("Save…"), this, &MainWindow::saveScenario);
    m_saveAction->setShortcut(QKeySequence::Save);
    m_saveAction->setToolTip(tr("Save the experiment as a scenario JSON file (Ctrl+S)"));
    bar->addSeparator();

    m_runAction = bar->addAction(tr("Start"));
    m_runAction->setObjectName(QStringLiteral("runAction"));
    m_runAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    connect(m_runAction, &QAction::triggered, this, [this] {
        if (m_session->isActive())
            stopRun();
        else
            startRun();
    });
    if (QWidget* button = bar->widgetForAction(m_runAction)) {
        button->setObjectName(QStringLiteral("runButton"));
        button->setMinimumWidth(120);
    }
    bar->addSeparator();
    m_stepBar = new StepBar(bar);
    bar->addWidget(m_stepBar);
    bar->addSeparator();
    m_lessonAction = bar->addAction(tr("Lessons"));
    m_lessonAction->setObjectName(QStringLiteral("lessonAction"));
    m_lessonAction->setCheckable(true);
    m_lessonAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_lessonAction->setToolTip(tr("Predict, then observe: nine guided lessons on real processes (Ctrl+L)"));
    connect(m_lessonAction, &QAction::triggered, this, [this](bool on) { m_lessonDock->setVisible(on); });

    // The view's settings in one menu, where a teacher looks for them: the zoom's keys and the theme.
    auto* viewButton = new QToolButton(bar);
    viewButton->setText(tr("View"));
    viewButton->setObjectName(QStringLiteral("viewButton"));
    viewButton->setPopupMode(QToolButton::InstantPopup);
    viewButton->setToolTip(tr("Zoom for a projector, and the light or dark theme"));
    auto* viewMenu = new QMenu(viewButton);
    viewMenu->addAction(tr("Zoom in\tCtrl++"), this, [this] { setZoom(m_zoom * ZoomStep); });
    viewMenu->addAction(tr("Zoom out\tCtrl+-"), this, [this] { setZoom(m_zoom / ZoomStep); });
    viewMenu->addAction(tr("Actual size\tCtrl+0"), this, [this] { setZoom(1); });
    viewMenu->addSeparator();
    m_darkAction = viewMenu->addAction(tr("Dark theme"));
    m_darkAction->setObjectName(QStringLiteral("darkThemeAction"));
    m_darkAction->setCheckable(true);
    m_darkAction->setChecked(currentTheme() == Theme::Dark);
    m_darkAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D));
    m_darkAction->setShortcutContext(Qt::ApplicationShortcut);
    addAction(m_darkAction); // its shortcut works while the menu is closed
    connect(
        m_darkAction, &QAction::triggered, this, [this](bool dark) { setTheme(dark ? Theme::Dark : Theme::Light); });
    viewButton->setMenu(viewMenu);
    bar->addWidget(viewButton);

    // Larger text for a projector: Ctrl++ and Ctrl+- step the whole window's text and charts, Ctrl+0 goes back.
    m_basePoints = QApplication::font().pointSizeF();
    auto addShortcut = [this](const QKeySequence& keys, const std::function<void()>& what) {
        auto* action = new QAction(this);
        action->setShortcut(keys);
        action->setShortcutContext(Qt::ApplicationShortcut);
        connect(action, &QAction::triggered, this, what);
        addAction(action);
    };
    addShortcut(QKeySequence::ZoomIn, [this] { setZoom(m_zoom * ZoomStep); });
    addShortcut(QKeySequence(Qt::CTRL | Qt::Key_Equal), [this] { setZoom(m_zoom * ZoomStep); });
    addShortcut(QKeySequence::ZoomOut, [this] { setZoom(m_zoom / ZoomStep); });
    addShortcut(QKeySequence(Qt::CTRL | Qt::Key_0), [this] { setZoom(1); });
    // Ctrl+Q quits as in other desktop programs: a running scenario is stopped and its objects unlinked first.
    addShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q), [this] { close(); });
}

QWidget* MainWindow::buildLiveView()
{
    auto* live = new QWidget(this);
    auto* layout = new QVBoxLayout(live);
    layout->setContentsMargins(4, 4, 4, 4);

    auto* vertical = new QSplitter(Qt::Vertical, live);
    auto* horizontal = new QSplitter(Qt::Horizontal, vertical);

    auto* left = new QWidget(horizontal);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    m_objectsBox = new QGroupBox(left);
    QGroupBox* objectsBox = m_objectsBox;
    auto* objectsLayout = new QVBoxLayout(objectsBox);
    objectsLayout->setContentsMargins(2, 2, 2, 2);
    objectsLayout->setSizeConstraint(QLayout::SetMinAndMaxSize); // the box no taller than its cards (fitObjectsPane)
    m_objectView = new ObjectView(objectsBox);
    m_objectView->installEventFilter(this);
    auto* scroll = new QScrollArea(objectsBox);
    scroll->setWidget(m_objectView);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    m_objectsScroll = scroll;
    objectsLayout->addWidget(scroll);
    leftLayout->addWidget(objectsBox, 3);

    auto* ledgerBox = new QGroupBox(tr("Integrity ledger"), left);
    auto* ledgerLayout = new QVBoxLayout(ledgerBox);
    ledgerLayout->setContentsMargins(4, 4, 4, 4);
    m_ledger = new LedgerView(ledgerBox);
    ledgerLayout->addWidget(m_ledger);
    leftLayout->addWidget(ledgerBox, 0);

    auto* eventsBox = new QGroupBox(tr("Events"), left);
    auto* eventsLayout = new QVBoxLayout(eventsBox);
    eventsLayout->setContentsMargins(4, 4, 4, 4);
    m_events = new QPlainTextEdit(eventsBox);
    m_events->setObjectName(QStringLiteral("eventLog"));
    m_events->setReadOnly(true);
    m_events->setMaximumBlockCount(1000);
    m_events->setMinimumHeight(m_events->fontMetrics().lineSpacing() * 2 + 12); // two lines when room is short
    eventsLayout->addWidget(m_events);
    leftLayout->addWidget(eventsBox, 1);

    m_charts = new ChartPanel(horizontal);
    // The column scrolls when the window is short (a projector's 720 lines), so that the charts and the process
    // table keep their room; at a desktop's height it shows whole.
    auto* leftScroll = new QScrollArea(horizontal);
    leftScroll->setObjectName(QStringLiteral("leftColumn"));
    leftScroll->setWidgetResizable(true);
    leftScroll->setFrameShape(QFrame::NoFrame);
    leftScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    leftScroll->setWidget(left);
    m_leftScroll = leftScroll;
    fitLeftColumn();
    // A scenario's ledger can need more than the first one did (a global's copies beside a shared Value: three tiles
    // in a row); the column then widens rather than cutting its right edge off (it never scrolls sideways).
    left->installEventFilter(this);
    horizontal->addWidget(leftScroll);
    horizontal->addWidget(m_charts);
    horizontal->setStretchFactor(0, 0);
    horizontal->setStretchFactor(1, 1);
    horizontal->setSizes({ 400, 900 }); // the charts get the room a narrower window (or the Lessons panel) leaves

    // The processes, and beside them in tabs: the programs' steps with the time each takes (where a request's round
    // trip is read against a shared-memory read), the waits per object, who waits for whom, and (while objects of
    // other programs are watched) the processes using those.
    m_processTabs = new QTabWidget(vertical);
    m_processTabs->setObjectName(QStringLiteral("processTabs"));
    m_processTabs->setDocumentMode(true);
    auto* processPage = new QWidget(m_processTabs);
    auto* processLayout = new QVBoxLayout(processPage);
    processLayout->setContentsMargins(4, 4, 4, 4);
    m_processPanel = new ProcessPanel(m_processModel, processPage);
    processLayout->addWidget(m_processPanel);
    m_processTabs->addTab(processPage, tr("Processes (select rows to act on them)"));
    m_processTabs->addTab(buildStepsView(), tr("Programs: each step's mean time"));
    m_processTabs->setTabToolTip(1,
        tr("Every step of every program: how often it was done, its mean time (a request's round trip through the "
           "server beside a shared-memory read or write) and its share of the process's time"));
    m_processTabs->setTabVisible(1, false);
    m_processTabs->addTab(buildWaitsView(), tr("Waits per object"));
    m_processTabs->setTabToolTip(2,
        tr("Every wait that has ended, per object and what was waited for: how many, their total, mean, p50, p90, "
           "p99 and longest, and who waited. The most waited-on object is starred"));
    // In a scroll area: with dozens of processes the graph is taller than the tab (its boxes keep a line of text).
    m_waitForScroll = new QScrollArea(m_processTabs);
    m_waitForScroll->setObjectName(QStringLiteral("waitForScroll"));
    m_waitForScroll->setWidgetResizable(true);
    m_waitForScroll->setFrameShape(QFrame::NoFrame);
    // The graph draws to the width it is given: it never needs to scroll sideways.
    m_waitForScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_waitForView = new WaitForView(m_waitForScroll);
    m_waitForScroll->setWidget(m_waitForView);
    m_processTabs->addTab(m_waitForScroll, tr("Who waits for whom"));
    m_processTabs->setTabToolTip(3,
        tr("Now: each process blocked on an object, and who holds that object. A deadlock's processes are outlined in "
           "red"));
    // Drawn when shown: a hidden tab takes the latest snapshot as it opens.
    connect(m_processTabs, &QTabWidget::currentChanged, this, [this] {
        if (m_processTabs->currentWidget() == m_waitForScroll && m_waitForPending && m_session->latest()) {
            m_waitForView->setSnapshot(*m_session->latest());
            m_waitForPending = false;
        }
    });

    // Other programs' objects, chosen in the System tab: between the run's views and its processes, only while any
    // is watched.
    m_watchPanel = new WatchPanel(vertical);
    m_watchPanel->hide();
    connect(m_watchPanel, &WatchPanel::notice, this, &MainWindow::showNotice);
    connect(m_watchPanel, &WatchPanel::errorOccurred, this, &MainWindow::showError);
    m_liveSplitter = vertical;
    // The processes using them: a tab beside the run's own processes, in front while watching starts.
    m_watchedProcesses = new WatchedProcessPanel(m_watchPanel->monitor(), m_watchPanel->processModel(), m_processTabs);
    connect(m_watchedProcesses, &WatchedProcessPanel::notice, this, &MainWindow::showNotice);
    connect(m_watchedProcesses, &WatchedProcessPanel::errorOccurred, this, &MainWindow::showError);
    m_processTabs->addTab(m_watchedProcesses, QString());
    m_processTabs->setTabToolTip(m_processTabs->indexOf(m_watchedProcesses),
        tr("The processes that have a watched object open or mapped: other programs', not IPC Lab's. What each is "
           "blocked in comes from /proc/PID/syscall"));
    m_processTabs->setTabVisible(m_processTabs->indexOf(m_watchedProcesses), false);
    const auto countWatchedProcesses = [this] {
        m_processTabs->setTabText(m_processTabs->indexOf(m_watchedProcesses),
            tr("Processes of watched objects (%1)").arg(m_watchPanel->processModel()->rowCount()));
    };
    countWatchedProcesses();
    connect(m_watchPanel->processModel(), &QAbstractItemModel::rowsInserted, this, countWatchedProcesses);
    connect(m_watchPanel->processModel(), &QAbstractItemModel::rowsRemoved, this, countWatchedProcesses);
    connect(m_watchPanel->processModel(), &QAbstractItemModel::modelReset, this, countWatchedProcesses);
    connect(m_watchPanel, &WatchPanel::watchingChanged, this, [this](bool any) {
        if (any == !m_watchPanel->isHidden()) // isVisible() is false too while another tab is in front
            return;
        m_watchPanel->setVisible(any);
        const int watchedTab = m_processTabs->indexOf(m_watchedProcesses);
        if (any) {
            m_processTabs->setTabVisible(watchedTab, true);
            m_processTabs->setCurrentIndex(watchedTab);
        } else {
            if (m_processTabs->currentIndex() == watchedTab)
                m_processTabs->setCurrentIndex(0); // the run's processes, not whichever tab is next to it
            m_processTabs->setTabVisible(watchedTab, false);
        }
        fitLiveSplitter();
        updateScenarioHeading();
    });

    vertical->addWidget(horizontal);
    vertical->addWidget(m_watchPanel);
    vertical->addWidget(m_processTabs);
    vertical->setStretchFactor(0, 3);
    vertical->setStretchFactor(1, 3);
    vertical->setStretchFactor(2, 1);
    vertical->setSizes({ 560, 0, 240 });
    layout->addWidget(vertical);
    return live;
}

namespace {

// A page of the process tabs holding one read-only table of `model`, whole rows selected, no row numbers. `widths`
// gives columns the width of a sample text.
QTableView* addTablePage(QTabWidget* tabs, QAbstractItemModel* model, const QString& name,
    const std::vector<std::pair<int, QString>>& widths, QWidget** page)
{
    *page = new QWidget(tabs);
    auto* layout = new QVBoxLayout(*page);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* view = new QTableView(*page);
    view->setObjectName(name);
    view->setModel(model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 8);
    view->horizontalHeader()->setStretchLastSection(true);
    view->setWordWrap(false);
    const QFontMetrics fm = view->fontMetrics();
    for (const auto& [column, sample] : widths)
        view->setColumnWidth(column, fm.horizontalAdvance(sample) + 24);
    layout->addWidget(view);
    return view;
}

} // namespace

QWidget* MainWindow::buildStepsView()
{
    QWidget* page = nullptr;
    m_stepsView = addTablePage(m_processTabs, m_stepsModel, QStringLiteral("stepsTable"),
        { { ProgramStepsModel::ProcessColumn, QStringLiteral("consumer-12") },
            { ProgramStepsModel::DoneColumn, QStringLiteral("88,888,888") },
            { ProgramStepsModel::MissedColumn, QStringLiteral("8,888,888") },
            { ProgramStepsModel::MeanColumn, tr("Mean time") },
            { ProgramStepsModel::ShareColumn, tr("Share of its time") } },
        &page);
    return page;
}

QWidget* MainWindow::buildWaitsView()
{
    QWidget* page = nullptr;
    std::vector<std::pair<int, QString>> widths { { ContentionModel::ObjectColumn, QStringLiteral("★ replies-12") },
        { ContentionModel::ForColumn, tr("Waiting for") },
        { ContentionModel::WaitsColumn, QStringLiteral("88,888,888") } };
    for (const int column : { ContentionModel::TotalColumn, ContentionModel::MeanColumn, ContentionModel::P50Column,
             ContentionModel::P90Column, ContentionModel::P99Column, ContentionModel::MaxColumn })
        widths.emplace_back(column, QStringLiteral("888.8 ms"));
    m_waitsView = addTablePage(m_processTabs, m_contentionModel, QStringLiteral("waitsTable"), widths, &page);
    return page;
}

void MainWindow::showStepsOf(const ipccore::Scenario& scenario)
{
    m_stepsModel->setPrograms(scenario);
    m_processTabs->setTabVisible(1, m_stepsModel->hasPrograms());
    m_stepsView->setColumnHidden(
        ProgramStepsModel::MissedColumn, m_stepsModel->isColumnUnused(ProgramStepsModel::MissedColumn));
    // The Step column as wide as the run's longest step, so that each reads whole.
    int step = m_stepsView->horizontalHeader()->sectionSizeHint(ProgramStepsModel::StepColumn);
    for (int row = 0; row < m_stepsModel->rowCount(); ++row)
        step = std::max(step,
            m_stepsView->fontMetrics().horizontalAdvance(
                m_stepsModel->index(row, ProgramStepsModel::StepColumn).data().toString())
                + 24);
    m_stepsView->setColumnWidth(ProgramStepsModel::StepColumn, step);
}

QString MainWindow::loadScenario(const QString& nameOrPath)
{
    if (m_session->isActive()) {
        const QString reason = tr("Stop the run before loading another scenario.");
        showError(reason);
        return reason;
    }
    QString reason;
    if (m_catalog->rowOf(nameOrPath) >= 0)
        reason = m_document->loadBundled(nameOrPath);
    else if (QFileInfo::exists(nameOrPath)) {
        // Named, since the window goes on showing the scenario it had (at launch the default one) beside the error.
        reason = m_document->loadFile(nameOrPath);
        if (!reason.isEmpty())
            reason = tr("%1: %2").arg(QDir::toNativeSeparators(nameOrPath), reason);
    } else
        reason = tr("\"%1\" is neither a bundled scenario nor a file.").arg(nameOrPath);
    if (!reason.isEmpty())
        showError(reason);
    else
        clearError();
    return reason;
}

void MainWindow::onScenarioChanged()
{
    const ipccore::Scenario& scenario = m_document->scenario();
    m_title->setText(QString::fromStdString(scenario.title.empty() ? scenario.name : scenario.title)
        + (m_document->isModified() ? tr("  (edited)") : QString()));
    m_descriptionText = QString::fromStdString(scenario.description);
    if (!m_session->isActive())
        m_descriptionExpanded = true; // another scenario, or an edit: its story whole until the next run starts
    updateDescription();
    const int row = m_catalog->rowOf(m_document->source());
    m_scenarioBox->setCurrentIndex(row);
    if (row < 0)
        m_scenarioBox->setPlaceholderText(QFileInfo(m_document->source()).fileName());
    // "Slots filled = messages inside" explains queues; pipes and sockets (bytes, no slots), shared arrays and
    // semaphores explain themselves.
    m_objectsBox->setTitle(
        hasMessageSlots(scenario) ? tr("IPC objects (slots filled = messages inside)") : tr("IPC objects"));
    if (!m_session->isActive()) {
        showIdleObjects();
        showIdleLedger();
        showStepsOf(scenario);
        m_pythonView->setScenario(scenario);
    }
}

void MainWindow::showIdleLedger()
{
    const ipccore::Scenario& scenario = m_document->scenario();
    std::vector<LedgerView::ObjectBooks> books;
    for (const ipccore::ObjectSpec& spec : scenario.objects) {
        books.push_back({ spec.name, spec.transport, spec.capacity, {} });
        // The pool's row shows before the run, as the other objects' rows do: the tasks of map and apply go here.
        books.back().ledger.pool.present
            = std::any_of(scenario.workers.begin(), scenario.workers.end(), [&spec](const ipccore::WorkerSpec& worker) {
                  return worker.role == ipccore::Role::Program
                      && std::any_of(
                          worker.program.begin(), worker.program.end(), [&spec](const ipccore::ProgramStep& s) {
                              return ipccore::isPoolCall(s.op) && s.object == spec.name;
                          });
              });
        // And a server's: the requests of its clients go here.
        books.back().ledger.requests.present
            = std::any_of(scenario.workers.begin(), scenario.workers.end(), [&spec](const ipccore::WorkerSpec& worker) {
                  return worker.role == ipccore::Role::Program
                      && std::any_of(
                          worker.program.begin(), worker.program.end(), [&spec](const ipccore::ProgramStep& s) {
                              return s.op == ipccore::StepOp::Serve && s.object == spec.name;
                          });
              });
        books.back().ledger.priorities = plannedPriorities(scenario, spec);
    }
    m_ledger->clear();
    m_ledger->setObjectBooks(books, hasMessageObjects(m_document->scenario()));
}

void MainWindow::showIdleObjects()
{
    std::vector<ipccore::ObjectStatus> objects;
    const ipccore::Scenario& scenario = m_document->scenario();
    const std::vector<std::string> hosts = ipccore::objectHosts(scenario); // named "far@lab2", as a run names them
    for (std::size_t k = 0; k < scenario.objects.size(); ++k) {
        const ipccore::ObjectSpec& spec = scenario.objects[k];
        ipccore::ObjectStatus status;
        status.name = spec.name;
        status.host = hosts[k];
        status.transport = spec.transport;
        // Slots, cells or permits to draw; a byte stream or a shared value has none.
        status.capacity = ipccore::capacityInMessages(spec.transport)
                || ipccore::traits(spec.transport).capacity == ipccore::CapacityUnit::Cells
                || spec.transport == ipccore::TransportKind::Semaphore
            ? spec.capacity
            : 0;
        status.messageSize = spec.messageSize;
        if (spec.transport == ipccore::TransportKind::ShmRing) {
            for (const char* role : { "empty", "full", "mutex" })
                status.semaphores.push_back({ role, {}, 0 });
        }
        if (spec.transport == ipccore::TransportKind::ShmArray)
            status.semaphores.push_back({ "lock", {}, 0 });
        objects.push_back(std::move(status));
    }
    m_objectView->setObjects(objects, false);
    fitObjectsPane();
}

// The objects show whole before the events get room (a pool's two queues, queue-timeouts' two), and no taller than
// their cards: at 1280x800 a lone card's pane had kept 150 px empty above a Manager's request tiles. Beyond two cards
// the panel scrolls, and then it keeps about two in view (a Manager's request queue and a reply queue), leaving the
// room to the ledger.
void MainWindow::fitObjectsPane()
{
    const int cards = m_objectView->sizeHint().height();
    const bool scrolls = m_objectView->objects().size() > 2;
    const int least = std::min(cards, scrolls ? 150 : 180);
    const int most = scrolls ? QWIDGETSIZE_MAX : cards;
    if (m_objectsScroll->minimumHeight() != least)
        m_objectsScroll->setMinimumHeight(least);
    if (m_objectsScroll->maximumHeight() != most)
        m_objectsScroll->setMaximumHeight(most);
    // Never narrower than the cards: a sideways scroll bar would take height the cap leaves no room for.
    const int narrowest = m_objectView->minimumSizeHint().width()
        + (scrolls ? m_objectsScroll->verticalScrollBar()->sizeHint().width() : 0);
    if (m_objectsScroll->minimumWidth() != narrowest)
        m_objectsScroll->setMinimumWidth(narrowest);
}

void MainWindow::setZoom(double factor)
{
    factor = std::clamp(factor, MinZoom, MaxZoom);
    if (std::abs(factor - m_zoom) < 1e-6)
        return;
    const double ratio = factor / m_zoom;
    m_zoom = factor;
    // Widgets that set a font of their own (titles, the ledger's figures, the Python text) are scaled with the rest;
    // those that follow the application's font (tables, labels, the charts' axes) take the new one from it.
    for (QWidget* widget : QApplication::allWidgets()) {
        if (!widget->testAttribute(Qt::WA_SetFont))
            continue;
        QFont f = widget->font();
        f.setPointSizeF(f.pointSizeF() * ratio);
        widget->setFont(f);
    }
    QFont font = QApplication::font();
    font.setPointSizeF(m_basePoints * m_zoom);
    QApplication::setFont(font);
    // A widget with a style sheet of its own (the scenario's explanation, the error) is not told of the
    // application's new font: give it the font.
    for (QWidget* widget : QApplication::allWidgets()) {
        if (!widget->styleSheet().isEmpty() && !widget->testAttribute(Qt::WA_SetFont))
            widget->setFont(font);
    }
    // Tables size their rows and columns once, from the font they started with: scale those too.
    for (QTableView* table : findChildren<QTableView*>()) {
        QHeaderView* rows = table->verticalHeader();
        rows->setDefaultSectionSize(qRound(rows->defaultSectionSize() * ratio));
        QHeaderView* columns = table->horizontalHeader();
        for (int c = 0; c < columns->count(); ++c)
            columns->resizeSection(c, qRound(columns->sectionSize(c) * ratio));
        table->setMinimumHeight(qRound(table->minimumHeight() * ratio));
    }
    if (m_rememberZoom)
        QSettings().setValue(QStringLiteral("view/zoom"), m_zoom);
    keepOnScreen();
    showNotice(tr("Zoom %1 % (Ctrl+plus, Ctrl+minus; Ctrl+0: 100 %)").arg(qRound(m_zoom * 100)));
}

// A dock shown or a larger font can widen the window past the screen: bring it back within the screen's room, as
// far as its least size allows (offscreen, the nominal screen is smaller than the pictures taken there).
void MainWindow::keepOnScreen()
{
    if (!screen() || QGuiApplication::platformName() == QLatin1String("offscreen"))
        return;
    QTimer::singleShot(0, this, [this] {
        const QRect room = screen()->availableGeometry();
        if (width() > room.width() || height() > room.height())
            resize(std::min(width(), room.width()), std::min(height(), room.height()));
        if (frameGeometry().right() > room.right() || frameGeometry().bottom() > room.bottom())
            move(std::max(room.left(), std::min(x(), room.right() - frameGeometry().width())),
                std::max(room.top(), std::min(y(), room.bottom() - frameGeometry().height())));
    });
}

void MainWindow::restoreZoom()
{
    bool ok = false;
    const double saved = QSettings().value(QStringLiteral("view/zoom"), 1.0).toDouble(&ok);
    if (ok && saved >= MinZoom && saved <= MaxZoom)
        setZoom(saved);
    m_rememberZoom = true;
}

void MainWindow::setTheme(Theme theme)
{
    if (theme != currentTheme())
        applyTheme(theme);
    updateDescription(); // its link's colour is in its text (a label lays out rich text once)
    m_darkAction->setChecked(theme == Theme::Dark);
    if (m_rememberTheme)
        QSettings().setValue(QStringLiteral("view/theme"), themeName(theme));
}

void MainWindow::restoreTheme()
{
    const auto saved = themeFromName(QSettings().value(QStringLiteral("view/theme")).toString());
    if (saved)
        setTheme(*saved);
    m_rememberTheme = true;
}

void MainWindow::showLesson(int index)
{
    m_lessons->setIndex(index);
    m_lessonDock->show();
    m_lessonDock->raise();
}

void MainWindow::startScenario(const QString& scenario)
{
    // Asked once, before a run going now is stopped for it (not again when it starts after the stop).
    // A lesson's Start locked its answer in; if its run does not start after all, the answer is open again.
    if (!std::exchange(m_startAfterStopAsked, false) && !mayReplaceEdits(scenario)) {
        m_lessons->startWithdrawn(scenario);
        return;
    }
    if (m_session->isActive()) {
        m_startAfterStop = scenario;
        m_startAfterStopAsked = true;
        if (m_session->state() != RunState::Stopping)
            stopRun();
        return;
    }
    if (loadScenario(scenario).isEmpty())
        startRun();
    if (!m_session->isActive())
        m_lessons->startWithdrawn(scenario);
}

void MainWindow::showRace()
{
    m_tabs->setCurrentWidget(m_race);
}

void MainWindow::setWorkerPath(const QString& path)
{
    m_session->setWorkerPath(path);
    m_race->setWorkerPath(path);
}

void MainWindow::startRun()
{
    if (m_session->isActive())
        return;
    if (m_bench->isRunning()) {
        showError(tr("A race is running: wait for it or cancel it, so that neither disturbs the other's numbers."));
        return;
    }
    const QString problem = m_document->problem();
    if (!problem.isEmpty()) {
        showError(tr("Cannot start: %1").arg(problem));
        return;
    }
    clearError();
    m_processModel->clear();
    m_processModel->setPrograms(m_document->scenario());
    showStepsOf(m_document->scenario());
    m_charts->reset();
    m_ledger->clear();
    m_contentionModel->clear();
    m_contentionShown.reset();
    m_waitForView->clear();
    m_deadlockBanner->hide();
    m_events->clear();
    m_rendered.reset();
    // Watching the timeline or the Python program, one stays there; from the editor or the race, to Live.
    if (m_tabs->currentWidget() != m_timelineView && m_tabs->currentWidget() != m_pythonView)
        m_tabs->setCurrentIndex(0);
    m_timelineView->timelineChanged();
    m_addedPrograms.clear();
    const ipccore::Scenario& starting = m_document->scenario();
    m_processPanel->setAddable(hasRoomFor(starting, ipccore::Role::Producer),
        hasRoomFor(starting, ipccore::Role::Consumer),
        std::any_of(starting.workers.begin(), starting.workers.end(),
            [](const ipccore::WorkerSpec& w) { return w.role == ipccore::Role::Program; }));
    m_session->start(m_document->scenario());
}

void MainWindow::stopRun()
{
    m_session->stop();
}

void MainWindow::onStateChanged(RunState state)
{
    const bool active = state != RunState::Idle;
    // The shortcut in the tooltip, not the text: the toolbar must fit a 1280-pixel projector with room to spare.
    m_runAction->setText(active ? tr("■  Stop") : tr("▶  Start"));
    updateRunAction();
    if (QWidget* button = qobject_cast<QToolBar*>(m_runAction->parent())
            ? static_cast<QToolBar*>(m_runAction->parent())->widgetForAction(m_runAction)
            : nullptr) {
        button->setStyleSheet(active
                ? QStringLiteral("QToolButton { background: #c62828; color: white; font-weight: bold; "
                                 "padding: 4px 12px; border-radius: 4px; }")
                : QStringLiteral("QToolButton { background: #2e7d32; color: white; font-weight: bold; "
                                 "padding: 4px 12px; border-radius: 4px; }"));
    }
    if (state == RunState::Starting) {
        m_descriptionExpanded = false;
        if (!m_watchPanel->isHidden()) {
            fitLiveSplitter(); // the run's views take back their room beside the watched objects
            if (m_processTabs->currentWidget() == m_watchedProcesses)
                m_processTabs->setCurrentIndex(0); // and its processes are in front (the watched ones a click away)
        }
    }
    updateScenarioHeading();
    updateDescription();
    m_scenarioBox->setEnabled(!active);
    m_openAction->setEnabled(!active);
    m_editor->setRunActive(active);
    m_processPanel->setRunActive(state == RunState::Running);
    m_stepBar->setRunActive(state == RunState::Running);
    m_race->setLiveRunActive(active);
    switch (state) {
    case RunState::Idle:
        m_runStatus->setText(tr("Idle"));
        showIdleObjects();
        break;
    case RunState::Starting:
        m_runStatus->setText(tr("Starting…"));
        break;
    case RunState::Running:
        m_runStatus->setText(tr("Running"));
        break;
    case RunState::Stopping:
        m_runStatus->setText(tr("Stopping workers, unlinking objects…"));
        break;
    }
}

// What the status bar says once a run has stopped, until the next starts: how long it ran and how its books ended,
// so that a bare "Idle" does not hide whether everything sent arrived.
QString MainWindow::stoppedStatus(const RunSummary& summary) const
{
    const QString ran = tr("Stopped after %1 s").arg(summary.durationS, 0, 'f', 1);
    if (!hasMessageObjects(m_session->scenario()))
        return tr("%1  ·  its books are in the Integrity ledger (Live tab)").arg(ran);
    const ipccore::Ledger& books = summary.integrity;
    const QLocale locale;
    QString counts = tr("%1 sent, %2 received, %3 left")
                         .arg(locale.toString(qulonglong(books.sent)), locale.toString(qulonglong(books.received)),
                             locale.toString(qulonglong(books.left)));
    // The books can be exact with these (a shared value's overwritten messages, a killed consumer's message in
    // hand): without them the three numbers would not add up.
    if (books.lost > 0)
        counts += tr(", %1 lost").arg(locale.toString(qulonglong(books.lost)));
    if (books.lostWithDeadWorkers > 0)
        counts += tr(", %1 went with workers that were killed or ended early")
                      .arg(locale.toString(qulonglong(books.lostWithDeadWorkers)));
    QString verdict = books.exact ? tr("ledger exact") : tr("ledger NOT exact: see the Integrity ledger (Live tab)");
    if (!m_deadlockBanner->isHidden())
        verdict = tr("deadlocked (see the banner)  ·  %1").arg(verdict);
    return tr("%1  ·  %2  ·  %3").arg(ran, counts, verdict);
}

void MainWindow::updateRunAction()
{
    const RunState state = m_session->state();
    const bool racing = m_bench->isRunning() && state == RunState::Idle;
    m_runAction->setEnabled(state != RunState::Stopping && !racing);
    if (racing)
        m_runAction->setToolTip(tr("A race is running (Race tab): a live run now would disturb its numbers"));
    else
        m_runAction->setToolTip(state != RunState::Idle ? tr("Stop the workers and unlink every object (Ctrl+R)")
                                                        : tr("Run the experiment (Ctrl+R)"));
}

void MainWindow::scheduleRender()
{
    if (!m_renderTimer.isActive())
        m_renderTimer.start();
}

void MainWindow::renderNow()
{
    m_renderTimer.stop();
    m_chartTimer.stop();
    renderViews();
    refreshCharts();
}

void MainWindow::showTimeline()
{
    m_tabs->setCurrentWidget(m_timelineView);
}

void MainWindow::showSystem()
{
    m_tabs->setCurrentWidget(m_systemView);
}

// The scenario's title and story say nothing about the race, the machine's other objects, or a Live tab that shows
// only other programs' watched objects (no run going): there they give their room to the views.
void MainWindow::updateScenarioHeading()
{
    const QWidget* tab = m_tabs->currentWidget();
    const bool watchingOnly = tab == m_liveView && m_runViewsCollapsed;
    const bool shown = tab != m_race && tab != m_systemView && !watchingOnly;
    m_title->setVisible(shown);
    m_description->setVisible(shown);
}

// The Live view's rows: the run's views, the watched objects (while any is watched) and the processes (the run's, and
// in their own tab the watched objects'). With no run going, the watched objects and their processes take it all (the
// run's views come back when one starts).
void MainWindow::fitLiveSplitter()
{
    const int total = std::max(m_liveSplitter->height(), 600);
    m_runViewsCollapsed = !m_watchPanel->isHidden() && !m_session->isActive();
    if (m_watchPanel->isHidden())
        m_liveSplitter->setSizes({ total * 70 / 100, 0, total * 30 / 100 });
    else if (m_session->isActive())
        m_liveSplitter->setSizes({ total * 46 / 100, total * 32 / 100, total * 22 / 100 });
    else
        m_liveSplitter->setSizes({ 0, total * 58 / 100, total * 42 / 100 });
}

void MainWindow::watchObject(ipccore::SystemObjectKind kind, const std::string& name)
{
    m_watchPanel->watch(kind, name);
    m_tabs->setCurrentWidget(m_liveView);
}

// A snapshot arrived a moment ago: the views follow at once, the charts at their own slower pace.
void MainWindow::renderTick()
{
    renderViews();
    if (!m_chartTimer.isActive())
        m_chartTimer.start(m_charts->refreshIntervalMs());
}

void MainWindow::renderViews()
{
    const SnapshotPtr snapshot = m_session->latest();
    if (!snapshot || snapshot == m_rendered)
        return;
    m_rendered = snapshot;
    m_processModel->apply(*snapshot);
    m_stepsModel->apply(*snapshot);
    int atGate = 0, alive = 0;
    for (const ipccore::WorkerStatus& w : snapshot->workers) {
        alive += w.alive && w.host.empty() ? 1 : 0; // step mode holds this machine's workers only
        atGate += w.atGate ? 1 : 0;
    }
    m_stepBar->setStepState(snapshot->stepMode, snapshot->stepRate, atGate, alive);
    if (snapshot->contention != m_contentionShown) {
        m_contentionShown = snapshot->contention;
        m_contentionModel->setContention(*m_contentionShown);
    }
    if (m_waitForView->isVisible())
        m_waitForView->setSnapshot(*snapshot);
    else
        m_waitForPending = true;
    if (m_timelineView->isVisible())
        m_timelineView->timelineChanged();
    if (m_pythonView->isVisible())
        m_pythonView->setSnapshot(*snapshot);
    m_lessons->apply(*snapshot); // reads one figure, and only while a reveal waits
    if (snapshot->deadlock.kind == ipccore::WaitForVerdict::Kind::Deadlock && m_deadlockBanner->isHidden()) {
        m_deadlockBanner->setText(tr("Deadlock: %1. Each waits for the next and none can go on; the run would wait for "
                                     "ever. Stop ends it (a stop always works). To fix the program, make every process "
                                     "take these objects in one agreed order (see Who waits for whom).")
                                      .arg(QString::fromStdString(snapshot->deadlock.text)
                                               .remove(QStringLiteral(". None of them can go on: a deadlock"))));
        m_deadlockText = QString::fromStdString(snapshot->deadlock.text);
        m_deadlockBanner->show();
        renderError(); // one line now: the banner says it at length
    }
    if (m_session->isActive()) {
        m_objectView->setObjects(snapshot->objects, true);
        fitObjectsPane(); // a host's first snapshot brings its object's semaphore tiles
    }
    m_ledger->setLedger(snapshot->ledger);
    m_ledger->setObjectBooks(LedgerView::booksOf(*snapshot), hasMessageObjects(m_session->scenario()));
    if (m_session->state() == RunState::Running) {
        // Programs make passes, not messages: the status says which the rate counts (every worker a program:
        // passes, even when they put and get messages).
        const bool programsOnly = !snapshot->workers.empty()
            && std::all_of(snapshot->workers.begin(), snapshot->workers.end(),
                [](const ipccore::WorkerStatus& w) { return w.role == ipccore::Role::Program; });
        m_runStatus->setText(tr("Running  ·  %1 s  ·  %2 %3  ·  %4 workers")
                                 .arg(snapshot->t, 0, 'f', 1)
                                 .arg(QLocale().toString(m_session->history().totalRate(), 'f', 0))
                                 .arg(programsOnly ? tr("passes/s") : tr("msgs/s"))
                                 .arg(snapshot->workers.size()));
    }
}

void MainWindow::refreshCharts()
{
    double capacity = 1, permits = 1;
    if (const SnapshotPtr snapshot = m_session->latest()) {
        // The depth axis is in messages: cells and permits are no depth.
        for (const ipccore::ObjectStatus& object : snapshot->objects) {
            if (ipccore::capacityInMessages(object.transport))
                capacity = std::max(capacity, double(object.capacity));
            if (object.transport == ipccore::TransportKind::Semaphore)
                permits = std::max(permits, double(object.capacity));
        }
    }
    m_charts->refresh(m_session->history(), capacity, permits);
}

void MainWindow::showError(const QString& message)
{
    m_lastError = message;
    m_errorShown = true;
    renderError();
    // A temporary status-bar message hides the label (QStatusBar::showMessage): an error must not wait behind a
    // notice that came just before it, such as the start-up cleanup's.
    statusBar()->clearMessage();
    emit errorShown(message);
}

// At most two lines (one under the banner), so that a long error (a deadlock's cycle of five) never makes the window
// taller than a projector's screen: the whole of it, and its technical form, behind "Details…".
void MainWindow::renderError()
{
    if (!m_errorShown) {
        m_errorLabel->clear();
        return;
    }
    ErrorParts parts = splitError(m_lastError);
    // The banner says the deadlock at length: the status line only points at it (and the cycle is behind Details…),
    // so the window does not say it twice.
    if (!m_deadlockBanner->isHidden() && !m_deadlockText.isEmpty() && m_lastError.endsWith(m_deadlockText))
        parts = { tr("Deadlocked: the red banner above says who waits for whom."), m_lastError };
    const QString details = tr("Details…");
    QFont bold = m_errorLabel->font();
    bold.setBold(true);
    const int labelWidth = m_errorLabel->contentsRect().width();
    const int width = (labelWidth > 100 ? labelWidth : this->width() - m_runStatus->minimumWidth() - 60) - 8;
    const bool hasDetails = !parts.details.isEmpty();
    // One line while the red banner above explains a deadlock or a freeze (the window must still fit the screen).
    const int lines = m_deadlockBanner->isHidden() ? 2 : 1;
    const FittedText fitted
        = fitLines(hasDetails ? parts.text + QLatin1Char(' ') + details : parts.text, bold, width, lines, details);
    QString html
        = (fitted.cut ? fitted.text.left(parts.text.size()) + QStringLiteral(" …") : parts.text).toHtmlEscaped();
    if (fitted.cut || hasDetails)
        html += QStringLiteral(" <a href=\"details\">%1</a>").arg(details);
    m_errorLabel->setText(html);
    m_errorLabel->setToolTip(
        QStringLiteral("<p>%1</p>").arg((hasDetails ? parts.details : parts.text).toHtmlEscaped()));
    // A wrapped label asks for the height of its text wrapped at its narrowest: two lines are all it needs.
    m_errorLabel->setMaximumHeight(lines * QFontMetrics(bold).lineSpacing() + 4);
}

void MainWindow::clearError()
{
    m_errorShown = false;
    m_errorLabel->clear();
}

void MainWindow::showNotice(const QString& message)
{
    // Something done since: the last error no longer describes the window (it stays in the Events log).
    clearError();
    statusBar()->showMessage(message, 8000);
}

void MainWindow::logEvent(double t, int kind, const QString& text)
{
    QString prefix;
    if (kind == int(ipccore::RunEvent::Kind::Warning))
        prefix = tr("warning: ");
    else if (kind == int(ipccore::RunEvent::Kind::Error))
        prefix = tr("error: ");
    m_events->appendPlainText(QStringLiteral("%1 s  %2%3").arg(t, 6, 'f', 1).arg(prefix, text));
}

ipccore::Scenario MainWindow::runningScenario() const
{
    ipccore::Scenario scenario = m_session->scenario();
    scenario.workers.insert(scenario.workers.end(), m_addedPrograms.begin(), m_addedPrograms.end());
    return scenario;
}

void MainWindow::onWorkerAdded(const ipccore::WorkerSpec& spec)
{
    if (spec.role != ipccore::Role::Program)
        return;
    m_addedPrograms.push_back(spec);
    const ipccore::Scenario scenario = runningScenario();
    m_processModel->setPrograms(scenario);
    showStepsOf(scenario);
}

void MainWindow::addWorkerLike(ipccore::Role role, const QList<int>& selection)
{
    const SnapshotPtr snapshot = m_session->latest();
    if (!snapshot)
        return;
    const ipccore::Scenario scenario = runningScenario();
    ipccore::WorkerSpec spec;
    bool found = false;
    if (role == ipccore::Role::Program) {
        // A program is its steps: copy the selected program's (or the experiment's first program's) whole spec.
        auto program = scenario.workers.end();
        for (const int row : selection) {
            if (program == scenario.workers.end() && row >= 0 && std::size_t(row) < snapshot->workers.size())
                program = std::find_if(scenario.workers.begin(), scenario.workers.end(), [&](const auto& w) {
                    return w.role == role && w.name == snapshot->workers[std::size_t(row)].name;
                });
        }
        if (program == scenario.workers.end())
            program = std::find_if(scenario.workers.begin(), scenario.workers.end(),
                [&](const ipccore::WorkerSpec& w) { return w.role == role; });
        found = program != scenario.workers.end();
        if (found)
            spec = *program;
        else {
            showError(tr("This experiment has no program to copy. Add one in the Experiment tab (Workers, Add, "
                         "role program), then run it."));
            return;
        }
    }
    // Like the selected worker of that role, else like the scenario's first one, else defaults on the first object.
    for (const int row : selection) {
        if (row < 0 || std::size_t(row) >= snapshot->workers.size())
            continue;
        const ipccore::WorkerStatus& w = snapshot->workers[std::size_t(row)];
        if (w.role != role || found)
            continue;
        spec.object = w.object;
        spec.rate = w.rate;
        spec.messageSize = w.messageSize;
        spec.workUs = w.workUs;
        spec.name = w.name;
        found = true;
        break;
    }
    if (!found) {
        for (const ipccore::WorkerSpec& w : scenario.workers) {
            if (w.role == role) {
                spec = w;
                found = true;
                break;
            }
        }
    }
    if (!found && role != ipccore::Role::Program) {
        // Producers and consumers need an object that carries messages; a shared array or semaphore will not do.
        const auto object = std::find_if(scenario.objects.begin(), scenario.objects.end(),
            [](const ipccore::ObjectSpec& o) { return ipccore::traits(o.transport).carriesMessages; });
        if (object == scenario.objects.end()) {
            showError(tr("This experiment has no queue, pipe or socket: a %1 needs one to move messages through.")
                          .arg(QString::fromLatin1(ipccore::roleName(role))));
            return;
        }
        spec.object = object->name;
        spec.messageSize = std::min<std::uint32_t>(spec.messageSize, object->messageSize);
        spec.name = role == ipccore::Role::Producer ? "producer" : "consumer";
    }
    spec.role = role;
    if (role != ipccore::Role::Program)
        spec.count = 0; // a copied program keeps its passes, as its steps
    std::set<std::string> used;
    for (const ipccore::WorkerStatus& w : snapshot->workers)
        used.insert(w.name);
    QString base = QString::fromStdString(spec.name);
    base.remove(QRegularExpression(QStringLiteral("[-_]?\\d+$")));
    if (base.isEmpty())
        base = QString::fromLatin1(ipccore::roleName(role));
    for (int n = 1;; ++n) {
        const std::string candidate = QStringLiteral("%1-%2").arg(base).arg(n).toStdString();
        if (!used.count(candidate)) {
            spec.name = candidate;
            break;
        }
    }
    m_session->addWorker(spec);
}

void MainWindow::openScenario()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open scenario"), QString(), tr("Scenario files (*.json);;All files (*)"));
    if (path.isEmpty())
        return;
    // A file that cannot be read as a scenario says why without asking about the edits it would not replace.
    if (ipccore::loadScenarioFile(path.toStdString()) && !mayReplaceEdits(path))
        return;
    loadScenario(path);
}

void MainWindow::saveScenario()
{
    // During a run changed from the process table, the user chooses which experiment: the one running now or the one
    // that was started (the Experiment tab's, which the run does not change).
    bool live = false;
    if (m_session->isActive() && m_session->liveChanges() > 0) {
        QMessageBox ask(QMessageBox::Question, tr("Save during a run"),
            tr("Since it started, the run was changed %n time(s) from the process table (rates, message sizes, work "
               "times, added workers).",
                nullptr, m_session->liveChanges()),
            QMessageBox::Cancel, this);
        ask.setInformativeText(tr("Save the experiment as it runs now, or as it was when it started?"));
        QAbstractButton* now = ask.addButton(tr("As it runs now"), QMessageBox::AcceptRole);
        ask.addButton(tr("As it started"), QMessageBox::AcceptRole);
        ask.setDefaultButton(static_cast<QPushButton*>(now));
        ask.exec();
        if (ask.clickedButton() == ask.button(QMessageBox::Cancel) || !ask.clickedButton())
            return;
        live = ask.clickedButton() == now;
    }
    saveExperiment(live);
}

bool MainWindow::saveExperiment(bool live)
{
    // The file the experiment came from, if it came from one; otherwise a new file named after it.
    const QString file = editedFile();
    const QString suggested
        = file.isEmpty() ? QString::fromStdString(m_document->scenario().name) + QStringLiteral(".json") : file;
    const QString path
        = QFileDialog::getSaveFileName(this, tr("Save scenario"), suggested, tr("Scenario files (*.json)"));
    if (path.isEmpty())
        return false;
    QString reason;
    if (live) {
        const ipccore::Status saved = ipccore::saveScenarioFile(m_session->liveScenario(), path.toStdString());
        reason = saved ? QString() : errorText(saved.error());
    } else
        reason = m_document->saveFile(path);
    if (!reason.isEmpty()) {
        showError(reason);
        return false;
    }
    showNotice(live ? tr("Saved %1, the experiment as it runs now").arg(path) : tr("Saved %1").arg(path));
    return true;
}

QString MainWindow::editedFile() const
{
    const QString source = m_document->source();
    return source.isEmpty() || m_catalog->rowOf(source) >= 0 ? QString() : source;
}

bool MainWindow::askAboutEdits(const QString& opening)
{
    const QString file = editedFile();
    QMessageBox ask(QMessageBox::Warning, tr("Unsaved experiment"),
        file.isEmpty() ? tr("The experiment %1 has changes that are not saved.")
                             .arg(quotedTitle(QString::fromStdString(m_document->scenario().name)))
                       : tr("The experiment from %1 has changes that are not saved.").arg(QFileInfo(file).fileName()),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, this);
    if (!opening.isEmpty())
        ask.setInformativeText(tr("Save them before opening %1, or open it and lose them?").arg(opening));
    else if (m_session->isActive())
        ask.setInformativeText(tr("Save them before closing, or close and lose them? Either way the run is stopped "
                                  "and its IPC objects removed."));
    else
        ask.setInformativeText(tr("Save them before closing, or close and lose them?"));
    ask.setDefaultButton(QMessageBox::Save);
    m_editsQuestion = &ask;
    const int answer = ask.exec();
    m_editsQuestion = nullptr;
    if (quittingOnSignal())
        return false; // the window closes without asking again; nothing else is to happen first
    // Save writes the experiment as edited (the Experiment tab's), whatever a run changed from the process table.
    return answer == QMessageBox::Discard || (answer == QMessageBox::Save && saveExperiment());
}

QString MainWindow::quotedTitle(const QString& scenario) const
{
    const int row = m_catalog->rowOf(scenario);
    return QStringLiteral("\u201C%1\u201D").arg(row >= 0 ? m_catalog->index(row).data().toString() : scenario);
}

bool MainWindow::mayCloseWithEdits()
{
    if (m_editsQuestion) { // a close while a question is up (a termination signal's quit): it answers it
        m_editsQuestion->reject();
        return false;
    }
    if (!m_document->isModified() || m_editsAnswered || quittingOnSignal())
        return true;
    m_editsAnswered = askAboutEdits({}) || quittingOnSignal();
    return m_editsAnswered;
}

bool MainWindow::mayReplaceEdits(const QString& next)
{
    if (m_editsQuestion)
        return false; // one question at a time (a lesson's start queued while it is up does nothing)
    if (!m_document->isModified())
        return true;
    // Named as the picker names it (its title), or by its file's name.
    const QString named = m_catalog->rowOf(next) >= 0 ? quotedTitle(next) : QFileInfo(next).fileName();
    const bool again = next == m_document->source();
    const bool answered = askAboutEdits(again ? tr("%1 again").arg(named) : named);
    if (quittingOnSignal()) {
        // The quit that answered the question found this window open and was dropped: quit again, which now closes it.
        QTimer::singleShot(0, qApp, &QCoreApplication::quit);
        return false;
    }
    return answered;
}

void MainWindow::exportCsv()
{
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export chart data as CSV"), QStringLiteral("ipclab-data.csv"), tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text) || !m_session->history().writeCsv(file) || !file.commit())
        showError(tr("Could not write %1: %2").arg(path, file.errorString()));
    else
        showNotice(tr("Saved %1").arg(path));
}

void MainWindow::exportTrace()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Export the run as a trace"),
        QStringLiteral("ipclab-trace.json"), tr("Chrome trace-event JSON (*.json)"));
    if (!path.isEmpty())
        m_session->exportTrace(path); // written off the GUI thread; the answer comes as traceExported
}

void MainWindow::setDescriptionExpanded(bool expanded)
{
    m_descriptionExpanded = expanded;
    updateDescription();
}

// Before a run: the whole explanation, to read before starting. Once a run's views fill the window (while it runs and
// after, until another scenario is loaded): its first lines and a "more" link, unless the user asked for all of it.
void MainWindow::updateDescription()
{
    constexpr int CollapsedLines = 2;
    const bool results = m_session->isActive() || m_processModel->rowCount() > 0;
    const auto toHtml
        = [](const QString& text) { return text.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>")); };
    QString html = toHtml(m_descriptionText);
    bool collapsed = false;
    const int width = m_description->contentsRect().width() - 8; // a little short: rich text may wrap a word sooner
    if (results && width > 100) {
        const QString more = tr("more");
        const FittedText fitted = fitLines(m_descriptionText, m_description->font(), width, CollapsedLines, more);
        if (fitted.cut && !m_descriptionExpanded) {
            html = toHtml(fitted.text)
                + QStringLiteral(" … <a href=\"more\" style=\"color:%1\">%2</a>").arg(cssColor(Colors::link()), more);
            collapsed = true;
        } else if (fitted.cut) {
            html += QStringLiteral(" <a href=\"less\" style=\"color:%1\">%2</a>")
                        .arg(cssColor(Colors::link()), tr("less"));
        }
    }
    m_descriptionCollapsed = collapsed;
    if (m_description->text() != html)
        m_description->setText(html);
}

void MainWindow::fitLeftColumn()
{
    QWidget* column = m_leftScroll->widget();
    const int least = column->minimumSizeHint().width() + m_leftScroll->verticalScrollBar()->sizeHint().width();
    if (m_leftScroll->minimumWidth() != least)
        m_leftScroll->setMinimumWidth(least);
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event)
{
    if (m_leftScroll && watched == m_leftScroll->widget() && event->type() == QEvent::LayoutRequest)
        fitLeftColumn();
    if (watched == m_objectView && m_objectsScroll && event->type() == QEvent::FontChange) // cards sized in lines
        fitObjectsPane();
    // A new width wraps the explanation and the error differently: cut them again where their second line ends.
    if ((watched == m_description || watched == m_errorLabel) && event->type() == QEvent::Resize) {
        const auto* resize = static_cast<QResizeEvent*>(event);
        if (resize->size().width() != resize->oldSize().width())
            QTimer::singleShot(
                0, this, watched == m_description ? &MainWindow::updateDescription : &MainWindow::renderError);
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (!mayCloseWithEdits()) {
        event->ignore(); // the user cancelled, or saving did not happen: the window and its run go on
        m_closeAfterStop = false;
        return;
    }
    // The bench thread's destructor waits for the race to end; cancelling now makes that wait short.
    m_bench->cancel();
    m_startAfterStop.clear(); // a scenario picked during the stop must not start in a closing window
    m_startAfterStopAsked = false;
    if (m_session->isActive()) {
        // Close once the workers are stopped and every object is unlinked; the window stays responsive meanwhile.
        m_closeAfterStop = true;
        m_session->stop();
        event->ignore();
        return;
    }
    event->accept();
}

} // namespace ipcui
