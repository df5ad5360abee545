#include "widgets/object_view.h"

#include "widgets/state_colors.h"

#include <QHelpEvent>
#include <QLocale>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace ipcui {

namespace {
constexpr int Margin = 8;
constexpr int SemTileWidth = 120;
constexpr int SemTileGap = 8;
constexpr int MaxCells = 64; // above this a bar reads better than cells
constexpr int MaxArrayBoxes = 16; // cells of a shared array drawn as boxes with their values; more are listed

QString transportText(ipccore::TransportKind kind)
{
    return QString::fromUtf8(ipccore::traits(kind).description);
}

// "0 B", "512 B", "1.5 KiB", "64 KiB": a pipe's contents and size.
QString byteText(std::int64_t bytes)
{
    if (bytes < 1024)
        return ObjectView::tr("%1 B").arg(bytes);
    const double kib = double(bytes) / 1024.0;
    const bool whole = kib >= 10 || bytes % 1024 == 0;
    return ObjectView::tr("%1 KiB").arg(kib, 0, 'f', whole ? 0 : 1);
}

// "philosopher-2", or "philosopher-2 (dead)": a killed process keeps a semaphore's permit for ever.
QString userName(const ipccore::ObjectStatus::User& user)
{
    const QString name = QString::fromStdString(user.worker);
    return user.alive ? name : ObjectView::tr("%1 (dead)").arg(name);
}

// "philosopher-2, philosopher-3": the processes blocked on an object now.
QString waiterNames(const ipccore::ObjectStatus& object)
{
    QStringList names;
    for (const ipccore::ObjectStatus::User& user : object.waiters)
        names << QString::fromStdString(user.worker);
    return names.join(QStringLiteral(", "));
}

// A pipe, named (FIFO) or anonymous: the runner reads how many bytes wait in it and how big its buffer is.
bool isPipe(ipccore::TransportKind kind)
{
    return kind == ipccore::TransportKind::Fifo || kind == ipccore::TransportKind::Pipe;
}

QString semaphoreMeaning(const std::string& role)
{
    if (role == "lock")
        return ObjectView::tr("lock: the array's lock (Python: with v.get_lock():). 1 = free, 0 = a process holds "
                              "it and the others wait.");
    if (role == "permits")
        return ObjectView::tr("permits: how many more processes may acquire now. At 0, sem.acquire() waits (or "
                              "times out).");
    if (role == "empty")
        return ObjectView::tr("empty: free slots. Producers wait on it; at 0 they block.");
    if (role == "full")
        return ObjectView::tr("full: filled slots. Consumers wait on it; at 0 they block.");
    if (role == "mutex")
        return ObjectView::tr("mutex: 1 = the buffer is free, 0 = a worker holds the lock.");
    return QString::fromStdString(role);
}
} // namespace

ObjectView::ObjectView(QWidget* parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    setAttribute(Qt::WA_OpaquePaintEvent);
}

void ObjectView::setObjects(const std::vector<ipccore::ObjectStatus>& objects, bool live)
{
    // A card's height changes with its count or its semaphore tiles (a host's object brings them with its first
    // snapshot): then the panel is told, not only repainted.
    const int before = sizeHint().height();
    m_objects = objects;
    m_live = live;
    if (sizeHint().height() != before)
        updateGeometry();
    update();
}

// A semaphore object's value is its whole story and is drawn as permits; other objects' semaphores (a ring's
// empty/full/mutex, an array's lock) get a row of tiles under the slots.
bool ObjectView::hasSemaphoreTiles(const ipccore::ObjectStatus& object)
{
    return !object.semaphores.empty() && object.transport != ipccore::TransportKind::Semaphore;
}

// One object gets tall cards; with two or more (a pool's task and result queues) the cards are lower, so that both
// show in the panel without scrolling while the ledger below keeps its rows.
ObjectView::Metrics ObjectView::metrics() const
{
    // In lines of the current font, so the cards grow with the zoom; at 100 % one object's card with its semaphore
    // tiles (a ring buffer) fits the 180 pixels the panel gives it on a 720-line screen.
    const double line = fontMetrics().height() / 17.0;
    const auto px = [line](int pixels) { return int(std::lround(pixels * line)); };
    if (m_objects.size() < 2)
        return { px(8), px(8), px(32), px(48), px(56) };
    return { px(5), px(6), px(28), px(26), px(56) };
}

int ObjectView::cardHeight(const ipccore::ObjectStatus& object) const
{
    const Metrics m = metrics();
    const int semaphores = hasSemaphoreTiles(object) ? m.semRow + m.margin : 0;
    return m.header + m.slotArea + semaphores + 3 * m.margin;
}

QSize ObjectView::sizeHint() const
{
    int height = metrics().margin;
    for (const ipccore::ObjectStatus& object : m_objects)
        height += cardHeight(object) + metrics().gap;
    return { 460, std::max(height, 120) };
}

// As tall as every card: in its scroll area (widgetResizable) a smaller minimum let the view shrink to the viewport,
// so the cards below were cut off with no scroll bar to reach them (dining-philosophers showed 2 of its 5 forks).
QSize ObjectView::minimumSizeHint() const
{
    return { 320, sizeHint().height() };
}

void ObjectView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().color(QPalette::Base));
    painter.setRenderHint(QPainter::Antialiasing);
    if (m_objects.empty()) {
        painter.setPen(Colors::muted());
        painter.drawText(rect(), Qt::AlignCenter, tr("No IPC objects in this experiment."));
        return;
    }
    int y = metrics().margin;
    for (const ipccore::ObjectStatus& object : m_objects) {
        const QRect card(Margin, y, width() - 2 * Margin, cardHeight(object));
        paintObject(painter, card, object);
        y += cardHeight(object) + metrics().gap;
    }
}

QRect ObjectView::paintCard(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object,
    const QString& figure, bool alarm, const QString& badge) const
{
    painter.setPen(QPen(alarm ? Colors::full() : Colors::cardBorder(), alarm ? 3 : 1));
    painter.setBrush(Colors::card());
    painter.drawRoundedRect(card, 6, 6);

    const QRect header(
        card.left() + Margin, card.top() + metrics().margin, card.width() - 2 * Margin, metrics().header);
    const QFont nameFont = bigFont(1.5);
    painter.setFont(nameFont);
    painter.setPen(Colors::outline());
    // On a worker host: "far@lab2", as the processes, the charts and the timeline name it.
    const QString name = QString::fromStdString(ipccore::placedName(object.name, object.host));
    painter.drawText(header, Qt::AlignLeft | Qt::AlignVCenter, name);
    const int nameWidth = QFontMetrics(nameFont).horizontalAdvance(name);
    painter.setPen(alarm ? Colors::full() : Colors::outline());
    painter.drawText(header, Qt::AlignRight | Qt::AlignVCenter, figure);
    int right = header.right() - QFontMetrics(nameFont).horizontalAdvance(figure) - 10;

    if (!badge.isEmpty()) {
        QFont badgeFont = font();
        badgeFont.setBold(true);
        badgeFont.setPointSizeF(font().pointSizeF() * 1.15);
        const int w = QFontMetrics(badgeFont).horizontalAdvance(badge) + 16;
        const QRect badgeRect(right - w, header.top() + 3, w, header.height() - 6);
        painter.setPen(Qt::NoPen);
        painter.setBrush(alarm ? Colors::full() : QColor(0x90, 0xa4, 0xae));
        painter.drawRoundedRect(badgeRect, 4, 4);
        painter.setFont(badgeFont);
        painter.setPen(Qt::white);
        painter.drawText(badgeRect, Qt::AlignCenter, badge);
        right = badgeRect.left() - 10;
    }

    // The kind gets the room left between the name and the figure. A long one drops its parenthesis first
    // ("socketpair (duplex, one message per record)" becomes "socketpair"), and is cut short only if even that does
    // not fit; never drawn under the figure. The tooltip has it whole.
    const QRect kind(
        header.left() + nameWidth + 10, header.top(), right - (header.left() + nameWidth + 10), header.height());
    painter.setFont(font());
    painter.setPen(Colors::muted());
    const QFontMetrics fm = painter.fontMetrics();
    // While processes are blocked on it, the room names them instead (the kind is in the tooltip).
    QString kindText = transportText(object.transport);
    if (m_live && !object.waiters.empty()) {
        painter.setPen(Colors::full());
        // The names matter more than the words; where they do not all fit, the first and how many more, or how
        // many: a count is never cut.
        const int waiters = int(object.waiters.size());
        const QString first = QString::fromStdString(object.waiters.front().worker);
        QStringList candidates { tr("waited on by %1").arg(waiterNames(object)),
            tr("waiting: %1").arg(waiterNames(object)) };
        if (waiters > 1)
            candidates << tr("waiting: %1 and %n more", nullptr, waiters - 1).arg(first);
        candidates << tr("%n waiting", nullptr, waiters);
        for (const QString& candidate : candidates) {
            kindText = candidate;
            if (fm.horizontalAdvance(candidate) <= kind.width())
                break;
        }
    } else if (fm.horizontalAdvance(kindText) > kind.width() && kindText.contains(QStringLiteral(" (")))
        kindText.truncate(kindText.indexOf(QStringLiteral(" (")));
    if (kind.width() > 3 * fm.averageCharWidth())
        painter.drawText(kind, Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(kindText, Qt::ElideRight, kind.width()));
    return header;
}

QFont ObjectView::bigFont(double scale) const
{
    QFont big = font();
    big.setPointSizeF(font().pointSizeF() * scale);
    big.setBold(true);
    return big;
}

// The semaphores of an object as tiles in a row under its slots. A zero is red ("waits block"), except for an
// array's lock, where 0 only means that someone holds it: that is what a lock is for.
void ObjectView::paintSemaphoreTiles(QPainter& painter, const QRect& row, const ipccore::ObjectStatus& object) const
{
    const QFont roleFont = bigFont(1.0);
    const QFont valueFont = bigFont(2.1);
    const int count = int(object.semaphores.size());
    const int tileWidth = std::min(SemTileWidth + 40, (row.width() - (count - 1) * SemTileGap) / count);
    int x = row.left();
    for (const ipccore::SemaphoreValue& sem : object.semaphores) {
        const QRect tile(x, row.top(), tileWidth, metrics().semRow);
        const bool lock = sem.role == "lock";
        const bool zero = m_live && sem.value == 0;
        // A rendezvous's "full" and "taken" are 0 whenever nobody is handing a message over: that is no block.
        const bool handshake = object.transport == ipccore::TransportKind::Rendezvous && sem.role != "empty";
        const bool red = zero && !lock && !handshake;
        painter.setPen(QPen(red ? Colors::full() : Colors::outline(), 2));
        painter.setBrush(red ? Colors::full() : Colors::emptySlot());
        painter.drawRoundedRect(tile.adjusted(1, 1, -1, -1), 5, 5);
        const QRect inner = tile.adjusted(8, 3, -8, -3);
        const QString value = m_live ? QString::number(sem.value) : QStringLiteral("–");
        const int valueWidth = QFontMetrics(valueFont).horizontalAdvance(value);
        painter.setPen(red ? QColor(Qt::white) : Colors::muted());
        painter.setFont(roleFont);
        // "sem empty", or "empty" where a narrow tile has no room for the kind.
        QString role = lock ? tr("lock") : tr("sem %1").arg(QString::fromStdString(sem.role));
        if (!lock && QFontMetrics(roleFont).horizontalAdvance(role) > inner.width())
            role = QString::fromStdString(sem.role);
        painter.drawText(inner, Qt::AlignLeft | Qt::AlignTop, role);
        if (m_live && (zero || lock) && !handshake) {
            painter.setFont(font());
            QString state = !lock ? tr("waits block") : zero ? tr("held") : tr("free");
            if (lock && zero && !object.holders.empty())
                state = tr("held by %1").arg(userName(object.holders.front()));
            painter.drawText(inner, Qt::AlignLeft | Qt::AlignBottom,
                painter.fontMetrics().elidedText(state, Qt::ElideRight, inner.width() - valueWidth - 4));
        }
        painter.setPen(red ? QColor(Qt::white) : Colors::outline());
        painter.setFont(valueFont);
        painter.drawText(inner, Qt::AlignRight | Qt::AlignVCenter, value);
        x += tileWidth + SemTileGap;
    }
}

void ObjectView::paintObject(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const
{
    if (ipccore::traits(object.transport).perProcess) {
        paintGlobal(painter, card, object);
        return;
    }
    switch (object.transport) {
    case ipccore::TransportKind::ShmArray:
        paintArray(painter, card, object);
        return;
    case ipccore::TransportKind::Semaphore:
        paintSemaphore(painter, card, object);
        return;
    default:
        paintQueue(painter, card, object);
        return;
    }
}

QString ObjectView::arrayFigure(const ipccore::ObjectStatus& object) const
{
    const int n = int(object.capacity);
    if (!m_live || object.cells.empty() || n <= 1)
        return n == 1 ? tr("1 cell") : tr("%1 cells").arg(n);
    std::int64_t sum = 0;
    for (const std::int64_t cell : object.cells)
        sum += cell;
    return tr("sum %1").arg(QLocale().toString(qlonglong(sum)));
}

// A shared array: its cells' values, big when it is a single counter ("counter[0] = 12105"), then its lock.
void ObjectView::paintArray(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const
{
    const bool live = m_live && !object.cells.empty();
    const int n = int(object.capacity);
    const QRect header = paintCard(painter, card, object, arrayFigure(object), false);
    const QRect area(
        card.left() + Margin, header.bottom() + metrics().margin, card.width() - 2 * Margin, metrics().slotArea);
    const QString name = QString::fromStdString(object.name);
    const auto valueText = [&](int i) {
        return live && i < int(object.cells.size()) ? QLocale().toString(qlonglong(object.cells[std::size_t(i)]))
                                                    : QStringLiteral("–");
    };
    if (n == 1) {
        painter.setFont(bigFont(2.1));
        painter.setPen(live ? Colors::filled() : Colors::muted());
        painter.drawText(area, Qt::AlignLeft | Qt::AlignVCenter, QStringLiteral("%1[0] = %2").arg(name, valueText(0)));
    } else if (n <= MaxArrayBoxes) {
        // One box per cell, its index above its value.
        const int gap = 4;
        const int boxW = std::clamp((area.width() - (n - 1) * gap) / n, 24, 120);
        for (int i = 0; i < n; ++i) {
            const QRect box(area.left() + i * (boxW + gap), area.top() + 2, boxW, area.height() - 4);
            painter.setPen(QPen(live ? Colors::outline() : Colors::muted(), 2));
            painter.setBrush(Colors::emptySlot());
            painter.drawRoundedRect(box, 3, 3);
            painter.setFont(font());
            painter.setPen(Colors::muted());
            painter.drawText(box.adjusted(4, 2, -4, -2), Qt::AlignLeft | Qt::AlignTop, QStringLiteral("[%1]").arg(i));
            painter.setFont(bigFont(1.2));
            painter.setPen(live ? Colors::filled() : Colors::muted());
            painter.drawText(box.adjusted(4, 2, -4, -2), Qt::AlignRight | Qt::AlignBottom, valueText(i));
        }
    } else {
        QStringList values;
        for (int i = 0; i < std::min<int>(n, MaxArrayBoxes); ++i)
            values << valueText(i);
        painter.setFont(font());
        painter.setPen(live ? Colors::outline() : Colors::muted());
        painter.drawText(area, Qt::AlignLeft | Qt::AlignVCenter | Qt::TextWordWrap,
            tr("%1[0..%2] = %3, … (hover for all)").arg(name).arg(n - 1).arg(values.join(QStringLiteral(", "))));
    }
    if (hasSemaphoreTiles(object))
        paintSemaphoreTiles(
            painter, QRect(area.left(), area.bottom() + metrics().margin, area.width(), metrics().semRow), object);
}

QString ObjectView::globalFigure(const ipccore::ObjectStatus& object) const
{
    if (!m_live || object.copies.empty())
        return tr("a copy in each process");
    return object.copies.size() == 1 ? tr("1 copy") : tr("%1 copies").arg(object.copies.size());
}

// A global: one box per process that uses it, the process's name above the value of its own copy. The boxes never
// add up anywhere: that is the lesson, beside a shared array whose one cell does.
void ObjectView::paintGlobal(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const
{
    const bool live = m_live && !object.copies.empty();
    const QRect header = paintCard(painter, card, object, globalFigure(object), false);
    const QRect area(
        card.left() + Margin, header.bottom() + metrics().margin, card.width() - 2 * Margin, metrics().slotArea);
    if (!live) {
        painter.setFont(font());
        painter.setPen(Colors::muted());
        painter.drawText(area, Qt::AlignLeft | Qt::AlignVCenter | Qt::TextWordWrap,
            tr("%1 = 0 in every process, each in its own memory").arg(QString::fromStdString(object.name)));
        return;
    }
    const int n = int(object.copies.size());
    const int gap = 4;
    const int boxW = std::clamp((area.width() - (n - 1) * gap) / n, 24, 160);
    for (int i = 0; i < n; ++i) {
        const ipccore::GlobalCopy& copy = object.copies[std::size_t(i)];
        const QRect box(area.left() + i * (boxW + gap), area.top() + 2, boxW, area.height() - 4);
        painter.setPen(QPen(copy.alive ? Colors::outline() : Colors::muted(), 2));
        painter.setBrush(Colors::emptySlot());
        painter.drawRoundedRect(box, 3, 3);
        const QRect inner = box.adjusted(4, 2, -4, -2);
        painter.setFont(font());
        painter.setPen(Colors::muted());
        painter.drawText(inner, Qt::AlignLeft | Qt::AlignTop,
            painter.fontMetrics().elidedText(QString::fromStdString(copy.worker), Qt::ElideRight, inner.width()));
        painter.setFont(bigFont(1.2));
        painter.setPen(copy.alive ? Colors::filled() : Colors::muted());
        painter.drawText(inner, Qt::AlignRight | Qt::AlignBottom, QLocale().toString(qlonglong(copy.value)));
    }
}

QString ObjectView::semaphoreFigure(const ipccore::ObjectStatus& object) const
{
    const int n = int(object.capacity);
    // A semaphore that carries signals (a bounded buffer's `full`) may rise above where it started.
    if (m_live && !object.semaphores.empty() && (n == 0 || object.semaphores.front().value > n))
        return tr("value %1 (started at %2)").arg(object.semaphores.front().value).arg(n);
    if (m_live && !object.semaphores.empty())
        return tr("%1 of %2 permits free").arg(object.semaphores.front().value).arg(n);
    return n == 1 ? tr("1 permit") : tr("%1 permits").arg(n);
}

// A semaphore: "1 of 2 permits free" and one token per permit, filled while free. At 0 it is red: the next
// acquire waits.
void ObjectView::paintSemaphore(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const
{
    const bool live = m_live && !object.semaphores.empty();
    const int value = live ? object.semaphores.front().value : 0;
    const int n = std::max(int(object.capacity), value); // one token per permit, posted signals included
    const bool zero = live && value == 0;
    const QRect header = paintCard(painter, card, object, semaphoreFigure(object), zero);
    const QRect area(
        card.left() + Margin, header.bottom() + metrics().margin, card.width() - 2 * Margin, metrics().slotArea);
    const QColor fill = Colors::okFill();
    if (n == 0) {
        painter.setFont(font());
        painter.setPen(live ? Colors::full() : Colors::muted());
        painter.drawText(area, Qt::AlignLeft | Qt::AlignVCenter,
            tr("no permit yet: an acquire waits until another process releases it"));
    } else if (n <= MaxCells) {
        const int gap = n > 24 ? 2 : 6;
        // Wide enough, when there are few, to name the process that holds each taken permit.
        const int tokenW = std::clamp((area.width() - (n - 1) * gap) / std::max(n, 1), 4, n <= 4 ? 150 : 72);
        for (int i = 0; i < n; ++i) {
            const QRect token(area.left() + i * (tokenW + gap), area.top() + 3, tokenW, area.height() - 6);
            painter.setPen(QPen(zero ? Colors::full()
                    : live           ? Colors::outline()
                                     : Colors::muted(),
                tokenW > 12 ? 2 : 1));
            painter.setBrush(i < value ? fill : Colors::emptySlot());
            painter.drawRoundedRect(token, 8, 8);
            // Words in the tokens while they fit: a student reads "taken" faster than an empty box.
            // A taken permit names its holder when a program holds it (a signal taken for good has none).
            if (live && tokenW >= 56) {
                const std::size_t holder = std::size_t(i - value);
                const bool named = i >= value && holder < object.holders.size();
                painter.setFont(font());
                painter.setPen(i < value                         ? QColor(Qt::white)
                        : named && !object.holders[holder].alive ? Colors::full()
                                                                 : Colors::muted());
                const QString text = i < value ? tr("free") : named ? userName(object.holders[holder]) : tr("taken");
                painter.drawText(token.adjusted(4, 0, -4, 0), Qt::AlignCenter,
                    painter.fontMetrics().elidedText(text, Qt::ElideRight, token.width() - 8));
            }
        }
    } else {
        const QRect bar(area.left(), area.top() + 8, area.width(), area.height() - 16);
        painter.setPen(QPen(zero ? Colors::full() : Colors::outline(), 2));
        painter.setBrush(Colors::emptySlot());
        painter.drawRoundedRect(bar, 3, 3);
        painter.setPen(Qt::NoPen);
        painter.setBrush(fill);
        painter.drawRect(
            QRect(bar.left() + 2, bar.top() + 2, int(double(bar.width() - 4) * value / n), bar.height() - 3));
    }
}

// What a message object's card says. Queues and rings: depth out of capacity, slot by slot. A pipe (FIFO or
// anonymous): the bytes waiting out of its kernel buffer, as a bar, since it has no message slots. A socket or
// socketpair: words, because what waits in it cannot be seen without reading it. A shared value: its one slot.
ObjectView::QueueFace ObjectView::queueFace(const ipccore::ObjectStatus& object) const
{
    using Body = QueueFace::Body;
    QueueFace face;
    // A shared value always holds exactly one value; "full" would be noise there, losing values is the point.
    const bool isValue = ipccore::traits(object.transport).capacity == ipccore::CapacityUnit::OneValue;
    const bool hasSlots = object.capacity > 0;
    const bool live = m_live;
    const bool liveBytes = live && object.bytesQueued >= 0 && object.byteCapacity > 0;
    if (liveBytes || (!live && isPipe(object.transport))) {
        face.body = Body::Bytes;
        const std::int64_t queued = live ? object.bytesQueued : 0;
        face.full = live && object.byteCapacity - queued < std::max<std::int64_t>(object.messageSize, 1);
        face.fill = live ? std::clamp(double(queued) / double(object.byteCapacity), 0.0, 1.0) : 0.0;
        face.anyBytes = queued > 0;
        face.figure = live ? tr("%1 / %2").arg(byteText(queued), byteText(object.byteCapacity)) : tr("not running");
        face.text = live ? tr("Bytes waiting in the pipe's %1 kernel buffer").arg(byteText(object.byteCapacity))
                         : tr("Bytes waiting in the pipe's kernel buffer");
        if (live && queued == 0)
            face.badge = tr("EMPTY");
    } else if (ipccore::traits(object.transport).depthFromCounters) {
        // ZeroMQ: the messages wait inside the processes, so there are no slots to draw, only a count.
        face.body = Body::Words;
        face.figure = live ? tr("%1 in flight").arg(std::max<std::int64_t>(object.depth, 0))
                           : tr("high-water mark %1").arg(object.capacity);
        if (live && object.depth == 0)
            face.badge = tr("EMPTY");
        if (ipccore::traits(object.transport).broadcast) {
            face.figure = live ? tr("%1 copies in flight").arg(std::max<std::int64_t>(object.depth, 0)) : face.figure;
            face.text = tr("Copies sent and not yet received, as the publishers and subscribers count them: every "
                           "message goes to every subscriber, and ZeroMQ queues the copies inside the processes (up "
                           "to %1 on each side of each connection) and in the kernel's socket buffers between them. "
                           "A full subscriber holds the publishers back (nothing is dropped).")
                            .arg(object.capacity);
            face.shortText = tr("Copies sent, not yet received: ZeroMQ queues inside the processes.");
            // The subscriber that holds the publishers back, once it lags the fastest by at least the high-water
            // mark (subscribers that keep up read a few copies apart, counted a moment apart, which would only
            // flicker here).
            if (live && !object.furthestBehind.empty()
                && object.furthestBehindBy >= std::max<std::int64_t>(object.capacity, 1)) {
                const QString copies = object.furthestBehindBy == 1
                    ? tr("1 copy")
                    : tr("%1 copies").arg(QLocale().toString(qlonglong(object.furthestBehindBy)));
                const QString behind = tr("Furthest behind: %1, %2 behind the fastest.")
                                           .arg(QString::fromStdString(object.furthestBehind), copies);
                face.text = behind + QLatin1Char(' ') + face.text;
                face.shortText = behind;
            }
        } else if (object.listensOn.empty()) {
            face.text = tr("Sent and not yet received, as the producers and consumers count them: ZeroMQ queues "
                           "messages inside the processes (up to %1 on each side of each connection) and in the "
                           "kernel's socket buffers between them.")
                            .arg(object.capacity);
            face.shortText = tr("Sent, not yet received: ZeroMQ queues inside the processes.");
        } else {
            // Between machines (its consumers on hosts listen for the producers here): the network is among the
            // places a message waits, and the hosts' counts come about 20 times a second. Its host is the hosts
            // its consumers run on, "lab2+lab3" ('+' is in no host's name).
            const QStringList hosts = QString::fromStdString(object.host).split(QLatin1Char('+'));
            const QString host = hosts.size() == 1
                ? hosts.front()
                : tr("%1 and %2").arg(hosts.mid(0, hosts.size() - 1).join(QStringLiteral(", ")), hosts.back());
            const QString counts = hosts.size() == 1
                ? tr("%1's counts come with its snapshots, about 20 a second,").arg(host)
                : tr("Each host's counts come with its snapshots, about 20 a second,");
            face.text = tr("Sent and not yet received, as the producers here and the consumers on %1 count them: "
                           "ZeroMQ queues messages inside the processes (up to %2 on each side of each connection), "
                           "in the kernel's socket buffers "
                           "and on the network between the machines. %3 so this reads high by about what is sent in "
                           "one sample.")
                            .arg(host)
                            .arg(object.capacity)
                            .arg(counts);
            face.shortText = tr("Sent, not yet received on %1: ZeroMQ queues and the network.").arg(host);
        }
    } else {
        face.full = live && hasSlots && !isValue && object.depth >= std::int64_t(object.capacity);
        if (!live)
            face.figure = hasSlots ? tr("capacity %1").arg(object.capacity) : tr("not running");
        else if (object.depth < 0)
            face.figure = tr("depth not visible");
        else if (isValue)
            face.figure = object.depth > 0 ? tr("holds a value") : tr("no value yet");
        else if (hasSlots)
            face.figure = tr("%1 / %2").arg(object.depth).arg(object.capacity);
        else if (ipccore::traits(object.transport).carriesMessages
            && ipccore::traits(object.transport).capacity == ipccore::CapacityUnit::None) // a rendezvous
            // Not "in flight" as the ledger counts it: the sender counts its message sent once a receiver took it.
            face.figure = object.depth > 0 ? tr("1 handed over, not yet taken") : tr("nothing handed over");
        else
            face.figure = tr("%1 in flight").arg(object.depth);
        if (live && object.depth == 0)
            face.badge = tr("EMPTY");
        if (isValue) {
            face.body = Body::Words;
            face.text = tr("One slot: each write replaces the value, read or not. Watch \"lost\" in the ledger.");
        } else if (!hasSlots && live && object.bytesQueued >= 0) {
            // A socket: its consumers measure what waits in their connections (FIONREAD), up to 20 ms old.
            face.body = Body::Words;
            face.figure = tr("%1 waiting").arg(byteText(object.bytesQueued));
            face.anyBytes = object.bytesQueued > 0;
            face.badge = object.bytesQueued == 0 ? tr("EMPTY") : QString();
            face.text = tr("Bytes sent and not yet read, in the kernel's buffers of its connections (measured by the "
                           "consumer). A stream has no message slots to draw.");
            face.shortText = tr("Bytes not yet read, in the kernel's buffers.");
        } else if (!hasSlots) {
            face.body = Body::Words;
            const ipccore::TransportTraits& t = ipccore::traits(object.transport);
            face.text = t.duplex
                ? tr("Two one-way channels, one each way: what waits in them cannot be seen without reading it.")
                : t.capacity == ipccore::CapacityUnit::None
                ? tr("Unbuffered: a sender waits until a receiver takes its message (sem taken).")
                : tr("The kernel buffers this stream in bytes; it has no message slots to draw.");
            face.shortText = t.duplex                       ? tr("Two one-way channels, one each way.")
                : t.capacity == ipccore::CapacityUnit::None ? tr("Unbuffered: a sender waits for a receiver.")
                                                            : tr("A byte stream: no message slots to draw.");
        }
    }
    if (face.full)
        face.badge = tr("FULL");
    return face;
}

void ObjectView::paintQueue(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const
{
    using Body = QueueFace::Body;
    const QueueFace face = queueFace(object);
    const QRect header = paintCard(painter, card, object, face.figure, face.full, face.badge);

    // Semaphores get their own row under the slots, so the slots can use the whole width.
    const int slotAreaHeight = metrics().slotArea;
    const QRect slotArea(
        card.left() + Margin, header.bottom() + metrics().margin, card.width() - 2 * Margin, slotAreaHeight);
    if (hasSemaphoreTiles(object))
        paintSemaphoreTiles(painter,
            QRect(slotArea.left(), slotArea.bottom() + metrics().margin, slotArea.width(), metrics().semRow), object);

    painter.setFont(font());
    const QColor fill = face.full ? Colors::full() : Colors::filled();
    // A bar for what does not come in slots: `share` of it filled.
    const auto paintBar = [&](const QRect& bar, double share, bool sliver) {
        painter.setPen(QPen(m_live ? Colors::outline() : Colors::muted(), 2));
        painter.setBrush(Colors::emptySlot());
        painter.drawRoundedRect(bar, 3, 3);
        int filled = int(double(bar.width() - 4) * share);
        if (sliver)
            filled = std::max(filled, 2);
        painter.setPen(Qt::NoPen);
        painter.setBrush(fill);
        painter.drawRect(QRect(bar.left() + 2, bar.top() + 2, filled, bar.height() - 3));
    };
    if (face.body == Body::Words) {
        painter.setPen(Colors::muted());
        const int flags = Qt::AlignLeft | Qt::AlignVCenter | Qt::TextWordWrap;
        const bool fits = painter.fontMetrics().boundingRect(slotArea, flags, face.text).height() <= slotArea.height();
        painter.drawText(slotArea, flags, fits || face.shortText.isEmpty() ? face.text : face.shortText);
        return;
    }
    if (face.body == Body::Bytes) {
        // The words over the bar while there is room for both (one card); a low card has the bar only.
        const int line = painter.fontMetrics().height();
        QRect bar = slotArea.adjusted(0, 8, 0, -8);
        if (slotAreaHeight >= 2 * line + 16) {
            painter.setPen(Colors::muted());
            painter.drawText(QRect(slotArea.left(), slotArea.top(), slotArea.width(), line),
                Qt::AlignLeft | Qt::AlignVCenter,
                painter.fontMetrics().elidedText(face.text, Qt::ElideRight, slotArea.width()));
            bar = QRect(slotArea.left(), slotArea.top() + line + 4, slotArea.width(), slotAreaHeight - line - 8);
        }
        paintBar(bar, face.fill, face.anyBytes);
        return;
    }
    const std::int64_t depth = m_live ? std::clamp<std::int64_t>(object.depth, 0, object.capacity) : 0;
    const int n = int(object.capacity);
    if (n <= MaxCells) {
        const int gap = n > 24 ? 2 : 4;
        const int cellW = std::clamp((slotArea.width() - (n - 1) * gap) / n, 4, 72);
        const int cellH = slotAreaHeight - 6;
        const int top = slotArea.top() + (slotAreaHeight - cellH) / 2;
        for (int i = 0; i < n; ++i) {
            const QRect cell(slotArea.left() + i * (cellW + gap), top, cellW, cellH);
            painter.setPen(QPen(m_live ? Colors::outline() : Colors::muted(), cellW > 12 ? 2 : 1));
            painter.setBrush(i < depth ? fill : Colors::emptySlot());
            painter.drawRoundedRect(cell, 3, 3);
        }
    } else {
        paintBar(QRect(slotArea.left(), slotArea.top() + 8, slotArea.width(), slotAreaHeight - 16), double(depth) / n,
            false);
    }
}

bool ObjectView::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const QString tip = tooltipAt(help->pos());
        if (tip.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), tip, this);
        return true;
    }
    return QWidget::event(event);
}

QString ObjectView::tooltipAt(const QPoint& pos) const
{
    int top = metrics().margin;
    for (const ipccore::ObjectStatus& candidate : m_objects) {
        if (pos.y() >= top && pos.y() < top + cardHeight(candidate))
            return tooltipFor(candidate);
        top += cardHeight(candidate) + metrics().gap;
    }
    return {};
}

QString ObjectView::systemName(const ipccore::ObjectStatus& object)
{
    if (ipccore::traits(object.transport).perProcess)
        return tr("none: a copy in each process's own memory");
    if (ipccore::traits(object.transport).anonymous)
        return tr("anonymous (no name; inherited descriptors)");
    if (object.osName.empty())
        return tr("given when the run starts");
    return QString::fromStdString(object.osName);
}

QString ObjectView::tooltipFor(const ipccore::ObjectStatus& object) const
{
    QString tip = tr("<b>%1</b> (%2)<br>system name: %3")
                      .arg(QString::fromStdString(object.name).toHtmlEscaped(), transportText(object.transport),
                          systemName(object).toHtmlEscaped());
    if (m_live && object.bytesQueued >= 0 && object.byteCapacity > 0) {
        const QLocale locale;
        tip += QStringLiteral("<br>")
            + tr("%1 of %2 bytes waiting (the writer blocks when a message no longer fits)")
                  .arg(locale.toString(qlonglong(object.bytesQueued)), locale.toString(qlonglong(object.byteCapacity)));
    }
    if (!object.copies.empty()) {
        QStringList values;
        for (const ipccore::GlobalCopy& copy : object.copies)
            values << QStringLiteral("%1: %2").arg(
                QString::fromStdString(copy.worker).toHtmlEscaped(), QLocale().toString(qlonglong(copy.value)));
        tip += QStringLiteral("<br>") + tr("each process's own copy: %1").arg(values.join(QStringLiteral(", ")));
    } else if (!object.cells.empty()) {
        QStringList values;
        for (const std::int64_t cell : object.cells)
            values << QLocale().toString(qlonglong(cell));
        tip += QStringLiteral("<br>") + tr("cells: %1").arg(values.join(QStringLiteral(", ")));
    }
    for (const ipccore::SemaphoreValue& sem : object.semaphores)
        tip += QStringLiteral("<br>") + semaphoreMeaning(sem.role).toHtmlEscaped();
    if (m_live) {
        for (const ipccore::ObjectStatus::User& user : object.holders)
            tip += QStringLiteral("<br>")
                + tr("held by %1 for %2 s").arg(userName(user).toHtmlEscaped()).arg(user.seconds, 0, 'f', 1);
        for (const ipccore::ObjectStatus::User& user : object.waiters)
            tip += QStringLiteral("<br>")
                + tr("%1 has waited on it for %2 s")
                      .arg(QString::fromStdString(user.worker).toHtmlEscaped())
                      .arg(user.seconds, 0, 'f', 1);
    }
    return tip;
}

QString ObjectView::figureText(std::size_t index) const
{
    if (index >= m_objects.size())
        return {};
    const ipccore::ObjectStatus& object = m_objects[index];
    if (ipccore::traits(object.transport).perProcess)
        return globalFigure(object);
    switch (object.transport) {
    case ipccore::TransportKind::ShmArray:
        return arrayFigure(object);
    case ipccore::TransportKind::Semaphore:
        return semaphoreFigure(object);
    default:
        return queueFace(object).figure;
    }
}

QString ObjectView::bodyText(std::size_t index) const
{
    if (index >= m_objects.size() || !ipccore::traits(m_objects[index].transport).carriesMessages)
        return {};
    const QueueFace face = queueFace(m_objects[index]);
    return face.body == QueueFace::Body::Slots ? QString() : face.text;
}

QString ObjectView::tooltipText(std::size_t index) const
{
    return index < m_objects.size() ? tooltipFor(m_objects[index]) : QString();
}

} // namespace ipcui
