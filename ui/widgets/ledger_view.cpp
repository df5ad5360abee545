#include "widgets/ledger_view.h"

#include "widgets/state_colors.h"
#include "widgets/theme.h"

#include <QFrame>
#include <QGridLayout>
#include <QLabel>
#include <QLocale>
#include <QResizeEvent>
#include <QStyle>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

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

// An mq whose messages came at two or more priorities: who got through and how long each waited.
bool hasPriorityRow(const LedgerView::ObjectBooks& books)
{
    return ipccore::traits(books.transport).priorities && books.ledger.priorities.size() >= 2;
}

// A message object has a row of its own only as a pool's task queue, a server's request queue or with priorities;
// its messages are in the totals.
bool hasObjectRow(const LedgerView::ObjectBooks& books)
{
    return !carriesMessages(books.transport) || books.ledger.pool.present || books.ledger.requests.present
        || hasPriorityRow(books);
}

// How long messages waited: "850 µs", "7.8 ms", "213 ms", "1.4 s".
QString waitText(double us)
{
    if (us < 1000)
        return LedgerView::tr("%1 µs").arg(us, 0, 'f', 0);
    if (us < 100'000)
        return LedgerView::tr("%1 ms").arg(us / 1e3, 0, 'f', 1);
    if (us < 10'000'000)
        return LedgerView::tr("%1 ms").arg(us / 1e3, 0, 'f', 0);
    return LedgerView::tr("%1 s").arg(us / 1e6, 0, 'f', 1);
}

QString priorityPrefix(const std::string& object)
{
    return QString::fromStdString(object) + QStringLiteral(".priority.");
}

QString requestPrefix(const std::string& object)
{
    return QString::fromStdString(object) + QStringLiteral(".requests.");
}

constexpr int WideColumns = 3; // tiles per row of the message totals, big
constexpr int CompactColumns = 4; // with a pool: every tile small
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
        books.push_back({ object.name, object.transport, object.capacity, object.ledger, true });
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
            tr("Never received: overwritten (shared value), or taken along by a killed worker, or by a ZeroMQ "
               "consumer that ended before the stop (counted when the run stops; at most the message it had in hand, "
               "or a ZeroMQ worker's queues)"),
            true },
        { QStringLiteral("duplicated"), tr("duplicated"), tr("Received more than once"), true },
        { QStringLiteral("corrupt"), tr("corrupt"), tr("Received with a bad checksum (torn or mixed writes)"), true },
        { QStringLiteral("workerErrors"), tr("worker errors"),
            tr("Failures a worker went on after, such as a socket consumer refused new connections by its open-file "
               "limit (EMFILE): the counts may balance while work was left undone. Events names each one"),
            true },
    };
    for (const TileSpec& spec : specs)
        m_tiles.push_back(makeTile(m_messages, spec));
    // Beside a pool's row the four that must stay 0 share one tile, so the totals take one row: sent, received, in
    // flight (without it a user saw two totals that differ and nothing saying why) and these.
    m_problems = makeTile(m_messages,
        { QStringLiteral("problems"), tr("lost · duplicated · corrupt · errors"),
            tr("Each must stay 0: messages lost, received twice, received with a bad checksum, and failures a worker "
               "went on after (red when any is not)"),
            true });
    layOutMessageTiles();
    layout->addWidget(m_messages);
    clear();
}

void LedgerView::layOutMessageTiles()
{
    auto* grid = static_cast<QGridLayout*>(m_messages->layout());
    const int columns = m_compact ? CompactColumns : WideColumns;
    std::vector<const Tile*> shown;
    for (const Tile& tile : m_tiles) {
        grid->removeWidget(tile.frame);
        const bool visible = !m_compact || tile.field == QLatin1String("sent")
            || tile.field == QLatin1String("received") || tile.field == QLatin1String("inFlight");
        if (visible)
            shown.push_back(&tile);
        tile.frame->setVisible(visible);
    }
    grid->removeWidget(m_problems.frame);
    m_problems.frame->setVisible(m_compact);
    int i = 0;
    for (const Tile* tile : shown) {
        grid->addWidget(tile->frame, i / columns, i % columns);
        ++i;
    }
    if (m_compact)
        grid->addWidget(m_problems.frame, 0, int(shown.size()));
    // Four equal columns for the small tiles; the big ones share the width as they always did.
    for (int column = 0; column < CompactColumns; ++column)
        grid->setColumnStretch(column, m_compact ? 1 : 0);
}

// Small tiles, four to a row, when a pool's row joins the message totals; the big ones otherwise. The object rows
// are rebuilt by the caller.
void LedgerView::setCompact(bool compact)
{
    if (compact == m_compact)
        return;
    m_compact = compact;
    for (const Tile& tile : m_tiles) {
        setValueFont(tile);
        tile.caption->setWordWrap(compact);
    }
    m_problems.caption->setWordWrap(compact);
    setValueFont(m_problems);
    layOutMessageTiles();
}

void LedgerView::setValueFont(const Tile& tile) const
{
    QFont big = font();
    big.setPointSizeF(big.pointSizeF() * (m_compact ? 1.25 : 1.8));
    big.setBold(true);
    tile.value->setFont(big);
    QFont caption = font();
    if (m_compact)
        caption.setPointSizeF(caption.pointSizeF() * 0.9);
    tile.caption->setFont(caption);
    tile.frame->layout()->setContentsMargins(m_compact ? QMargins(6, 2, 6, 2) : QMargins(8, 4, 8, 4));
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
    value->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    caption->setAlignment(Qt::AlignLeft);
    // In the small tiles four to a row a long caption ("died with killed workers") wraps rather than widening its
    // column; the big tiles keep theirs on one line, as they always had.
    caption->setWordWrap(m_compact);
    layout->addWidget(caption);
    layout->addWidget(value);
    Tile tile { spec.field, value, frame, spec.alarm };
    tile.caption = caption;
    frame->setProperty("alarm", false);
    setThemedStyleSheet(frame, [] {
        return QStringLiteral("#ledgerTile { background: %1; border-radius: 5px; } QLabel { color: %2; }"
                              "#ledgerTile[alarm=\"true\"] { background: %3; } "
                              "#ledgerTile[alarm=\"true\"] QLabel { color: white; }")
            .arg(cssColor(Colors::card()), cssColor(Colors::outline()), cssColor(QColor(0xc6, 0x28, 0x28)));
    });
    setValueFont(tile);
    return tile;
}

void LedgerView::setTile(Tile& tile, const QString& text, bool red)
{
    if (tile.value->text() != text)
        tile.value->setText(text);
    if (tile.red == red)
        return;
    tile.red = red;
    // The style sheet (makeTile) reads this property: re-polish for it to take effect.
    tile.frame->setProperty("alarm", red);
    for (QWidget* widget : { tile.frame, static_cast<QWidget*>(tile.caption), static_cast<QWidget*>(tile.value) }) {
        widget->style()->unpolish(widget);
        widget->style()->polish(widget);
    }
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
    const QLocale locale;
    setTile(m_problems,
        QStringLiteral("%1 · %2 · %3 · %4")
            .arg(locale.toString(values[3]), locale.toString(values[4]), locale.toString(values[5]),
                locale.toString(values[6])),
        values[3] + values[4] + values[5] + values[6] > 0);
}

void LedgerView::setObjectBooks(const std::vector<ObjectBooks>& books, bool messageObjects)
{
    m_messages->setVisible(messageObjects);
    std::vector<const ObjectBooks*> shown;
    std::vector<std::string> keys;
    bool messageRows = false; // a pool's or a queue's priorities: the totals give them room
    for (const ObjectBooks& object : books) {
        if (!hasObjectRow(object))
            continue;
        shown.push_back(&object);
        const bool message = carriesMessages(object.transport);
        std::string key = object.name + "/";
        if (!message)
            key += ipccore::transportName(object.transport);
        if (object.ledger.pool.present)
            key += "pool";
        if (object.ledger.requests.present) // over mq or zmq: their tiles are named differently
            key += std::string("/requests ") + ipccore::transportName(object.transport);
        if (hasPriorityRow(object)) {
            key += "/priorities";
            for (const ipccore::PriorityShare& p : object.ledger.priorities)
                key += " " + std::to_string(p.priority);
        }
        keys.push_back(key);
        messageRows = messageRows || message;
    }
    // Rows are rebuilt only when the objects change (a new scenario, a priority first seen), not on every sample.
    if (keys != m_rowKeys || messageRows != m_compact) {
        setCompact(messageRows);
        m_rowKeys = keys;
        rebuildObjectRows(shown);
    }
    // The totals add every message object's books: a number that goes through a pipeline's two channels, or a
    // request and its reply, counts once in each. The captions say so whenever there is more than one.
    const auto messageObjectCount
        = std::count_if(books.begin(), books.end(), [](const ObjectBooks& b) { return carriesMessages(b.transport); });
    // A broadcast (zmq-pub) is booked in copies, one per subscriber for each message sent (a message to one
    // consumer is one copy, so the word holds for the totals over every object).
    const bool copies = std::any_of(
        books.begin(), books.end(), [](const ObjectBooks& b) { return ipccore::traits(b.transport).broadcast; });
    for (Tile& tile : m_tiles) {
        const bool sent = tile.field == QLatin1String("sent");
        if (!sent && tile.field != QLatin1String("received"))
            continue;
        const QString what
            = copies ? (sent ? tr("sent (copies)") : tr("received (copies)")) : (sent ? tr("sent") : tr("received"));
        // Beside a pool's or a Manager's rows the small tiles keep the short word (a longer one wraps and takes a
        // line from the tables below); the tooltip says it all the same.
        tile.caption->setText(
            messageObjectCount > 1 && !m_compact ? tr("%1 (%2 objects)").arg(what).arg(messageObjectCount) : what);
        tile.frame->setToolTip(messageObjectCount > 1
                ? tr("Summed over the %1 message objects: a message that passes through several (a pipeline's "
                     "channels, a request and its reply) counts once in each")
                      .arg(messageObjectCount)
                : copies
                ? (sent ? tr("Copies sent: each message a producer sent counts once for each subscriber "
                             "it goes to (a broadcast: zmq-pub, zmq-pub-tcp)")
                        : tr("Copies received: each subscriber counts the messages it received"))
                : (sent ? tr("Messages the producers have sent") : tr("Messages the consumers have received")));
    }
    for (const ObjectBooks* object : shown)
        fillObjectRow(*object);
    fitHeightToWidth();
}

void LedgerView::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    if (event->size().width() != event->oldSize().width())
        fitHeightToWidth();
}

// Rows are built hidden and shown by the layout a moment later, and a caption can grow to two lines: the height they
// need is known once the layout has taken them in.
bool LedgerView::event(QEvent* event)
{
    const bool handled = QWidget::event(event);
    if (event->type() == QEvent::LayoutRequest)
        fitHeightToWidth();
    return handled;
}

void LedgerView::fitHeightToWidth()
{
    QLayout* box = layout();
    if (!box || width() <= 0)
        return;
    const int needed = box->hasHeightForWidth() ? box->totalHeightForWidth(width()) : box->totalMinimumSize().height();
    if (needed != minimumHeight())
        setMinimumHeight(needed);
}

void LedgerView::rebuildObjectRows(const std::vector<const ObjectBooks*>& books)
{
    delete m_objectRows;
    m_objectRows = nullptr;
    m_objectTiles.clear();
    m_priorityTitles.clear();
    m_serverData.clear();
    if (books.empty())
        return;
    m_objectRows = new QWidget(this);
    auto* grid = new QGridLayout(m_objectRows);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(6);
    int row = 0;
    for (const ObjectBooks* object : books) {
        if (hasPriorityRow(*object))
            row = addPriorityRow(grid, row, *object);
        if (object->ledger.requests.present)
            row = addRequestRow(grid, row, *object);
        if (carriesMessages(object->transport) && !object->ledger.pool.present)
            continue;
        const QString name = QString::fromStdString(object->name);
        const bool pool = carriesMessages(object->transport);
        auto* title = new QLabel(objectTitle(*object), m_objectRows);
        QFont bold = title->font();
        bold.setBold(true);
        title->setFont(bold);
        std::vector<TileSpec> specs;
        if (pool) {
            // The title, then the CLI report's "Pools" line word for word, so the tiles read as its terms.
            QFont small = font();
            small.setPointSizeF(small.pointSizeF() * 0.9);
            title->setFont(small);
            title->setObjectName(QStringLiteral("poolEquation"));
            title->setTextFormat(Qt::RichText);
            title->setWordWrap(true);
            title->setText(tr("<b>Pool, in tasks</b> (task queue ‘%1’): submitted = collected + in the task queue + in "
                              "the result queue + held by workers + died with killed workers + dropped")
                               .arg(name.toHtmlEscaped()));
            title->setToolTip(tr("A pool (Python's multiprocessing.Pool) counted in tasks, not messages: a message "
                                 "carries a chunk of tasks. Every task submitted must come back exactly once, "
                                 "whichever worker ran it."));
            const QString prefix = name + QStringLiteral(".pool.");
            specs = {
                { prefix + QStringLiteral("submitted"), tr("submitted"),
                    tr("Tasks the caller of map or apply put into %1 (each message carries a chunk of them)").arg(name),
                    false },
                { prefix + QStringLiteral("collected"), tr("collected"),
                    tr("Distinct tasks whose result came back to the caller"), false },
                { prefix + QStringLiteral("inTaskQueue"), tr("in task queue"),
                    tr("Submitted and not yet taken by a pool worker"), false },
                { prefix + QStringLiteral("inResultQueue"), tr("in result queue"),
                    tr("Answered by a pool worker and not yet collected"), false },
                { prefix + QStringLiteral("held"), tr("held by workers"),
                    tr("Tasks the pool workers hold between their get and their put; at stop, what the stopped "
                       "workers held (Python's pool.terminate() drops them the same way)"),
                    false },
                { prefix + QStringLiteral("died"), tr("died with killed workers"),
                    tr("Tasks killed pool workers held: their results never come, so the map or apply call waiting "
                       "for them never finishes (Python's Pool.map hangs; concurrent.futures raises "
                       "BrokenProcessPool)"),
                    true },
                { prefix + QStringLiteral("wrong"), tr("duplicated · stray · dropped"),
                    tr("Results for a task already answered · results for no task of the current call · tasks a "
                       "worker took and replaced with new ones before putting their result. Each is a bug: an "
                       "exact pool has none"),
                    true },
                { prefix + QStringLiteral("outOfOrder"), tr("out of order (normal)"),
                    tr("Results that came back before the result of a task submitted earlier: the pool's workers "
                       "finish in their own order. No error: Pool.map puts them back in order for its caller, "
                       "apply_async and imap_unordered hand them over as they come"),
                    false },
                { prefix + QStringLiteral("exact"), tr("exact"),
                    tr("Judged when the run stops: every task submitted accounted for once, none duplicated, stray "
                       "or dropped, and the messages left in each queue carry what the counts say"),
                    false },
            };
        } else if (ipccore::traits(object->transport).perProcess) {
            specs = {
                { name + QStringLiteral(".increments"), tr("increments made (all processes)"),
                    tr("What the writes of every process added (+N each), each to its own copy"), false },
                { name + QStringLiteral(".largestCell"), tr("most in any one copy"),
                    tr("The largest value any one process holds: only its own increments, since no process sees "
                       "another's writes. A shared Value would hold all of them; each process's copy is on the "
                       "object's card"),
                    false },
            };
        } else if (object->transport == ipccore::TransportKind::ShmArray) {
            specs = {
                { name + QStringLiteral(".increments"), tr("increments made"),
                    tr("What every write added (+N each): the value the counter would have if no update were lost"),
                    false },
                // Short captions: three tiles side by side in the Live view's left column at 1280 wide.
                { name + QStringLiteral(".cellSum"), tr("counter value"),
                    tr("What is really in the shared memory now (the sum of its cells)"), false },
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
        grid->addWidget(title, row++, 0, 1, 4);
        int column = 0;
        for (const TileSpec& spec : specs) {
            if (column == CompactColumns) {
                column = 0;
                ++row;
            }
            m_objectTiles.push_back(makeTile(m_objectRows, spec));
            grid->addWidget(m_objectTiles.back().frame, row, column++);
        }
        ++row;
    }
    if (m_compact) {
        for (int column = 0; column < CompactColumns; ++column)
            grid->setColumnStretch(column, 1);
    }
    static_cast<QVBoxLayout*>(layout())->addWidget(m_objectRows);
}

// An mq's priorities, highest first, under a title that says what the tiles hold: per priority the messages the
// consumers took, their share of all taken and their mean wait in the queue. Two tiles to a row, each two of the
// four columns wide, so that "49% · waits 52.9 ms" is read whole. Returns the next free row.
int LedgerView::addPriorityRow(QGridLayout* grid, int row, const ObjectBooks& books)
{
    const QString name = QString::fromStdString(books.name);
    auto* title = new QLabel(m_objectRows);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    title->setFont(small);
    title->setObjectName(QStringLiteral("priorityTitle"));
    title->setTextFormat(Qt::RichText);
    title->setWordWrap(true);
    title->setToolTip(tr("posix_ipc's mq.send(msg, priority=N): the queue hands out its highest-priority message "
                         "first. That buys order, not room: while the queue is full every sender waits for a free "
                         "slot alike, so a higher priority shows as a shorter wait rather than a bigger share."));
    m_priorityTitles.emplace_back(books.name, title);
    grid->addWidget(title, row++, 0, 1, CompactColumns);
    const QString prefix = priorityPrefix(books.name);
    int column = 0;
    for (const ipccore::PriorityShare& p : books.ledger.priorities) {
        if (column == CompactColumns) {
            column = 0;
            ++row;
        }
        m_objectTiles.push_back(makeTile(m_objectRows,
            { prefix + QString::number(p.priority), tr("priority %1").arg(p.priority),
                tr("Messages sent to %1 at priority %2 and taken by its consumers: their share of all the messages "
                   "taken, and how long they waited in the queue on average (from send to receive)")
                    .arg(name)
                    .arg(p.priority),
                false }));
        grid->addWidget(m_objectTiles.back().frame, row, column, 1, 2);
        column += 2;
    }
    return row + 1;
}

void LedgerView::fillPriorityRow(const ObjectBooks& books)
{
    const ipccore::Ledger& l = books.ledger;
    std::uint64_t taken = l.receivedOtherPriorities;
    for (const ipccore::PriorityShare& p : l.priorities)
        taken += p.received;
    const QLocale locale;
    const QString name = QString::fromStdString(books.name);
    QString title = tr("<b>Priorities on ‘%1’</b> (the highest is taken first): share of the messages taken · mean "
                       "wait in the queue")
                        .arg(name.toHtmlEscaped());
    if (l.receivedOtherPriorities > 0)
        title += tr("; %1 more taken at other priorities").arg(locale.toString(qulonglong(l.receivedOtherPriorities)));
    for (const auto& [object, label] : m_priorityTitles) {
        if (object == books.name && label->text() != title)
            label->setText(title);
    }
    const QString prefix = priorityPrefix(books.name);
    for (const ipccore::PriorityShare& p : l.priorities) {
        const QString field = prefix + QString::number(p.priority);
        for (Tile& tile : m_objectTiles) {
            if (tile.field != field)
                continue;
            const QString caption
                = tr("priority %1 · %2 taken").arg(p.priority).arg(locale.toString(qulonglong(p.received)));
            if (tile.caption->text() != caption)
                tile.caption->setText(caption);
            if (p.received == 0 || taken == 0)
                setTile(tile, QStringLiteral("–"), false);
            else
                setTile(tile,
                    tr("%1% · waits %2")
                        .arg(std::round(100.0 * double(p.received) / double(taken)), 0, 'f', 0)
                        .arg(waitText(p.meanLatencyUs)),
                    false);
        }
    }
}

// A server's books (Python's Manager), counted in requests, under the CLI report's "Requests to a server" equations:
// what the clients sent, what the server took and answered, what came back, and what waits in the queues. Eight small
// tiles, two rows of four, as a pool's. Returns the next free row.
int LedgerView::addRequestRow(QGridLayout* grid, int row, const ObjectBooks& books)
{
    const QString name = QString::fromStdString(books.name);
    auto* title = new QLabel(m_objectRows);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    title->setFont(small);
    title->setObjectName(QStringLiteral("requestEquation"));
    title->setTextFormat(Qt::RichText);
    title->setWordWrap(true);
    // Over ZeroMQ (DEALER/ROUTER) there are no queues to name: requests and replies wait in the processes' sockets
    // and their connections, counted from both ends' counters.
    const bool overZmq = ipccore::requestsOverConnections(books.transport);
    title->setText(overZmq
            ? tr("<b>Requests into ‘%1’</b>: sent = taken + requests in flight; taken = answered + unanswered + "
                 "died with server; answered = returned + stale + replies in flight")
                  .arg(name.toHtmlEscaped())
            : tr("<b>Requests into ‘%1’</b>: sent = taken + in request q; taken = answered + unanswered + died "
                 "with server; answered = returned + stale + in reply qs")
                  .arg(name.toHtmlEscaped()));
    const QString live = tr("While the run goes, each process's counts are read one after another as they move, so "
                            "a tile can be a few off the equation; the books are judged at stop.");
    title->setToolTip(
        (overZmq ? tr("A server process (Python's multiprocessing.Manager) counted in requests: each call through a "
                      "proxy, such as x = d['count'] or l.append(x), sends one request over the client's own ZeroMQ "
                      "connection to %1 (DEALER to ROUTER) and waits for one reply on that same connection. Every "
                      "request must get exactly one reply.")
                       .arg(name)
                 : tr("A server process (Python's multiprocessing.Manager) counted in requests: each call through a "
                      "proxy, such as x = d['count'] or l.append(x), puts one request into %1 and waits for one "
                      "reply in the client's own reply queue. Every request must get exactly one reply.")
                       .arg(name))
        + QLatin1Char(' ') + live);
    // The server's data against what its clients' sets and appends added: d['count'] += 1 through a proxy is a get
    // and a set, and another client's set between them is overwritten. Shown once the server has published it,
    // first under the messages' row: the lost updates are what a Manager scenario is there to show, and below the
    // request tiles they were out of sight at 1280x800.
    auto* dataLine = new QLabel(m_objectRows);
    dataLine->setFont(small);
    dataLine->setObjectName(QStringLiteral("serverData"));
    dataLine->setTextFormat(Qt::RichText);
    dataLine->setWordWrap(true);
    dataLine->setToolTip(
        tr("The server's dict, list and Namespace as it holds them, against what the clients' set and "
           "append requests added. d['count'] += 1 through a proxy is two requests, a get and a set: a "
           "set of another client between them is overwritten, and that increment is lost although one "
           "server handles every request. A single request (l.append) loses nothing."));
    dataLine->hide();
    m_serverData.emplace_back(books.name, dataLine);
    grid->addWidget(dataLine, row++, 0, 1, CompactColumns);
    grid->addWidget(title, row++, 0, 1, CompactColumns);
    const QString prefix = requestPrefix(books.name);
    const TileSpec specs[] = {
        { prefix + QStringLiteral("sent"), tr("sent"),
            tr("Requests the clients put into %1: one per call through a proxy, so d['count'] += 1 is two, a get and "
               "a set")
                .arg(name),
            false },
        { prefix + QStringLiteral("taken"), tr("taken by server"),
            tr("Requests the server took out of %1, one at a time").arg(name), false },
        { prefix + QStringLiteral("answered"), tr("answered"),
            overZmq ? tr("Replies the server sent, each back over the connection its request came on")
                    : tr("Replies the server put, each into the reply queue its request named"),
            false },
        { prefix + QStringLiteral("returned"), tr("returned"),
            tr("Replies their clients took back: round trips completed"), false },
        { prefix + QStringLiteral("waiting"),
            overZmq ? tr("requests · replies in flight") : tr("in request q · reply qs"),
            overZmq ? tr("Requests sent that the server has not taken yet · replies sent that their clients have not "
                         "taken yet. ZeroMQ holds both inside the processes' sockets and connections, where nothing "
                         "outside can see them, so they are counted from what each end sent and received")
                    : tr("Requests in %1 the server has not taken yet · replies in the clients' reply queues not taken "
                         "yet")
                          .arg(name),
            false },
        { prefix + QStringLiteral("stale"), tr("stale replies"),
            tr("Replies that came after their client had stopped waiting (a request with a timeout gave up); the "
               "client skips them when it takes its next reply"),
            false },
        { prefix + QStringLiteral("failed"), tr("unanswered · died with server"),
            tr("Requests the server took and could not answer (no request, an unknown reply address, or stopped while "
               "a reply queue was full) · the request a killed server held: its client waits for ever (Python's proxy "
               "raises EOFError instead). Red when not 0"),
            true },
        { prefix + QStringLiteral("exact"), tr("one reply each"),
            tr("Judged when the run stops: the three equations balance and no request is unanswered, so every request "
               "got exactly one reply"),
            false },
    };
    int column = 0;
    for (const TileSpec& spec : specs) {
        if (column == CompactColumns) {
            column = 0;
            ++row;
        }
        m_objectTiles.push_back(makeTile(m_objectRows, spec));
        grid->addWidget(m_objectTiles.back().frame, row, column++);
    }
    return row + 1;
}

// "In the server: d['count'] = 18,020 of 31,640 added, 13,620 updates lost (43%) · ns.x = 8,163 of 8,163 added, no
// update lost · len(l) = 8,163 of 8,163 appended, no append lost", the lost in red. Updates and appends, not
// messages: the ledger's "lost" above counts messages (requests and replies are counted apart). Live, the server's
// value and its clients' counts are read a moment apart (a client's set counts once its reply is back), so a loss is
// told as a share and one under 1% is not told at all: a single client can be seen one set ahead of the server. At stop
// every figure is exact.
QString LedgerView::serverDataText(const std::vector<ipccore::ServerKeyBook>& keys, bool final)
{
    if (keys.empty())
        return {};
    const QLocale locale;
    QStringList parts;
    for (const ipccore::ServerKeyBook& b : keys) {
        QString key = QString::fromStdString(b.key);
        if (key.startsWith(QLatin1String("d[")) && key.endsWith(QLatin1Char(']')))
            key = QStringLiteral("d['%1']").arg(key.mid(2, key.size() - 3));
        const bool list = key == QLatin1String("l");
        QString part = list
            ? tr("len(l) = %1 of %2 appended").arg(locale.toString(b.value), locale.toString(b.increments))
            : tr("%1 = %2 of %3 added")
                  .arg(key.toHtmlEscaped(), locale.toString(b.value), locale.toString(b.increments));
        const double share = b.increments > 0 ? double(b.lost) / double(b.increments) : 0;
        const QString percent = QStringLiteral("%1%").arg(100 * share, 0, 'f', share < 0.1 ? 1 : 0);
        if (b.lost > 0 && final) {
            const QString what
                = list ? (b.lost == 1 ? tr("append") : tr("appends")) : (b.lost == 1 ? tr("update") : tr("updates"));
            part += tr(", <span style=\"color:%4\"><b>%1 %2 lost</b></span> (%3)")
                        .arg(locale.toString(b.lost), what, percent, cssColor(Colors::error()));
        } else if (share >= 0.01)
            part += (list ? tr(", <span style=\"color:%2\"><b>%1 of the appends lost</b></span>")
                          : tr(", <span style=\"color:%2\"><b>%1 of the updates lost</b></span>"))
                        .arg(percent, cssColor(Colors::error()));
        else if (b.lost == 0)
            part += list ? tr(", no append lost") : tr(", no update lost");
        // A set or append the server applied whose reply was on its way back when its client stopped: in the value,
        // not in the client's count (live, the two are read a moment apart anyway).
        if (final && b.value > b.increments && !b.negativeAdds)
            part += tr(" (%1 above: applied, the reply not taken at the stop)")
                        .arg(locale.toString(b.value - b.increments));
        parts << part;
    }
    return tr("<b>In the server:</b> ") + parts.join(QStringLiteral(" · "));
}

void LedgerView::fillRequestRow(const ObjectBooks& books)
{
    const QString prefix = requestPrefix(books.name);
    const ipccore::RequestLedger& q = books.ledger.requests;
    const QLocale locale;
    for (const auto& [object, label] : m_serverData) {
        if (object != books.name)
            continue;
        const QString text = serverDataText(q.keys, books.final);
        if (label->text() != text)
            label->setText(text);
        label->setVisible(!text.isEmpty());
    }
    const auto pair = [&locale](std::uint64_t a, std::uint64_t b) {
        return QStringLiteral("%1 · %2").arg(locale.toString(qulonglong(a)), locale.toString(qulonglong(b)));
    };
    for (Tile& tile : m_objectTiles) {
        if (!tile.field.startsWith(prefix))
            continue;
        const QString field = tile.field.mid(prefix.size());
        if (field == QLatin1String("sent"))
            setTile(tile, qint64(q.sent));
        else if (field == QLatin1String("taken"))
            setTile(tile, qint64(q.taken));
        else if (field == QLatin1String("answered"))
            setTile(tile, qint64(q.answered));
        else if (field == QLatin1String("returned"))
            setTile(tile, qint64(q.returned));
        else if (field == QLatin1String("waiting"))
            setTile(tile, pair(q.inRequestQueue, q.inReplyQueues), false);
        else if (field == QLatin1String("stale"))
            setTile(tile, qint64(q.stale));
        else if (field == QLatin1String("failed"))
            setTile(tile, pair(q.unanswered, q.diedWithServer), q.unanswered + q.diedWithServer > 0);
        else if (field == QLatin1String("exact")) {
            // Killed members caught moving a request or reply may leave each equation off by one: say how many.
            const QString caption
                = q.inDoubt > 0 ? tr("one reply each (%1 in doubt)").arg(q.inDoubt) : tr("one reply each");
            if (tile.caption->text() != caption)
                tile.caption->setText(caption);
            if (!books.final)
                setTile(tile, tr("pending"), false); // judged at the stop (its tooltip says so)
            else
                setTile(tile, q.exact ? tr("yes") : tr("NO"), !q.exact);
        }
    }
}

void LedgerView::fillPoolRow(const ObjectBooks& books)
{
    const QString prefix = QString::fromStdString(books.name) + QStringLiteral(".pool.");
    const ipccore::PoolLedger& p = books.ledger.pool;
    const QLocale locale;
    for (Tile& tile : m_objectTiles) {
        if (!tile.field.startsWith(prefix))
            continue;
        const QString field = tile.field.mid(prefix.size());
        if (field == QLatin1String("submitted"))
            setTile(tile, qint64(p.submitted));
        else if (field == QLatin1String("collected"))
            setTile(tile, qint64(p.collected));
        else if (field == QLatin1String("inTaskQueue"))
            setTile(tile, qint64(p.inTaskQueue));
        else if (field == QLatin1String("inResultQueue"))
            setTile(tile, qint64(p.inResultQueue));
        else if (field == QLatin1String("held")) {
            // While the run goes these are the tasks in the workers' hands; at stop, what the stopped ones held.
            const QString caption = books.final ? tr("held at stop") : tr("held by workers");
            if (tile.caption->text() != caption)
                tile.caption->setText(caption);
            setTile(tile, qint64(p.heldAtStop));
        } else if (field == QLatin1String("died"))
            setTile(tile, qint64(p.diedWithWorkers));
        else if (field == QLatin1String("wrong")) {
            setTile(tile,
                QStringLiteral("%1 · %2 · %3")
                    .arg(locale.toString(qulonglong(p.duplicated)), locale.toString(qulonglong(p.stray)),
                        locale.toString(qulonglong(p.dropped))),
                p.duplicated + p.stray + p.dropped > 0);
        } else if (field == QLatin1String("outOfOrder"))
            setTile(tile, qint64(p.outOfOrder));
        else if (field == QLatin1String("exact")) {
            if (!books.final)
                setTile(tile, tr("pending"), false); // judged at the stop (its tooltip says so)
            else
                setTile(tile, p.exact ? tr("yes") : tr("NO"), !p.exact);
        }
    }
}

void LedgerView::fillObjectRow(const ObjectBooks& books)
{
    if (carriesMessages(books.transport)) {
        if (books.ledger.pool.present)
            fillPoolRow(books);
        if (books.ledger.requests.present)
            fillRequestRow(books);
        if (hasPriorityRow(books))
            fillPriorityRow(books);
        return;
    }
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
        else if (field == QLatin1String("largestCell"))
            setTile(tile, l.largestCell);
        else if (field == QLatin1String("lostUpdates"))
            setTile(tile, l.lostUpdates);
        else if (field == QLatin1String("acquires"))
            setTile(tile, qint64(l.acquires));
        else if (field == QLatin1String("releases"))
            setTile(tile, qint64(l.releases));
        else if (field == QLatin1String("timeouts"))
            setTile(tile, qint64(l.timeouts));
        else if (field == QLatin1String("value")) {
            // A semaphore that carries signals (a bounded buffer's `full`) may rise above where it started.
            QString text = l.permits < 0 ? QStringLiteral("–")
                : books.capacity == 0 || l.permits > qint64(books.capacity)
                ? tr("%1 (started at %2)").arg(locale.toString(qint64(l.permits))).arg(books.capacity)
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
    for (Tile& tile : m_objectTiles) {
        QString text = QStringLiteral("0");
        if (tile.field.endsWith(QLatin1String(".value")) || tile.field.endsWith(QLatin1String(".pool.exact"))
            || tile.field.endsWith(QLatin1String(".requests.exact"))
            || tile.field.contains(QLatin1String(".priority.")))
            text = QStringLiteral("–");
        else if (tile.field.endsWith(QLatin1String(".pool.wrong")))
            text = QStringLiteral("0 · 0 · 0");
        else if (tile.field.endsWith(QLatin1String(".requests.waiting"))
            || tile.field.endsWith(QLatin1String(".requests.failed")))
            text = QStringLiteral("0 · 0");
        if (tile.field.contains(QLatin1String(".priority.")))
            tile.caption->setText(tr("priority %1 · 0 taken").arg(tile.field.section(QLatin1Char('.'), -1)));
        setTile(tile, text, false);
    }
}

const LedgerView::Tile* LedgerView::findTile(const QString& field) const
{
    if (field == m_problems.field)
        return &m_problems;
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

QString LedgerView::caption(const QString& field) const
{
    const Tile* tile = findTile(field);
    return tile ? tile->caption->text() : QString();
}

QString LedgerView::serverDataShown(const std::string& object) const
{
    for (const auto& [name, label] : m_serverData) {
        if (name == object && !label->isHidden())
            return label->text();
    }
    return {};
}

bool LedgerView::isShown(const QString& field) const
{
    const Tile* tile = findTile(field);
    return tile && !tile->frame->isHidden();
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
