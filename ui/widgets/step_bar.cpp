#include "widgets/step_bar.h"

#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QKeySequence>
#include <QLabel>
#include <QLocale>
#include <QPushButton>

namespace ipcui {

StepBar::StepBar(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 0, 0, 0);
    layout->setSpacing(4);
    auto button = [this, layout](const QString& text, const QString& name, const QString& tip, Qt::Key key) {
        auto* b = new QPushButton(text, this);
        b->setObjectName(name);
        b->setShortcut(QKeySequence(key));
        b->setToolTip(tip + QStringLiteral(" (%1)").arg(QKeySequence(key).toString(QKeySequence::NativeText)));
        layout->addWidget(b);
        return b;
    };
    m_stepAll = button(tr("Step all"), QStringLiteral("stepAll"),
        tr("Step mode: let every process that waits at its gate take its next step, one real operation. The first "
           "click stops every process at its next step"),
        Qt::Key_F10);
    m_stepSelected = button(tr("Step selected"), QStringLiteral("stepSelected"),
        tr("Step mode: let the processes selected in the table take their next step. The first click stops every "
           "process at its next step"),
        Qt::Key_F11);
    m_runAt = button(tr("Slow"), QStringLiteral("runAtStepRate"),
        tr("Step mode in slow motion: every process takes its steps at the rate beside"), Qt::Key_F8);
    m_stepRate = new QDoubleSpinBox(this);
    m_stepRate->setObjectName(QStringLiteral("stepRate"));
    m_stepRate->setRange(0.5, 1000);
    m_stepRate->setDecimals(1);
    m_stepRate->setValue(2);
    m_stepRate->setSuffix(tr(" steps/s"));
    m_stepRate->setKeyboardTracking(false);
    m_stepRate->setToolTip(tr("Steps per second of each process in slow motion (0.5 to 1000)"));
    layout->addWidget(m_stepRate);
    m_runFreely = button(tr("Run"), QStringLiteral("runFreely"),
        tr("Leave step mode: every process runs at full speed again"), Qt::Key_F5);
    m_state = new QLabel(this);
    m_state->setObjectName(QStringLiteral("stepState"));
    layout->addWidget(m_state);

    connect(m_stepAll, &QPushButton::clicked, this, &StepBar::stepAllRequested);
    connect(m_stepSelected, &QPushButton::clicked, this, &StepBar::stepSelectedRequested);
    connect(m_runAt, &QPushButton::clicked, this, [this] { emit runAtStepRateRequested(m_stepRate->value()); });
    connect(m_stepRate, &QDoubleSpinBox::valueChanged, this, [this](double rate) {
        if (m_runningAtRate)
            emit runAtStepRateRequested(rate);
    });
    connect(m_runFreely, &QPushButton::clicked, this, &StepBar::runFreelyRequested);
    updateActions();
}

void StepBar::setRunActive(bool active)
{
    m_active = active;
    if (!active) {
        m_stepping = false;
        m_runningAtRate = false;
    }
    updateActions();
}

void StepBar::setSelectionAvailable(bool selected)
{
    m_selected = selected;
    updateActions();
}

void StepBar::setStepState(bool stepMode, double stepRate, int atGate, int alive)
{
    m_stepping = stepMode;
    m_runningAtRate = stepMode && stepRate > 0;
    if (!m_active || !stepMode)
        m_state->clear();
    else if (stepRate > 0)
        m_state->setText(tr("slow motion: %1 of %2 wait").arg(atGate).arg(alive));
    else
        m_state->setText(tr("<b>stepping</b>: %1 of %2 wait").arg(atGate).arg(alive));
    m_state->setToolTip(stepMode ? tr("Processes waiting at their gates for their next step, of those alive; one "
                                      "not waiting is inside its step (blocked in the kernel, or working)")
                                 : QString());
    updateActions();
}

void StepBar::updateActions()
{
    m_stepAll->setEnabled(m_active);
    m_stepSelected->setEnabled(m_active && m_selected);
    m_runAt->setEnabled(m_active);
    m_runFreely->setEnabled(m_active && m_stepping);
    if (!m_active)
        m_state->clear();
}

} // namespace ipcui
