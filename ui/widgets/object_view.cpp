#include "widgets/object_view.h"

#include "widgets/state_colors.h"

#include <QHelpEvent>
#include <QLocale>
#include <QPainter>
#include <QToolTip>

#include <algorithm>

namespace ipcui {

namespace {
constexpr int Margin = 8;
constexpr int SemRowHeight = 66;
constexpr int SemTileWidth = 120;
constexpr int SemTileGap = 8;
constexpr int MaxCells = 64; // above this a bar reads better than cells
constexpr int MaxArrayBoxes = 16; // cells of a shared array drawn as boxes with their values; more are listed

QString transportText(ipccore::TransportKind kind)
{
    return QString::fromUtf8(ipccore::traits(kind).description);
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
    const bool resized = objects.size() != m_objects.size();
    m_objects = objects;
    m_live = live;
    if (resized)
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
    if (m_objects.size() < 2)
        return { 8, 10, 34, 60 };
    return { 5, 6, 28, 26 };
}

int ObjectView::cardHeight(const ipccore::ObjectStatus& object) const
{
    const Metrics m = metrics();
    const int semaphores = hasSemaphoreTiles(object) ? SemRowHeight + m.margin : 0;
    return m.header + m.slotArea + semaphores + 3 * m.margin;
}

QSize ObjectView::sizeHint() const
{
    int height = metrics().margin;
    for (const ipccore::ObjectStatus& object : m_objects)
        height += cardHeight(object) + metrics().gap;
    return { 460, std::max(height, 120) };
}

QSize ObjectView::minimumSizeHint() const
{
    return { 320, 120 };
}

void ObjectView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().color(QPalette::Base));
    painter.setRenderHint(QPainter::Antialiasing);
    if (m_objects.empty()) {
        painter.setPen(Colors::Muted);
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

QRect ObjectView::paintCard(
    QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object, const QString& figure, bool alarm) const
{
    painter.setPen(QPen(alarm ? Colors::Full : QColor(0xcf, 0xd8, 0xdc), alarm ? 3 : 1));
    painter.setBrush(QColor(0xfa, 0xfb, 0xfc));
    painter.drawRoundedRect(card, 6, 6);

    const QRect header(
        card.left() + Margin, card.top() + metrics().margin, card.width() - 2 * Margin, metrics().header);
    const QFont nameFont = bigFont(1.5);
    painter.setFont(nameFont);
    painter.setPen(Colors::Outline);
    const QString name = QString::fromStdString(object.name);
    painter.drawText(header, Qt::AlignLeft | Qt::AlignVCenter, name);
    const int nameWidth = QFontMetrics(nameFont).horizontalAdvance(name);
    painter.setFont(font());
    painter.setPen(Colors::Muted);
    painter.drawText(
        header.adjusted(nameWidth + 10, 0, 0, 0), Qt::AlignLeft | Qt::AlignVCenter, transportText(object.transport));
    painter.setFont(nameFont);
    painter.setPen(alarm ? Colors::Full : Colors::Outline);
    painter.drawText(header, Qt::AlignRight | Qt::AlignVCenter, figure);
    return header;
}

QFont ObjectView::bigFont(double scale) const
{
    QFont big = font();
    big.setPointSizeF(font().pointSizeF() * scale);
    big.setBold(true);
    return big;
}

// The semaphores of an object as tiles in a row under its slots. A zero is red ("wait blocks"), except for an
// array's lock, where 0 only means that someone holds it: that is what a lock is for.
void ObjectView::paintSemaphoreTiles(QPainter& painter, const QRect& row, const ipccore::ObjectStatus& object) const
{
    const QFont roleFont = bigFont(1.0);
    const QFont valueFont = bigFont(2.1);
    const int count = int(object.semaphores.size());
    const int tileWidth = std::min(SemTileWidth + 40, (row.width() - (count - 1) * SemTileGap) / count);
    int x = row.left();
    for (const ipccore::SemaphoreValue& sem : object.semaphores) {
        const QRect tile(x, row.top(), tileWidth, SemRowHeight);
        const bool lock = sem.role == "lock";
        const bool zero = m_live && sem.value == 0;
        const bool red = zero && !lock;
        painter.setPen(QPen(red ? Colors::Full : Colors::Outline, 2));
        painter.setBrush(red ? Colors::Full : QColor(Qt::white));
        painter.drawRoundedRect(tile.adjusted(1, 1, -1, -1), 5, 5);
        const QRect inner = tile.adjusted(10, 4, -10, -4);
        painter.setPen(red ? QColor(Qt::white) : Colors::Muted);
        painter.setFont(roleFont);
        painter.drawText(inner, Qt::AlignLeft | Qt::AlignTop,
            lock ? tr("lock") : tr("sem %1").arg(QString::fromStdString(sem.role)));
        if (m_live && (zero || lock)) {
            painter.setFont(font());
            const QString state = !lock ? tr("wait blocks") : zero ? tr("held") : tr("free");
            painter.drawText(inner, Qt::AlignLeft | Qt::AlignBottom, state);
        }
        painter.setPen(red ? QColor(Qt::white) : Colors::Outline);
        painter.setFont(valueFont);
        painter.drawText(inner, Qt::AlignRight | Qt::AlignVCenter, m_live ? QString::number(sem.value) : "–");
        x += tileWidth + SemTileGap;
    }
}

void ObjectView::paintObject(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const
{
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

// A shared array: its cells' values, big when it is a single counter ("counter[0] = 12105"), then its lock.
void ObjectView::paintArray(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const
{
    const bool live = m_live && !object.cells.empty();
    std::int64_t sum = 0;
    for (const std::int64_t cell : object.cells)
        sum += cell;
    const int n = int(object.capacity);
    QString figure = n == 1 ? tr("1 cell") : tr("%1 cells").arg(n);
    if (live && n > 1)
        figure = tr("sum %1").arg(QLocale().toString(qlonglong(sum)));
    const QRect header = paintCard(painter, card, object, figure, false);
    const QRect area(
        card.left() + Margin, header.bottom() + metrics().margin, card.width() - 2 * Margin, metrics().slotArea);
    const QString name = QString::fromStdString(object.name);
    const auto valueText = [&](int i) {
        return live && i < int(object.cells.size()) ? QLocale().toString(qlonglong(object.cells[std::size_t(i)]))
                                                    : QStringLiteral("–");
    };
    if (n == 1) {
        painter.setFont(bigFont(2.1));
        painter.setPen(live ? Colors::Filled : Colors::Muted);
        painter.drawText(area, Qt::AlignLeft | Qt::AlignVCenter, QStringLiteral("%1[0] = %2").arg(name, valueText(0)));
    } else if (n <= MaxArrayBoxes) {
        // One box per cell, its index above its value.
        const int gap = 4;
        const int boxW = std::clamp((area.width() - (n - 1) * gap) / n, 24, 120);
        for (int i = 0; i < n; ++i) {
            const QRect box(area.left() + i * (boxW + gap), area.top() + 2, boxW, area.height() - 4);
            painter.setPen(QPen(live ? Colors::Outline : Colors::Muted, 2));
            painter.setBrush(Colors::EmptySlot);
            painter.drawRoundedRect(box, 3, 3);
            painter.setFont(font());
            painter.setPen(Colors::Muted);
            painter.drawText(box.adjusted(4, 2, -4, -2), Qt::AlignLeft | Qt::AlignTop, QStringLiteral("[%1]").arg(i));
            painter.setFont(bigFont(1.2));
            painter.setPen(live ? Colors::Filled : Colors::Muted);
            painter.drawText(box.adjusted(4, 2, -4, -2), Qt::AlignRight | Qt::AlignBottom, valueText(i));
        }
    } else {
        QStringList values;
        for (int i = 0; i < std::min<int>(n, MaxArrayBoxes); ++i)
            values << valueText(i);
        painter.setFont(font());
        painter.setPen(live ? Colors::Outline : Colors::Muted);
        painter.drawText(area, Qt::AlignLeft | Qt::AlignVCenter | Qt::TextWordWrap,
            tr("%1[0..%2] = %3, … (hover for all)").arg(name).arg(n - 1).arg(values.join(QStringLiteral(", "))));
    }
    if (hasSemaphoreTiles(object))
        paintSemaphoreTiles(
            painter, QRect(area.left(), area.bottom() + metrics().margin, area.width(), SemRowHeight), object);
}

// A semaphore: "1 of 2 permits free" and one token per permit, filled while free. At 0 it is red: the next
// acquire waits.
void ObjectView::paintSemaphore(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const
{
    const bool live = m_live && !object.semaphores.empty();
    const int value = live ? object.semaphores.front().value : 0;
    const int n = int(object.capacity);
    const bool zero = live && value == 0;
    const QString figure
        = live ? tr("%1 of %2 permits free").arg(value).arg(n) : (n == 1 ? tr("1 permit") : tr("%1 permits").arg(n));
    const QRect header = paintCard(painter, card, object, figure, zero);
    const QRect area(
        card.left() + Margin, header.bottom() + metrics().margin, card.width() - 2 * Margin, metrics().slotArea);
    const QColor fill = Colors::Ok;
    if (n <= MaxCells) {
        const int gap = n > 24 ? 2 : 6;
        const int tokenW = std::clamp((area.width() - (n - 1) * gap) / std::max(n, 1), 4, 72);
        for (int i = 0; i < n; ++i) {
            const QRect token(area.left() + i * (tokenW + gap), area.top() + 3, tokenW, area.height() - 6);
            painter.setPen(QPen(zero ? Colors::Full : live ? Colors::Outline : Colors::Muted, tokenW > 12 ? 2 : 1));
            painter.setBrush(i < value ? fill : Colors::EmptySlot);
            painter.drawRoundedRect(token, 8, 8);
            // Words in the tokens while they fit: a student reads "taken" faster than an empty box.
            if (live && tokenW >= 56) {
                painter.setFont(font());
                painter.setPen(i < value ? QColor(Qt::white) : Colors::Muted);
                painter.drawText(token, Qt::AlignCenter, i < value ? tr("free") : tr("taken"));
            }
        }
    } else {
        const QRect bar(area.left(), area.top() + 8, area.width(), area.height() - 16);
        painter.setPen(QPen(zero ? Colors::Full : Colors::Outline, 2));
        painter.setBrush(Colors::EmptySlot);
        painter.drawRoundedRect(bar, 3, 3);
        painter.setPen(Qt::NoPen);
        painter.setBrush(fill);
        painter.drawRect(
            QRect(bar.left() + 2, bar.top() + 2, int(double(bar.width() - 4) * value / n), bar.height() - 3));
    }
}

void ObjectView::paintQueue(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const
{
    // A shared value always holds exactly one value; "full" would be noise there, losing values is the point.
    const bool isValue = ipccore::traits(object.transport).capacity == ipccore::CapacityUnit::OneValue;
    const bool hasSlots = object.capacity > 0;
    const bool full = m_live && hasSlots && !isValue && object.depth >= std::int64_t(object.capacity);
    const bool empty = m_live && object.depth == 0;

    // Header: name, transport, depth figure and FULL/EMPTY badge.
    QString figure;
    if (!m_live)
        figure = hasSlots ? tr("capacity %1").arg(object.capacity) : tr("not running");
    else if (object.depth < 0)
        figure = tr("depth not visible");
    else if (isValue)
        figure = object.depth > 0 ? tr("holds a value") : tr("no value yet");
    else if (hasSlots)
        figure = tr("%1 / %2").arg(object.depth).arg(object.capacity);
    else
        figure = tr("%1 in flight").arg(object.depth);
    const QRect header = paintCard(painter, card, object, figure, full);
    const int figureWidth = QFontMetrics(bigFont(1.5)).horizontalAdvance(figure);

    if (full || empty) {
        const QString badge = full ? tr("FULL") : tr("EMPTY");
        QFont badgeFont = font();
        badgeFont.setBold(true);
        badgeFont.setPointSizeF(font().pointSizeF() * 1.15);
        const int w = QFontMetrics(badgeFont).horizontalAdvance(badge) + 16;
        const QRect badgeRect(header.right() - figureWidth - 10 - w, header.top() + 3, w, header.height() - 6);
        painter.setPen(Qt::NoPen);
        painter.setBrush(full ? Colors::Full : QColor(0x90, 0xa4, 0xae));
        painter.drawRoundedRect(badgeRect, 4, 4);
        painter.setFont(badgeFont);
        painter.setPen(Qt::white);
        painter.drawText(badgeRect, Qt::AlignCenter, badge);
    }

    // Semaphores get their own row under the slots, so the slots can use the whole width.
    const int slotAreaHeight = metrics().slotArea;
    const QRect slotArea(
        card.left() + Margin, header.bottom() + metrics().margin, card.width() - 2 * Margin, slotAreaHeight);
    if (hasSemaphoreTiles(object))
        paintSemaphoreTiles(painter,
            QRect(slotArea.left(), slotArea.bottom() + metrics().margin, slotArea.width(), SemRowHeight), object);

    // Slots.
    painter.setFont(font());
    if (!hasSlots || isValue) {
        painter.setPen(Colors::Muted);
        QString text;
        if (isValue)
            text = tr("One slot: each write replaces the value, read or not. Watch \"lost\" in the ledger.");
        else
            text = tr("The kernel buffers this stream in bytes; it has no message slots to draw.");
        painter.drawText(slotArea, Qt::AlignLeft | Qt::AlignVCenter | Qt::TextWordWrap, text);
        return;
    }
    const std::int64_t depth = m_live ? std::clamp<std::int64_t>(object.depth, 0, object.capacity) : 0;
    const QColor fill = full ? Colors::Full : Colors::Filled;
    const int n = int(object.capacity);
    if (n <= MaxCells) {
        const int gap = n > 24 ? 2 : 4;
        const int cellW = std::clamp((slotArea.width() - (n - 1) * gap) / n, 4, 72);
        const int cellH = slotAreaHeight - 6;
        const int top = slotArea.top() + (slotAreaHeight - cellH) / 2;
        for (int i = 0; i < n; ++i) {
            const QRect cell(slotArea.left() + i * (cellW + gap), top, cellW, cellH);
            painter.setPen(QPen(m_live ? Colors::Outline : Colors::Muted, cellW > 12 ? 2 : 1));
            painter.setBrush(i < depth ? fill : Colors::EmptySlot);
            painter.drawRoundedRect(cell, 3, 3);
        }
    } else {
        const QRect bar(slotArea.left(), slotArea.top() + 8, slotArea.width(), slotAreaHeight - 16);
        painter.setPen(QPen(Colors::Outline, 2));
        painter.setBrush(Colors::EmptySlot);
        painter.drawRoundedRect(bar, 3, 3);
        const int filled = int(double(bar.width() - 4) * double(depth) / double(n));
        painter.setPen(Qt::NoPen);
        painter.setBrush(fill);
        painter.drawRect(QRect(bar.left() + 2, bar.top() + 2, filled, bar.height() - 3));
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
    const ipccore::ObjectStatus* found = nullptr;
    for (const ipccore::ObjectStatus& candidate : m_objects) {
        if (pos.y() >= top && pos.y() < top + cardHeight(candidate)) {
            found = &candidate;
            break;
        }
        top += cardHeight(candidate) + metrics().gap;
    }
    if (!found)
        return {};
    const ipccore::ObjectStatus& object = *found;
    QString tip = tr("<b>%1</b> (%2)<br>system name: %3")
                      .arg(QString::fromStdString(object.name), transportText(object.transport),
                          QString::fromStdString(object.osName));
    if (!object.cells.empty()) {
        QStringList values;
        for (const std::int64_t cell : object.cells)
            values << QLocale().toString(qlonglong(cell));
        tip += QStringLiteral("<br>") + tr("cells: %1").arg(values.join(QStringLiteral(", ")));
    }
    for (const ipccore::SemaphoreValue& sem : object.semaphores)
        tip += QStringLiteral("<br>") + semaphoreMeaning(sem.role).toHtmlEscaped();
    return tip;
}

} // namespace ipcui
