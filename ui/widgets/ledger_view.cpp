#include "widgets/ledger_view.h"

#include <QFrame>
#include <QGridLayout>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace ipcui {

namespace {
bool carriesMessages(ipccore::TransportKind kind)
{
    return ipccore::traits(kind).carriesMessages;
}

QString objectTitle(const LedgerView::ObjectBooks& books)
{
    return QStringLiteral("%1  (%2)")
        .arg(QString::fromStdString(books.name), QString::fromUtf8(ipccore::traits(books.transport).description));
}
} // namespace

std::vector<LedgerView::ObjectBooks> LedgerView::booksOf(const ipccore::Snapshot& snapshot)
{
    std::vector<ObjectBooks> books;
    for (std::size_t i = 0; i < snapshot.objects.size() && i < snapshot.objectLedgers.size(); ++i) {
        const ipccore::ObjectStatus& object = snapshot.objects[i];
        books.push_back({ object.name, object.transport, object.capacity, snapshot.objectLedgers[i] });
    }
    return books;
}

std::vector<LedgerView::ObjectBooks> LedgerView::booksOf(const std::vector<ipccore::ObjectSummary>& objects)
{
    std::vector<ObjectBooks> books;
    for (const ipccore::ObjectSummary& object : objects)
        books.push_back({ object.name, object.transport, object.capacity, object.ledger });
    return books;
}

LedgerView::LedgerView(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(6);

    m_messages = new QWidget(this);
    auto* grid = new QGridLayout(m_messages);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(6);
    const TileSpec specs[] = {
        { QStringLiteral("sent"), tr("sent"), tr("Messages the producers have sent"), false },
        { QStringLiteral("received"), tr("received"), tr("Messages the consumers have received"), false },
        { QStringLiteral("inFlight"), tr("in flight"), tr("Sent, not yet received and not lost: in the objects now"),
            false },
        { QStringLiteral("lost"), tr("lost"),
            tr("Never received: overwritten (shared value), or taken along by a killed worker (counted when the run "
               "stops; at most the message it had in hand)"),
            true },
        { QStringLiteral("duplicated"), tr("duplicated"), tr("Received more than once"), true },
        { QStringLiteral("corrupt"), tr("corrupt"), tr("Received with a bad checksum (torn or mixed writes)"), true },
        { QStringLiteral("workerErrors"), tr("worker errors"),
            tr("Failures a worker went on after, such as a socket consumer refused new connections by its open-file "
               "limit (EMFILE): the counts may balance while work was left undone. Events names each one"),
            true },
    };
    int i = 0;
    for (const TileSpec& spec : specs) {
        m_tiles.push_back(makeTile(m_messages, spec));
        grid->addWidget(m_tiles.back().frame, i / 3, i % 3);
        ++i;
    }
    layout->addWidget(m_messages);
    clear();
}

LedgerView::Tile LedgerView::makeTile(QWidget* parent, const TileSpec& spec) const
{
    auto* frame = new QFrame(parent);
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
    Tile tile { spec.field, value, frame, spec.alarm };
    tile.red = true; // so that the first setTile applies the style
    return tile;
}

void LedgerView::setTile(Tile& tile, const QString& text, bool red)
{
    if (tile.value->text() != text)
        tile.value->setText(text);
    if (tile.red == red)
        return;
    tile.red = red;
    tile.frame->setStyleSheet(red
            ? QStringLiteral("#ledgerTile { background: #c62828; border-radius: 5px; } QLabel { color: white; }")
            : QStringLiteral("#ledgerTile { background: #eceff1; border-radius: 5px; } QLabel { color: #263238; }"));
}

void LedgerView::setTile(Tile& tile, qint64 value)
{
    setTile(tile, QLocale().toString(value), tile.alarm && value != 0);
}

void LedgerView::setLedger(const ipccore::Ledger& ledger)
{
    const qint64 values[] = { qint64(ledger.sent), qint64(ledger.received), qint64(ledger.inFlight()),
        qint64(ledger.lost + ledger.lostWithDeadWorkers), qint64(ledger.duplicated), qint64(ledger.corrupt),
        qint64(ledger.workerErrors) };
    for (std::size_t i = 0; i < m_tiles.size(); ++i)
        setTile(m_tiles[i], values[i]);
}

void LedgerView::setObjectBooks(const std::vector<ObjectBooks>& books, bool messageObjects)
{
    m_messages->setVisible(messageObjects);
    std::vector<const ObjectBooks*> shown;
    std::vector<std::string> keys;
    for (const ObjectBooks& object : books) {
        if (carriesMessages(object.transport))
            continue;
        shown.push_back(&object);
        keys.push_back(object.name + "/" + ipccore::transportName(object.transport));
    }
    // Rows are rebuilt only when the objects change (a new scenario), not on every sample.
    if (keys != m_rowKeys) {
        m_rowKeys = keys;
        rebuildObjectRows(shown);
    }
    for (const ObjectBooks* object : shown)
        fillObjectRow(*object);
}

void LedgerView::rebuildObjectRows(const std::vector<const ObjectBooks*>& books)
{
    delete m_objectRows;
    m_objectRows = nullptr;
    m_objectTiles.clear();
    if (books.empty())
        return;
    m_objectRows = new QWidget(this);
    auto* grid = new QGridLayout(m_objectRows);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(6);
    int row = 0;
    for (const ObjectBooks* object : books) {
        const QString name = QString::fromStdString(object->name);
        auto* title = new QLabel(objectTitle(*object), m_objectRows);
        QFont bold = title->font();
        bold.setBold(true);
        title->setFont(bold);
        grid->addWidget(title, row++, 0, 1, 4);
        std::vector<TileSpec> specs;
        if (object->transport == ipccore::TransportKind::ShmArray) {
            specs = {
                { name + QStringLiteral(".increments"), tr("increments made"),
                    tr("What every write added (+N each): the value the counter would have if no update were lost"),
                    false },
                { name + QStringLiteral(".cellSum"), tr("counter value (sum of cells)"),
                    tr("What is really in the shared memory now"), false },
                { name + QStringLiteral(".lostUpdates"), tr("lost updates"),
                    tr("Increments made minus the counter's value: two processes read the same value and both wrote "
                       "it back plus one, so one increment vanished. A lock around read and write makes this 0"),
                    true },
            };
        } else {
            specs = {
                { name + QStringLiteral(".acquires"), tr("acquires"), tr("Permits taken (sem.acquire() returned)"),
                    false },
                { name + QStringLiteral(".releases"), tr("releases"), tr("Permits given back (sem.release())"), false },
                { name + QStringLiteral(".timeouts"), tr("timeouts"),
                    tr("Acquires that gave up: no permit came within the timeout (posix_ipc's BusyError)"), false },
                { name + QStringLiteral(".value"), tr("value"),
                    tr("Permits free now, out of the initial value; red when permits died with killed workers (a "
                       "POSIX semaphore has no undo)"),
                    false },
            };
        }
        int column = 0;
        for (const TileSpec& spec : specs) {
            m_objectTiles.push_back(makeTile(m_objectRows, spec));
            grid->addWidget(m_objectTiles.back().frame, row, column++);
        }
        ++row;
    }
    static_cast<QVBoxLayout*>(layout())->addWidget(m_objectRows);
}

void LedgerView::fillObjectRow(const ObjectBooks& books)
{
    const QString name = QString::fromStdString(books.name) + QLatin1Char('.');
    const ipccore::Ledger& l = books.ledger;
    const QLocale locale;
    for (Tile& tile : m_objectTiles) {
        if (!tile.field.startsWith(name))
            continue;
        const QString field = tile.field.mid(name.size());
        if (field == QLatin1String("increments"))
            setTile(tile, l.increments);
        else if (field == QLatin1String("cellSum"))
            setTile(tile, l.cellSum);
        else if (field == QLatin1String("lostUpdates"))
            setTile(tile, l.lostUpdates);
        else if (field == QLatin1String("acquires"))
            setTile(tile, qint64(l.acquires));
        else if (field == QLatin1String("releases"))
            setTile(tile, qint64(l.releases));
        else if (field == QLatin1String("timeouts"))
            setTile(tile, qint64(l.timeouts));
        else if (field == QLatin1String("value")) {
            QString text = l.permits < 0
                ? QStringLiteral("–")
                : tr("%1 of %2 free").arg(locale.toString(qint64(l.permits))).arg(books.capacity);
            if (l.permitsHeldByDead > 0)
                text += tr(" (%1 died)").arg(l.permitsHeldByDead);
            setTile(tile, text, l.permitsHeldByDead > 0);
        }
    }
}

void LedgerView::clear()
{
    setLedger({});
    for (Tile& tile : m_objectTiles)
        setTile(tile, tile.field.endsWith(QLatin1String(".value")) ? QStringLiteral("–") : QStringLiteral("0"), false);
}

const LedgerView::Tile* LedgerView::findTile(const QString& field) const
{
    for (const std::vector<Tile>* tiles : { &m_tiles, &m_objectTiles }) {
        for (const Tile& tile : *tiles) {
            if (tile.field == field)
                return &tile;
        }
    }
    return nullptr;
}

QString LedgerView::figure(const QString& field) const
{
    const Tile* tile = findTile(field);
    return tile ? tile->value->text() : QString();
}

bool LedgerView::messageTotalsShown() const
{
    return !m_messages->isHidden();
}

bool LedgerView::isAlarmed(const QString& field) const
{
    const Tile* tile = findTile(field);
    return tile && tile->red;
}

} // namespace ipcui
