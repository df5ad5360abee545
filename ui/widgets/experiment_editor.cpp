#include "widgets/experiment_editor.h"
#include "widgets/state_colors.h"
#include "widgets/theme.h"

#include "model/object_list_model.h"
#include "model/scenario_document.h"
#include "model/worker_list_model.h"
#include "widgets/object_dialog.h"
#include "widgets/worker_dialog.h"

#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace ipcui {

namespace {
QTableView* makeTable(QAbstractItemModel* model, QWidget* parent)
{
    auto* view = new QTableView(parent);
    view->setModel(model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view->horizontalHeader()->setMinimumSectionSize(90);
    view->setAlternatingRowColors(true);
    return view;
}
} // namespace

ExperimentEditor::ExperimentEditor(ScenarioDocument* document, QWidget* parent)
    : QWidget(parent)
    , m_document(document)
    , m_objectModel(new ObjectListModel(document, this))
    , m_workerModel(new WorkerListModel(document, this))
{
    auto* layout = new QVBoxLayout(this);

    m_note = new QLabel(this);
    m_note->setObjectName(QStringLiteral("editorNote"));
    m_note->setWordWrap(true);
    layout->addWidget(m_note);

    auto addSection = [this, layout](const QString& title, QTableView* table, auto onAdd, auto onEdit, auto onRemove) {
        auto* box = new QGroupBox(title, this);
        auto* boxLayout = new QVBoxLayout(box);
        boxLayout->addWidget(table);
        auto* buttons = new QHBoxLayout;
        auto* add = new QPushButton(tr("Add…"), box);
        auto* edit = new QPushButton(tr("Edit…"), box);
        auto* remove = new QPushButton(tr("Remove"), box);
        connect(add, &QPushButton::clicked, this, onAdd);
        connect(edit, &QPushButton::clicked, this, onEdit);
        connect(remove, &QPushButton::clicked, this, onRemove);
        connect(table, &QTableView::doubleClicked, this, onEdit);
        buttons->addWidget(add);
        buttons->addWidget(edit);
        buttons->addWidget(remove);
        buttons->addStretch(1);
        boxLayout->addLayout(buttons);
        layout->addWidget(box, 1);
        m_sections.append(box);
    };
    m_objects = makeTable(m_objectModel, this);
    m_objects->setObjectName(QStringLiteral("objectTable"));
    m_workers = makeTable(m_workerModel, this);
    m_workers->setObjectName(QStringLiteral("workerTable"));
    addSection(
        tr("IPC objects"), m_objects, [this] { addObject(); }, [this] { editObject(); }, [this] { removeObject(); });
    addSection(
        tr("Workers: producers, consumers and programs"), m_workers, [this] { addWorker(); }, [this] { editWorker(); },
        [this] { removeWorker(); });

    m_refusal = new QLabel(this);
    m_refusal->setObjectName(QStringLiteral("refusal"));
    m_refusal->setWordWrap(true);
    setThemedStyleSheet(
        m_refusal, [] { return QStringLiteral("color: %1; font-weight: bold;").arg(cssColor(Colors::error())); });
    layout->addWidget(m_refusal);
    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("scenarioProblem"));
    m_problem->setWordWrap(true);
    layout->addWidget(m_problem);
    auto* limits = new QLabel(document->limitsText(), this);
    limits->setWordWrap(true);
    setThemedStyleSheet(limits, [] { return QStringLiteral("color: %1;").arg(cssColor(Colors::secondaryText())); });
    layout->addWidget(limits);
    connect(document, &ScenarioDocument::limitsChanged, limits,
        [limits, document] { limits->setText(document->limitsText()); });

    connect(document, &ScenarioDocument::changed, this, &ExperimentEditor::refreshProblem);
    connect(document, &ScenarioDocument::scenarioReplaced, this, [this] { m_refusal->clear(); });
    refreshProblem();
    setRunActive(false);
}

int ExperimentEditor::currentRow(QTableView* view) const
{
    const QModelIndexList rows = view->selectionModel()->selectedRows();
    return rows.isEmpty() ? -1 : rows.first().row();
}

void ExperimentEditor::setRunActive(bool active)
{
    for (QWidget* section : m_sections)
        section->setEnabled(!active);
    m_problem->setVisible(!active); // "valid and ready to run" beside "stop it to edit" would read as a contradiction
    m_note->setText(active ? tr("A run is in progress: stop it to edit the experiment. To change the running "
                                "processes' rate, message size or work per message, open the Live tab, select them in "
                                "the Processes table and use Rate, Size and Work (this run only).")
                           : tr("Changes apply to the next run. A value the lab or this machine cannot take is "
                                "refused here with the reason; nothing is adjusted silently."));
}

QString ExperimentEditor::noteText() const
{
    return m_note->text();
}

void ExperimentEditor::showRefusal(const QString& reason)
{
    m_refusal->setText(reason);
}

QString ExperimentEditor::shownProblem() const
{
    return m_refusal->text().isEmpty() ? m_problem->text() : m_refusal->text();
}

void ExperimentEditor::refreshProblem()
{
    const QString problem = m_document->problem();
    if (problem.isEmpty()) {
        m_problem->setText(tr("The experiment is valid and ready to run."));
        m_problem->setStyleSheet(QStringLiteral("color: %1;").arg(cssColor(Colors::ok())));
    } else {
        m_problem->setText(tr("Cannot run yet: %1").arg(problem));
        m_problem->setStyleSheet(QStringLiteral("color: %1; font-weight: bold;").arg(cssColor(Colors::error())));
    }
}

void ExperimentEditor::addObject()
{
    ipccore::ObjectSpec spec;
    spec.name = m_document->uniqueObjectName(QStringLiteral("queue")).toStdString();
    ObjectDialog dialog(*m_document, spec, -1, this);
    if (dialog.exec() == QDialog::Accepted)
        showRefusal(m_document->addObject(dialog.spec()));
}

void ExperimentEditor::editObject()
{
    const int row = currentRow(m_objects);
    if (row < 0) {
        showRefusal(tr("Select an object to edit."));
        return;
    }
    ObjectDialog dialog(*m_document, m_document->scenario().objects[std::size_t(row)], row, this);
    if (dialog.exec() == QDialog::Accepted)
        showRefusal(m_document->replaceObject(row, dialog.spec()));
}

void ExperimentEditor::removeObject()
{
    const int row = currentRow(m_objects);
    showRefusal(row < 0 ? tr("Select an object to remove.") : m_document->removeObject(row));
}

void ExperimentEditor::addWorker()
{
    // A producer on the first object that carries messages; with only arrays and semaphores, a program.
    ipccore::WorkerSpec spec;
    spec.role = ipccore::Role::Program;
    for (const ipccore::ObjectSpec& object : m_document->scenario().objects) {
        if (ipccore::traits(object.transport).carriesMessages) {
            spec.role = ipccore::Role::Producer;
            spec.object = object.name;
            spec.messageSize = std::min<std::uint32_t>(spec.messageSize, object.messageSize);
            break;
        }
    }
    const bool program = spec.role == ipccore::Role::Program;
    spec.name
        = m_document->uniqueWorkerName(program ? QStringLiteral("program") : QStringLiteral("producer")).toStdString();
    WorkerDialog dialog(*m_document, spec, -1, this);
    if (dialog.exec() == QDialog::Accepted)
        showRefusal(m_document->addWorker(dialog.spec()));
}

void ExperimentEditor::editWorker()
{
    const int row = currentRow(m_workers);
    if (row < 0) {
        showRefusal(tr("Select a worker to edit."));
        return;
    }
    WorkerDialog dialog(*m_document, m_document->scenario().workers[std::size_t(row)], row, this);
    if (dialog.exec() == QDialog::Accepted)
        showRefusal(m_document->replaceWorker(row, dialog.spec()));
}

void ExperimentEditor::removeWorker()
{
    const int row = currentRow(m_workers);
    showRefusal(row < 0 ? tr("Select a worker to remove.") : m_document->removeWorker(row));
}

} // namespace ipcui
