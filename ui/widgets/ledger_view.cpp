#include "widgets/ledger_view.h"

#include <QFrame>
#include <QGridLayout>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace ipcui {

LedgerView::LedgerView(QWidget* parent)
    : QWidget(parent)
{
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(6);
    struct Spec {
        const char* field;
        QString label;
        QString tip;
        bool alarm;
    };
    const Spec specs[] = {
        { "sent", tr("sent"), tr("Messages the producers have sent"), false },
        { "received", tr("received"), tr("Messages the consumers have received"), false },
        { "inFlight", tr("in flight"), tr("Sent, not yet received and not lost: in the objects now"), false },
        { "lost", tr("lost"),
            tr("Never received: overwritten (shared value), or taken along by a killed worker (counted when the run "
               "stops; at most the message it had in hand)"),
            true },
        { "duplicated", tr("duplicated"), tr("Received more than once"), true },
        { "corrupt", tr("corrupt"), tr("Received with a bad checksum (torn or mixed writes)"), true },
        { "workerErrors", tr("worker errors"),
            tr("Failures a worker went on after, such as a socket consumer refused new connections by its open-file "
               "limit (EMFILE): the counts may balance while work was left undone. Events names each one"),
            true },
    };
    int i = 0;
    for (const Spec& spec : specs) {
        auto* frame = new QFrame(this);
        frame->setObjectName(QStringLiteral("ledgerTile"));
        frame->setToolTip(spec.tip);
        auto* layout = new QVBoxLayout(frame);
        layout->setContentsMargins(8, 4, 8, 4);
        layout->setSpacing(0);
        auto* caption = new QLabel(spec.label, frame);
        auto* value = new QLabel(QStringLiteral("0"), frame);
        QFont big = value->font();
        big.setPointSizeF(big.pointSizeF() * 1.8);
        big.setBold(true);
        value->setFont(big);
        value->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
        caption->setAlignment(Qt::AlignLeft);
        layout->addWidget(caption);
        layout->addWidget(value);
        grid->addWidget(frame, i / 3, i % 3);
        m_tiles.push_back({ QString::fromLatin1(spec.field), value, frame, spec.alarm });
        ++i;
    }
    clear();
}

void LedgerView::setTile(Tile& tile, qint64 value)
{
    const QString text = QLocale().toString(value);
    if (tile.value->text() != text)
        tile.value->setText(text);
    const bool red = tile.alarm && value != 0;
    const QString style = red
        ? QStringLiteral("#ledgerTile { background: #c62828; border-radius: 5px; } QLabel { color: white; }")
        : QStringLiteral("#ledgerTile { background: #eceff1; border-radius: 5px; } QLabel { color: #263238; }");
    if (tile.frame->styleSheet() != style)
        tile.frame->setStyleSheet(style);
}

void LedgerView::setLedger(const ipccore::Ledger& ledger)
{
    const qint64 values[] = { qint64(ledger.sent), qint64(ledger.received), qint64(ledger.inFlight()),
        qint64(ledger.lost + ledger.lostWithDeadWorkers), qint64(ledger.duplicated), qint64(ledger.corrupt),
        qint64(ledger.workerErrors) };
    for (std::size_t i = 0; i < m_tiles.size(); ++i)
        setTile(m_tiles[i], values[i]);
}

void LedgerView::clear()
{
    setLedger({});
}

QString LedgerView::figure(const QString& field) const
{
    for (const Tile& tile : m_tiles) {
        if (tile.field == field)
            return tile.value->text();
    }
    return {};
}

} // namespace ipcui
