#include "widgets/object_dialog.h"
#include "widgets/state_colors.h"
#include "widgets/theme.h"

#include "model/scenario_document.h"

#include "ipccore/scenario.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>
#include <vector>

namespace ipcui {

ObjectDialog::ObjectDialog(
    const ScenarioDocument& document, const ipccore::ObjectSpec& initial, int replacing, QWidget* parent)
    : QDialog(parent)
    , m_document(document)
    , m_replacing(replacing)
{
    setWindowTitle(replacing < 0 ? tr("Add IPC object") : tr("Edit IPC object"));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    m_name = new QLineEdit(QString::fromStdString(initial.name), this);
    m_transport = new QComboBox(this);
    using T = ipccore::TransportKind;
    // Message transports first (queues, then pipes and sockets), then the objects only programs use; a row of the
    // transport table not placed here comes last, so that every transport can be chosen and an object of any kind
    // opens as itself.
    std::vector<T> order { T::Mq, T::ShmRing, T::ShmSpsc, T::Fifo, T::Socket, T::Pipe, T::SocketPair, T::ShmValue,
        T::ShmArray, T::Semaphore };
    for (const ipccore::TransportTraits& row : ipccore::transportTable()) {
        if (std::find(order.begin(), order.end(), row.kind) == order.end())
            order.push_back(row.kind);
    }
    for (const T kind : order)
        m_transport->addItem(QStringLiteral("%1 — %2").arg(QString::fromLatin1(ipccore::transportName(kind)),
                                 QString::fromUtf8(ipccore::traits(kind).description)),
            int(kind));
    m_transport->setCurrentIndex(m_transport->findData(int(initial.transport)));
    m_capacity = new QSpinBox(this);
    m_capacity->setRange(0, std::numeric_limits<int>::max());
    m_capacity->setValue(int(initial.capacity));
    m_capacity->setSuffix(tr(" messages"));
    m_messageSize = new QSpinBox(this);
    m_messageSize->setRange(0, std::numeric_limits<int>::max());
    m_messageSize->setValue(int(initial.messageSize));
    m_messageSize->setSuffix(tr(" bytes"));
    form->addRow(tr("Name:"), m_name);
    form->addRow(tr("Transport:"), m_transport);
    form->addRow(tr("Capacity:"), m_capacity);
    form->addRow(tr("Largest message:"), m_messageSize);
    layout->addLayout(form);

    // The machine's message-queue limits while an mq is chosen, a ZeroMQ object's ranges while a zmq transport is
    // (another transport's ranges come with the problem line when a value is outside them).
    m_limits = new QLabel(this);
    m_limits->setObjectName(QStringLiteral("limits"));
    m_limits->setWordWrap(true);
    setThemedStyleSheet(m_limits, [] { return QStringLiteral("color: %1;").arg(cssColor(Colors::secondaryText())); });
    layout->addWidget(m_limits);
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

    connect(m_name, &QLineEdit::textChanged, this, &ObjectDialog::revalidate);
    // On a change of transport: a global is one integer, and a capacity an ignored one left at 0 (a stream's) starts
    // again from 8. Connected first, so revalidate sees the new value.
    connect(m_transport, &QComboBox::currentIndexChanged, this, [this] {
        const ipccore::TransportTraits& t = ipccore::traits(ipccore::TransportKind(m_transport->currentData().toInt()));
        if (t.perProcess)
            m_capacity->setValue(1);
        else if (m_capacity->value() == 0
            && (t.capacity == ipccore::CapacityUnit::Messages || t.capacity == ipccore::CapacityUnit::Cells))
            m_capacity->setValue(8);
    });
    connect(m_transport, &QComboBox::currentIndexChanged, this, &ObjectDialog::revalidate);
    connect(m_capacity, &QSpinBox::valueChanged, this, &ObjectDialog::revalidate);
    connect(m_messageSize, &QSpinBox::valueChanged, this, &ObjectDialog::revalidate);
    setMinimumWidth(480);
    revalidate();
}

ipccore::ObjectSpec ObjectDialog::spec() const
{
    ipccore::ObjectSpec spec;
    spec.name = m_name->text().trimmed().toStdString();
    spec.transport = ipccore::TransportKind(m_transport->currentData().toInt());
    spec.capacity = ipccore::traits(spec.transport).capacity == ipccore::CapacityUnit::None
        ? 0
        : std::uint32_t(m_capacity->value());
    spec.messageSize = std::uint32_t(m_messageSize->value());
    return spec;
}

QString ObjectDialog::problem() const
{
    return m_problem->text();
}

// What the capacity counts for a transport, as the spin box's suffix; empty when it is ignored.
QString ObjectDialog::capacityUnit(ipccore::TransportKind kind)
{
    switch (ipccore::traits(kind).capacity) {
    case ipccore::CapacityUnit::Messages:
        return tr(" messages");
    case ipccore::CapacityUnit::Cells:
        return tr(" cells");
    case ipccore::CapacityUnit::Permits:
        return tr(" permits");
    case ipccore::CapacityUnit::KernelBytes:
    case ipccore::CapacityUnit::OneValue:
    case ipccore::CapacityUnit::None:
        return {};
    }
    return {};
}

void ObjectDialog::revalidate()
{
    const auto kind = ipccore::TransportKind(m_transport->currentData().toInt());
    const QString unit = capacityUnit(kind);
    const bool global = ipccore::traits(kind).perProcess;
    const bool zeroMq = ipccore::traits(kind).depthFromCounters; // its queues are inside the processes
    m_capacity->setEnabled(!unit.isEmpty() && !global);
    m_capacity->setSuffix(unit);
    switch (ipccore::traits(kind).capacity) {
    case ipccore::CapacityUnit::Cells:
        m_capacity->setToolTip(global ? tr("A global is one integer, with a copy in each process.")
                                      : tr("How many integers the shared array holds (1 for a single counter)."));
        break;
    case ipccore::CapacityUnit::Permits:
        m_capacity->setToolTip(tr("The semaphore's initial value: how many processes may hold it at once."));
        break;
    case ipccore::CapacityUnit::Messages:
        m_capacity->setToolTip(zeroMq
                ? tr("The high-water mark of each ZeroMQ queue, per connection: up to this many messages wait in a "
                     "producer for each consumer, and as many in a consumer from each producer, besides what the "
                     "kernel's socket buffers hold. So the depth shown can be well above the capacity.")
                : QString());
        break;
    case ipccore::CapacityUnit::None:
        m_capacity->setToolTip(tr("A rendezvous holds nothing: a sender waits until a receiver takes its message."));
        break;
    default:
        m_capacity->setToolTip(tr("This transport has no message slots; capacity is ignored."));
    }
    if (kind == ipccore::TransportKind::Mq)
        m_limits->setText(m_document.limitsText());
    else if (zeroMq)
        m_limits->setText(tr("ZeroMQ: capacity 1..%1 messages (each queue's high-water mark), messages of %2..%3 "
                             "bytes.")
                              .arg(ipccore::ScenarioLimits::MaxRingCapacity)
                              .arg(ipccore::ScenarioLimits::MinMessageSize)
                              .arg(ipccore::ScenarioLimits::MaxStreamMessageSize));
    m_limits->setVisible(kind == ipccore::TransportKind::Mq || zeroMq);
    // Arrays and semaphores hold no messages, so the message size means nothing there.
    const bool messages = ipccore::traits(kind).carriesMessages;
    m_messageSize->setEnabled(messages);
    m_messageSize->setToolTip(messages ? QString() : tr("Only programs use this object; it carries no messages."));
    const QString reason = m_document.checkObject(spec(), m_replacing);
    m_problem->setText(reason);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(reason.isEmpty());
    // A longer problem or limits line must not squeeze the fields above it: the shown dialog grows to fit (and
    // keeps its size when the text gets shorter, so it does not jump while the user types).
    if (isVisible()) {
        QLayout* box = layout();
        const int needed = box->hasHeightForWidth() ? box->totalHeightForWidth(width()) : sizeHint().height();
        if (needed > height())
            resize(width(), needed);
    }
}

} // namespace ipcui
