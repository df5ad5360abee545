#include "widgets/worker_dialog.h"

#include "model/scenario_document.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

namespace ipcui {

WorkerDialog::WorkerDialog(
    const ScenarioDocument& document, const ipccore::WorkerSpec& initial, int replacing, QWidget* parent)
    : QDialog(parent)
    , m_document(document)
    , m_replacing(replacing)
{
    setWindowTitle(replacing < 0 ? tr("Add worker") : tr("Edit worker"));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    m_name = new QLineEdit(QString::fromStdString(initial.name), this);
    m_role = new QComboBox(this);
    m_role->addItem(tr("producer"), int(ipccore::Role::Producer));
    m_role->addItem(tr("consumer"), int(ipccore::Role::Consumer));
    m_role->setCurrentIndex(m_role->findData(int(initial.role)));
    m_object = new QComboBox(this);
    for (const ipccore::ObjectSpec& object : document.scenario().objects) {
        m_object->addItem(QStringLiteral("%1 (%2)").arg(QString::fromStdString(object.name),
                              QString::fromLatin1(ipccore::transportName(object.transport))),
            QString::fromStdString(object.name));
    }
    m_object->setCurrentIndex(std::max(0, m_object->findData(QString::fromStdString(initial.object))));
    // Wide ranges on purpose: a value outside what ipccore accepts is explained below, never clamped.
    m_rate = new QDoubleSpinBox(this);
    m_rate->setRange(0, 1e12);
    m_rate->setDecimals(1);
    m_rate->setValue(initial.rate);
    m_rate->setSuffix(tr(" msgs/s"));
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
    form->addRow(tr("Name:"), m_name);
    form->addRow(tr("Role:"), m_role);
    form->addRow(tr("Object:"), m_object);
    form->addRow(tr("Rate:"), m_rate);
    form->addRow(tr("Message size:"), m_messageSize);
    form->addRow(tr("Simulated work:"), m_work);
    form->addRow(tr("Messages to move:"), m_count);
    form->addRow(tr("Priority (mq):"), m_priority);
    layout->addLayout(form);

    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("problem"));
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #c62828; font-weight: bold;"));
    layout->addWidget(m_problem);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(m_buttons);

    connect(m_name, &QLineEdit::textChanged, this, &WorkerDialog::revalidate);
    connect(m_role, &QComboBox::currentIndexChanged, this, &WorkerDialog::revalidate);
    connect(m_object, &QComboBox::currentIndexChanged, this, &WorkerDialog::revalidate);
    connect(m_rate, &QDoubleSpinBox::valueChanged, this, &WorkerDialog::revalidate);
    connect(m_messageSize, &QSpinBox::valueChanged, this, &WorkerDialog::revalidate);
    connect(m_work, &QSpinBox::valueChanged, this, &WorkerDialog::revalidate);
    connect(m_count, &QDoubleSpinBox::valueChanged, this, &WorkerDialog::revalidate);
    connect(m_priority, &QSpinBox::valueChanged, this, &WorkerDialog::revalidate);
    setMinimumWidth(480);
    revalidate();
}

ipccore::WorkerSpec WorkerDialog::spec() const
{
    ipccore::WorkerSpec spec;
    spec.name = m_name->text().trimmed().toStdString();
    spec.role = ipccore::Role(m_role->currentData().toInt());
    spec.object = m_object->currentData().toString().toStdString();
    spec.rate = m_rate->value();
    spec.messageSize = std::uint32_t(m_messageSize->value());
    spec.workUs = std::uint32_t(m_work->value());
    spec.count = std::uint64_t(std::llround(m_count->value()));
    spec.priority = std::uint32_t(m_priority->value());
    return spec;
}

QString WorkerDialog::problem() const
{
    return m_problem->text();
}

void WorkerDialog::revalidate()
{
    const QString reason = m_object->count() == 0 ? tr("Add an IPC object first: a worker needs one to use.")
                                                  : m_document.checkWorker(spec(), m_replacing);
    m_problem->setText(reason);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(reason.isEmpty());
}

} // namespace ipcui
