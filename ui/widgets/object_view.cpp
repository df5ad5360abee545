#include "widgets/object_view.h"

#include "widgets/state_colors.h"

#include <QHelpEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>

namespace ipcui {

namespace {
constexpr int Margin = 8;
constexpr int CardGap = 10;
constexpr int HeaderHeight = 34;
constexpr int SlotAreaHeight = 60;
constexpr int SemRowHeight = 66;
constexpr int SemTileWidth = 120;
constexpr int SemTileGap = 8;
constexpr int MaxCells = 64; // above this a bar reads better than cells

QString transportText(ipccore::TransportKind kind)
{
    return QString::fromUtf8(ipccore::traits(kind).description);
}

QString semaphoreMeaning(const std::string& role)
{
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

int ObjectView::cardHeight(const ipccore::ObjectStatus& object) const
{
    const int semaphores = object.semaphores.empty() ? 0 : SemRowHeight + Margin;
    return HeaderHeight + SlotAreaHeight + semaphores + 3 * Margin;
}

QSize ObjectView::sizeHint() const
{
    int height = Margin;
    for (const ipccore::ObjectStatus& object : m_objects)
        height += cardHeight(object) + CardGap;
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
    int y = Margin;
    for (const ipccore::ObjectStatus& object : m_objects) {
        const QRect card(Margin, y, width() - 2 * Margin, cardHeight(object));
        paintObject(painter, card, object);
        y += cardHeight(object) + CardGap;
    }
}

void ObjectView::paintObject(QPainter& painter, const QRect& card, const ipccore::ObjectStatus& object) const
{
    // A shared value always holds exactly one value; "full" would be noise there, losing values is the point.
    const bool isValue = ipccore::traits(object.transport).capacity == ipccore::CapacityUnit::OneValue;
    const bool hasSlots = object.capacity > 0;
    const bool full = m_live && hasSlots && !isValue && object.depth >= std::int64_t(object.capacity);
    const bool empty = m_live && object.depth == 0;

    painter.setPen(QPen(full ? Colors::Full : QColor(0xcf, 0xd8, 0xdc), full ? 3 : 1));
    painter.setBrush(QColor(0xfa, 0xfb, 0xfc));
    painter.drawRoundedRect(card, 6, 6);

    // Header: name, transport, depth figure and FULL/EMPTY badge.
    const QRect header(card.left() + Margin, card.top() + Margin, card.width() - 2 * Margin, HeaderHeight);
    QFont nameFont = font();
    nameFont.setPointSizeF(font().pointSizeF() * 1.5);
    nameFont.setBold(true);
    painter.setFont(nameFont);
    painter.setPen(Colors::Outline);
    const QString name = QString::fromStdString(object.name);
    painter.drawText(header, Qt::AlignLeft | Qt::AlignVCenter, name);
    const int nameWidth = QFontMetrics(nameFont).horizontalAdvance(name);

    QFont smallFont = font();
    painter.setFont(smallFont);
    painter.setPen(Colors::Muted);
    painter.drawText(
        header.adjusted(nameWidth + 10, 0, 0, 0), Qt::AlignLeft | Qt::AlignVCenter, transportText(object.transport));

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
    QFont figureFont = nameFont;
    painter.setFont(figureFont);
    const int figureWidth = QFontMetrics(figureFont).horizontalAdvance(figure);
    painter.setPen(full ? Colors::Full : Colors::Outline);
    painter.drawText(header, Qt::AlignRight | Qt::AlignVCenter, figure);

    if (full || empty) {
        const QString badge = full ? tr("FULL") : tr("EMPTY");
        QFont badgeFont = font();
        badgeFont.setBold(true);
        badgeFont.setPointSizeF(font().pointSizeF() * 1.15);
        const int w = QFontMetrics(badgeFont).horizontalAdvance(badge) + 16;
        const QRect badgeRect(header.right() - figureWidth - 10 - w, header.top() + 3, w, HeaderHeight - 6);
        painter.setPen(Qt::NoPen);
        painter.setBrush(full ? Colors::Full : QColor(0x90, 0xa4, 0xae));
        painter.drawRoundedRect(badgeRect, 4, 4);
        painter.setFont(badgeFont);
        painter.setPen(Qt::white);
        painter.drawText(badgeRect, Qt::AlignCenter, badge);
    }

    // Semaphores get their own row under the slots, so the slots can use the whole width.
    const QRect slotArea(card.left() + Margin, header.bottom() + Margin, card.width() - 2 * Margin, SlotAreaHeight);
    int x = slotArea.left();
    const int semTop = slotArea.bottom() + Margin;
    QFont semRoleFont = font();
    semRoleFont.setBold(true);
    QFont semValueFont = font();
    semValueFont.setPointSizeF(font().pointSizeF() * 2.1);
    semValueFont.setBold(true);
    const int semCount = int(object.semaphores.size());
    const int tileWidth = semCount > 0
        ? std::min(SemTileWidth + 40, (slotArea.width() - (semCount - 1) * SemTileGap) / semCount)
        : SemTileWidth;
    for (const ipccore::SemaphoreValue& sem : object.semaphores) {
        const QRect tile(x, semTop, tileWidth, SemRowHeight);
        const bool zero = m_live && sem.value == 0;
        painter.setPen(QPen(zero ? Colors::Full : Colors::Outline, 2));
        painter.setBrush(zero ? Colors::Full : QColor(Qt::white));
        painter.drawRoundedRect(tile.adjusted(1, 1, -1, -1), 5, 5);
        const QRect inner = tile.adjusted(10, 4, -10, -4);
        painter.setPen(zero ? QColor(Qt::white) : Colors::Muted);
        painter.setFont(semRoleFont);
        painter.drawText(inner, Qt::AlignLeft | Qt::AlignTop, tr("sem %1").arg(QString::fromStdString(sem.role)));
        if (zero) {
            painter.setFont(font());
            painter.drawText(inner, Qt::AlignLeft | Qt::AlignBottom, tr("wait blocks"));
        }
        painter.setPen(zero ? QColor(Qt::white) : Colors::Outline);
        painter.setFont(semValueFont);
        painter.drawText(inner, Qt::AlignRight | Qt::AlignVCenter, m_live ? QString::number(sem.value) : "–");
        x += tileWidth + SemTileGap;
    }

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
        const int cellH = SlotAreaHeight - 6;
        const int top = slotArea.top() + (SlotAreaHeight - cellH) / 2;
        for (int i = 0; i < n; ++i) {
            const QRect cell(slotArea.left() + i * (cellW + gap), top, cellW, cellH);
            painter.setPen(QPen(m_live ? Colors::Outline : Colors::Muted, cellW > 12 ? 2 : 1));
            painter.setBrush(i < depth ? fill : Colors::EmptySlot);
            painter.drawRoundedRect(cell, 3, 3);
        }
    } else {
        const QRect bar(slotArea.left(), slotArea.top() + 8, slotArea.width(), SlotAreaHeight - 16);
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
    int top = Margin;
    const ipccore::ObjectStatus* found = nullptr;
    for (const ipccore::ObjectStatus& candidate : m_objects) {
        if (pos.y() >= top && pos.y() < top + cardHeight(candidate)) {
            found = &candidate;
            break;
        }
        top += cardHeight(candidate) + CardGap;
    }
    if (!found)
        return {};
    const ipccore::ObjectStatus& object = *found;
    QString tip = tr("<b>%1</b> (%2)<br>system name: %3")
                      .arg(QString::fromStdString(object.name), transportText(object.transport),
                          QString::fromStdString(object.osName));
    for (const ipccore::SemaphoreValue& sem : object.semaphores)
        tip += QStringLiteral("<br>") + semaphoreMeaning(sem.role).toHtmlEscaped();
    return tip;
}

} // namespace ipcui
