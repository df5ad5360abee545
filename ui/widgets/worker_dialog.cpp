#include "widgets/worker_dialog.h"
#include "widgets/state_colors.h"
#include "widgets/theme.h"

#include "model/error_text.h"
#include "model/scenario_document.h"

#include "ipccore/program.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

namespace ipcui {

namespace {
// One step per line, as the scenario JSON writes them.
QString programLines(const ipccore::ProgramSteps& program)
{
    QStringList lines;
    for (const ipccore::ProgramStep& step : program)
        lines << QString::fromStdString(ipccore::stepText(step));
    return lines.join(QLatin1Char('\n'));
}
} // namespace

WorkerDialog::WorkerDialog(
    const ScenarioDocument& document, const ipccore::WorkerSpec& initial, int replacing, QWidget* parent)
    : QDialog(parent)
    , m_document(document)
    , m_replacing(replacing)
    , m_host(initial.host)
{
    setWindowTitle(replacing < 0 ? tr("Add worker") : tr("Edit worker"));
    auto* layout = new QVBoxLayout(this);
    m_form = new QFormLayout;
    m_name = new QLineEdit(QString::fromStdString(initial.name), this);
    m_role = new QComboBox(this);
    m_role->addItem(tr("producer"), int(ipccore::Role::Producer));
    m_role->addItem(tr("consumer"), int(ipccore::Role::Consumer));
    m_role->addItem(tr("program"), int(ipccore::Role::Program));
    m_role->setCurrentIndex(m_role->findData(int(initial.role)));
    m_object = new QComboBox(this);
    for (const ipccore::ObjectSpec& object : document.scenario().objects) {
        // Producers and consumers move messages; arrays and semaphores are for programs.
        if (!ipccore::traits(object.transport).carriesMessages)
            continue;
        m_object->addItem(QStringLiteral("%1 (%2)").arg(QString::fromStdString(object.name),
                              QString::fromLatin1(ipccore::transportName(object.transport))),
            QString::fromStdString(object.name));
    }
    m_object->setCurrentIndex(std::max(0, m_object->findData(QString::fromStdString(initial.object))));
    m_program = new QPlainTextEdit(programLines(initial.program), this);
    m_program->setObjectName(QStringLiteral("program"));
    m_program->setPlaceholderText(tr("One step per line, e.g.\nacquire counter\nread counter[0]\nwork 20us\n"
                                     "write counter[0] +1\nrelease counter"));
    m_program->setToolTip(
        tr("Steps: acquire OBJ [timeout, e.g. 100ms], release OBJ, read OBJ[CELL], "
           "write OBJ[CELL] +N, put OBJ [timeout] [prio N], get OBJ [timeout], work USus [each], "
           "map TASKS RESULTS N [chunk K], apply TASKS RESULTS N, request SERVER REPLIES get d[KEY] | set d[KEY] +N | "
           "append l +N | len l [timeout], serve SERVER. The process repeats them in order.\n"
           "A pool: the caller is one line, \"map tasks results 256 chunk 32\" (pool.map(f, "
           "range(256), chunksize=32)); each pool worker is \"get tasks\", \"work 10us each\", "
           "\"put results\".\n"
           "A Manager: the server is one line, \"serve manager\"; each client calls it through its own reply "
           "queue, \"request manager replies-1 get d[count]\" (x = d['count']), \"request manager replies-1 set "
           "d[count] +1\" (d['count'] = x + 1); ns.x in place of d[KEY] is a Namespace attribute."));
    QFont mono(QStringLiteral("monospace"));
    mono.setStyleHint(QFont::Monospace);
    m_program->setFont(mono);
    m_program->setMinimumHeight(m_program->fontMetrics().lineSpacing() * 6 + 12);
    m_programProblem = new QLabel(this);
    m_programProblem->setObjectName(QStringLiteral("programProblem"));
    m_programProblem->setWordWrap(true);
    setThemedStyleSheet(m_programProblem, [] { return QStringLiteral("color: %1;").arg(cssColor(Colors::error())); });
    auto* programField = new QWidget(this);
    auto* programLayout = new QVBoxLayout(programField);
    programLayout->setContentsMargins(0, 0, 0, 0);
    programLayout->addWidget(m_program);
    programLayout->addWidget(m_programProblem);
    // Wide ranges on purpose: a value outside what ipccore accepts is explained below, never clamped.
    m_rate = new QDoubleSpinBox(this);
    m_rate->setRange(0, 1e12);
    m_rate->setDecimals(1);
    m_rate->setValue(initial.rate);
    m_rate->setSpecialValueText(tr("unlimited (as fast as possible)"));
    m_messageSize = new QSpinBox(this);
    m_messageSize->setRange(0, std::numeric_limits<int>::max());
    m_messageSize->setValue(int(initial.messageSize));
    m_messageSize->setSuffix(tr(" bytes"));
    m_work = new QSpinBox(this);
    m_work->setRange(0, std::numeric_limits<int>::max());
    m_work->setValue(int(initial.workUs));
    m_work->setSuffix(tr(" µs per message"));
    m_count = new QDoubleSpinBox(this);
    m_count->setRange(0, 1e15);
    m_count->setDecimals(0);
    m_count->setValue(double(initial.count));
    m_count->setSpecialValueText(tr("until stopped"));
    m_priority = new QSpinBox(this);
    m_priority->setRange(0, std::numeric_limits<int>::max());
    m_priority->setValue(int(initial.priority));
    m_priority->setToolTip(tr("Message queue priority (0..32767); higher priorities are received first."));
    m_form->addRow(tr("Name:"), m_name);
    m_form->addRow(tr("Role:"), m_role);
    m_form->addRow(tr("Object:"), m_object);
    m_form->addRow(tr("Program:"), programField);
    m_form->addRow(tr("Rate:"), m_rate);
    m_form->addRow(tr("Message size:"), m_messageSize);
    m_form->addRow(tr("Simulated work:"), m_work);
    m_form->addRow(tr("Messages to move:"), m_count);
    m_form->addRow(tr("Priority (mq):"), m_priority);
    layout->addLayout(m_form);

    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("problem"));
    m_problem->setWordWrap(true);
    setThemedStyleSheet(
        m_problem, [] { return QStringLiteral("color: %1; font-weight: bold;").arg(cssColor(Colors::error())); });
    layout->addWidget(m_problem);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(m_buttons);

    connect(m_name, &QLineEdit::textChanged, this, &WorkerDialog::revalidate);
    connect(m_role, &QComboBox::currentIndexChanged, this, [this] {
        showFieldsForRole();
        revalidate();
    });
    connect(m_object, &QComboBox::currentIndexChanged, this, &WorkerDialog::revalidate);
    connect(m_program, &QPlainTextEdit::textChanged, this, &WorkerDialog::revalidate);
    connect(m_rate, &QDoubleSpinBox::valueChanged, this, &WorkerDialog::revalidate);
    connect(m_messageSize, &QSpinBox::valueChanged, this, &WorkerDialog::revalidate);
    connect(m_work, &QSpinBox::valueChanged, this, &WorkerDialog::revalidate);
    connect(m_count, &QDoubleSpinBox::valueChanged, this, &WorkerDialog::revalidate);
    connect(m_priority, &QSpinBox::valueChanged, this, &WorkerDialog::revalidate);
    setMinimumWidth(480);
    showFieldsForRole();
    revalidate();
}

bool WorkerDialog::isProgram() const
{
    return ipccore::Role(m_role->currentData().toInt()) == ipccore::Role::Program;
}

// A program names its objects in its steps and moves no messages: the object, message size, work per message
// and priority rows would only mislead, so they are hidden and the units say "passes".
void WorkerDialog::showFieldsForRole()
{
    const bool program = isProgram();
    m_form->setRowVisible(m_object, !program);
    m_form->setRowVisible(m_program->parentWidget(), program);
    m_form->setRowVisible(m_messageSize, !program);
    m_form->setRowVisible(m_work, !program);
    m_form->setRowVisible(m_priority, !program);
    m_rate->setSuffix(program ? tr(" passes/s") : tr(" msgs/s"));
    if (auto* label = qobject_cast<QLabel*>(m_form->labelForField(m_count)))
        label->setText(program ? tr("Passes to make:") : tr("Messages to move:"));
    adjustSize();
}

ipccore::ProgramSteps WorkerDialog::parsedProgram() const
{
    ipccore::ProgramSteps steps;
    for (const QString& line : m_program->toPlainText().split(QLatin1Char('\n'))) {
        if (line.trimmed().isEmpty())
            continue;
        if (auto step = ipccore::parseStepText(line.trimmed().toStdString()))
            steps.push_back(*step);
    }
    return steps;
}

QString WorkerDialog::programProblem() const
{
    if (!isProgram())
        return {};
    const QStringList lines = m_program->toPlainText().split(QLatin1Char('\n'));
    for (int i = 0; i < lines.size(); ++i) {
        if (lines[i].trimmed().isEmpty())
            continue;
        const auto step = ipccore::parseStepText(lines[i].trimmed().toStdString());
        if (!step)
            return tr("Line %1: %2").arg(i + 1).arg(errorText(step.error()));
    }
    return {};
}

ipccore::WorkerSpec WorkerDialog::spec() const
{
    ipccore::WorkerSpec spec;
    spec.name = m_name->text().trimmed().toStdString();
    spec.role = ipccore::Role(m_role->currentData().toInt());
    spec.rate = m_rate->value();
    spec.count = std::uint64_t(std::llround(m_count->value()));
    spec.host = m_host;
    if (isProgram()) {
        spec.program = parsedProgram();
        return spec;
    }
    spec.object = m_object->currentData().toString().toStdString();
    spec.messageSize = std::uint32_t(m_messageSize->value());
    spec.workUs = std::uint32_t(m_work->value());
    spec.priority = std::uint32_t(m_priority->value());
    return spec;
}

QString WorkerDialog::problem() const
{
    return m_problem->text();
}

void WorkerDialog::revalidate()
{
    const QString lineProblem = programProblem();
    m_programProblem->setText(lineProblem);
    m_programProblem->setVisible(!lineProblem.isEmpty());
    QString reason;
    if (!lineProblem.isEmpty())
        reason = tr("worker.program: a line does not parse (the reason is under the box)."); // not said twice
    else if (!isProgram() && m_object->count() == 0)
        reason = tr("Add an IPC object that carries messages first: a producer or consumer needs one to use.");
    else
        reason = m_document.checkWorker(spec(), m_replacing);
    m_problem->setText(reason);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(reason.isEmpty());
}

} // namespace ipcui
