#include "widgets/wait_for_view.h"

#include "widgets/state_colors.h"

#include <QHelpEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace ipcui {

namespace {
constexpr int Margin = 12;
constexpr int NodeHeight = 30;
constexpr int NodeGap = 10;
constexpr int LegendHeight = 26;
constexpr qsizetype MaxTooltipEdges = 20;
} // namespace

WaitForView::WaitForView(QWidget* parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setObjectName(QStringLiteral("waitForView"));
}

void WaitForView::clear()
{
    m_processes.clear();
    m_objects.clear();
    m_objectInvolved.clear();
    m_edges.clear();
    setToolTip({});
    m_hintRows = 0;
    updateGeometry();
    update();
}

void WaitForView::setSnapshot(const ipccore::Snapshot& snapshot)
{
    m_processes.clear();
    m_edges.clear();
    std::fill(m_objectInvolved.begin(), m_objectInvolved.end(), false);
    auto inCycle = [&](const std::string& name) {
        const auto& m = snapshot.deadlock.members;
        return snapshot.deadlock.kind == ipccore::WaitForVerdict::Kind::Deadlock
            && std::find(m.begin(), m.end(), name) != m.end();
    };
    for (const ipccore::WorkerStatus& w : snapshot.workers)
        m_processes.push_back({ QString::fromStdString(w.name), w.alive, inCycle(w.name) });
    auto processIndex = [&](const std::string& name) {
        for (std::size_t i = 0; i < snapshot.workers.size(); ++i)
            if (snapshot.workers[i].name == name)
                return int(i);
        return -1;
    };
    // Only the objects someone holds or waits on, now or earlier in the run: the rest have nothing to say here.
    for (const ipccore::ObjectStatus& o : snapshot.objects) {
        if (o.holders.empty() && o.waiters.empty())
            continue;
        const QString name = QString::fromStdString(o.name);
        const auto known
            = std::find_if(m_objects.begin(), m_objects.end(), [&name](const Node& node) { return node.name == name; });
        const int object = int(known - m_objects.begin());
        if (known == m_objects.end()) {
            m_objects.push_back({ name, true, false });
            m_objectInvolved.push_back(true);
        }
        m_objectInvolved[std::size_t(object)] = true;
        for (const ipccore::ObjectStatus::User& u : o.waiters)
            if (const int p = processIndex(u.worker); p >= 0)
                m_edges.push_back({ p, object, Edge::Kind::Waits, false, u.seconds });
        for (const ipccore::ObjectStatus::User& u : o.holders)
            if (const int p = processIndex(u.worker); p >= 0)
                m_edges.push_back({ p, object, Edge::Kind::HeldBy, !u.alive, u.seconds });
        // Who else could end a wait on it: the processes that post to it without holding it (the consumer that
        // releases `empty`). Without these a cycle through a signal would not close in the picture.
        if (o.waiters.empty())
            continue;
        static const std::vector<std::string> noPosts;
        for (std::size_t p = 0; p < snapshot.workers.size(); ++p) {
            const ipccore::WorkerStatus& w = snapshot.workers[p];
            const bool waiter = std::any_of(o.waiters.begin(), o.waiters.end(),
                [&](const ipccore::ObjectStatus::User& u) { return u.worker == w.name; });
            const std::vector<std::string>& posts = w.lane ? w.lane->postsWithoutHolding : noPosts;
            if (!waiter && std::find(posts.begin(), posts.end(), o.name) != posts.end())
                m_edges.push_back({ int(p), object, Edge::Kind::CanPost, !w.alive, 0 });
        }
    }
    // The tooltip lists the edges, at most a screen's worth: with 64 processes it covered the window.
    QStringList edges = edgeTexts();
    if (edges.size() > MaxTooltipEdges) {
        const qsizetype more = edges.size() - MaxTooltipEdges;
        edges.resize(MaxTooltipEdges);
        edges << tr("… and %n more (the graph draws them all)", nullptr, int(more));
    }
    setToolTip(edges.join(QLatin1Char('\n')));
    if (const int rows = hintRows(); rows != m_hintRows) { // a new size only when the rows asked for change
        m_hintRows = rows;
        updateGeometry();
    }
    update();
}

QStringList WaitForView::edgeTexts() const
{
    QStringList texts;
    for (const Edge& e : m_edges) {
        const QString process = m_processes[std::size_t(e.process)].name;
        const QString object = m_objects[std::size_t(e.object)].name;
        const QString dead = e.deadHolder ? tr(", dead") : QString();
        switch (e.kind) {
        case Edge::Kind::Waits:
            texts << tr("%1 waits on %2 (%3 s)").arg(process, object).arg(e.seconds, 0, 'f', 1);
            break;
        case Edge::Kind::HeldBy:
            texts << tr("%1 is held by %2%3 (%4 s)").arg(object, process, dead).arg(e.seconds, 0, 'f', 1);
            break;
        case Edge::Kind::CanPost:
            texts << tr("%1 can be released by %2%3").arg(object, process, dead);
            break;
        }
    }
    return texts;
}

QStringList WaitForView::objectNames() const
{
    QStringList names;
    for (const Node& n : m_objects)
        names << n.name;
    return names;
}

int WaitForView::hintRows() const
{
    // Nobody waits or holds: the view draws no boxes (it says so at the top), so it asks for no rows.
    return m_edges.empty() ? 0 : int(std::max(m_processes.size(), m_objects.size()));
}

int WaitForView::rowStep() const
{
    return fontMetrics().height() + 10;
}

int WaitForView::rowsTop() const
{
    return Margin + LegendHeight + 6;
}

WaitForView::Layout WaitForView::boxes() const
{
    Layout l;
    l.top = rowsTop();
    const int rows = int(std::max(m_processes.size(), m_objects.size()));
    l.step = std::max(rowStep(), std::min(NodeHeight + NodeGap, (height() - l.top - Margin) / std::max(rows, 1)));
    l.nodeH = std::min(NodeHeight, l.step - 4);
    l.nodeW = std::min(200, (width() - 3 * Margin) / 3);
    // The objects close enough to the processes for the arrows to read as pairs, even in a wide window.
    l.leftX = Margin;
    l.rightX = std::min(width() - Margin - l.nodeW, l.leftX + l.nodeW + 360);
    return l;
}

QStringList WaitForView::edgeTextsAt(QPoint at) const
{
    const Layout l = boxes();
    if (m_edges.empty() || at.y() < l.top || l.step <= 0)
        return {};
    const int row = (at.y() - l.top) / l.step;
    if ((at.y() - l.top) % l.step >= l.nodeH)
        return {};
    const bool onProcess = at.x() >= l.leftX && at.x() < l.leftX + l.nodeW && row < int(m_processes.size());
    const bool onObject = at.x() >= l.rightX && at.x() < l.rightX + l.nodeW && row < int(m_objects.size());
    if (!onProcess && !onObject)
        return {};
    QStringList lines;
    const QStringList all = edgeTexts();
    for (std::size_t i = 0; i < m_edges.size(); ++i) {
        const Edge& e = m_edges[i];
        if ((onProcess && e.process == row) || (onObject && e.object == row))
            lines << all[qsizetype(i)];
    }
    if (lines.isEmpty())
        lines << tr("%1: waits on nothing and holds nothing now")
                     .arg(onProcess ? m_processes[std::size_t(row)].name : m_objects[std::size_t(row)].name);
    return lines;
}

bool WaitForView::event(QEvent* event)
{
    // Pointing at a box: that process's or object's edges alone (at 64 processes the whole list told nothing about
    // the one pointed at); elsewhere the whole list, as the tooltip holds it.
    if (event->type() == QEvent::ToolTip) {
        const auto* help = static_cast<QHelpEvent*>(event);
        if (const QStringList lines = edgeTextsAt(help->pos()); !lines.isEmpty()) {
            QToolTip::showText(help->globalPos(), lines.join(QLatin1Char('\n')), this);
            return true;
        }
    }
    return QWidget::event(event);
}

QSize WaitForView::sizeHint() const
{
    return { 480, rowsTop() + Margin + hintRows() * (NodeHeight + NodeGap) };
}

QSize WaitForView::minimumSizeHint() const
{
    // Boxes shrink to a line of text, no further: below that a scroll bar appears.
    return { 320, std::max(120, rowsTop() + Margin + hintRows() * rowStep()) };
}

void WaitForView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().color(QPalette::Base));
    painter.setRenderHint(QPainter::Antialiasing);
    const QFontMetrics fm = painter.fontMetrics();

    // The legend: what the two kinds of arrow mean.
    const int legendY = Margin + LegendHeight / 2;
    painter.setPen(QPen(Colors::full(), 2));
    painter.drawLine(Margin, legendY, Margin + 30, legendY);
    painter.drawText(QRect(Margin + 36, Margin, 200, LegendHeight), Qt::AlignVCenter, tr("waits on"));
    const int second = Margin + 36 + fm.horizontalAdvance(tr("waits on")) + 30;
    painter.setPen(QPen(Colors::outline(), 2));
    painter.drawLine(second, legendY, second + 30, legendY);
    const QString heldText = tr("held by");
    painter.drawText(QRect(second + 36, Margin, 200, LegendHeight), Qt::AlignVCenter, heldText);
    const int third = second + 36 + fm.horizontalAdvance(heldText) + 30;
    painter.setPen(QPen(Colors::muted(), 2, Qt::DashLine));
    painter.drawLine(third, legendY, third + 30, legendY);
    const QString postText = tr("can be released by (it posts without holding)");
    painter.drawText(QRect(third + 36, Margin, 400, LegendHeight), Qt::AlignVCenter, postText);
    const int fourth = third + 36 + fm.horizontalAdvance(postText) + 30;
    painter.setPen(QPen(Colors::full(), 3));
    painter.setBrush(Qt::NoBrush);
    painter.drawRoundedRect(QRect(fourth, Margin + 5, 30, LegendHeight - 10), 5, 5);
    painter.setPen(Colors::outline());
    painter.drawText(QRect(fourth + 36, Margin, 200, LegendHeight), Qt::AlignVCenter, tr("in the deadlock"));

    if (m_edges.empty()) {
        painter.setPen(Colors::muted());
        // At the top, where it is seen, however tall the view (a scroll area's content) has grown.
        painter.drawText(QRect(0, rowsTop() + LegendHeight, width(), 3 * LegendHeight), Qt::AlignCenter,
            m_processes.empty() ? tr("Start a run to see who waits for whom.")
                                : tr("Nobody is blocked on an object or holds a lock now."));
        return;
    }

    // Two columns, each as tall as the space allows (nodes shrink to fit before they overlap).
    const Layout l = boxes();
    const int top = l.top, step = l.step, nodeH = l.nodeH, nodeW = l.nodeW, leftX = l.leftX, rightX = l.rightX;
    auto processRect = [&](int i) { return QRect(leftX, top + i * step, nodeW, nodeH); };
    auto objectRect = [&](int i) { return QRect(rightX, top + i * step, nodeW, nodeH); };

    auto arrow = [&](QPointF from, QPointF to, const QColor& color, Qt::PenStyle style) {
        painter.setPen(QPen(color, 2, style));
        QPainterPath path(from);
        const double dx = (to.x() - from.x()) / 2;
        path.cubicTo(from + QPointF(dx, 0), to - QPointF(dx, 0), to);
        painter.setBrush(Qt::NoBrush);
        painter.drawPath(path);
        const double angle = std::atan2(0.0, to.x() - from.x());
        const QPointF a = to - QPointF(std::cos(angle - 0.45) * 10, std::sin(angle - 0.45) * 10);
        const QPointF b = to - QPointF(std::cos(angle + 0.45) * 10, std::sin(angle + 0.45) * 10);
        painter.setPen(QPen(color, 2));
        painter.setBrush(color);
        painter.drawPolygon(QPolygonF({ to, a, b }));
    };
    // Waits go from a process's right edge to the object's left edge, holds come back slightly lower.
    for (const Edge& e : m_edges) {
        const QRect p = processRect(e.process), o = objectRect(e.object);
        if (e.kind == Edge::Kind::Waits)
            arrow(QPointF(p.right(), p.center().y() - nodeH / 5.0), QPointF(o.left(), o.center().y() - nodeH / 5.0),
                Colors::full(), Qt::SolidLine);
        else if (e.kind == Edge::Kind::HeldBy)
            arrow(QPointF(o.left(), o.center().y() + nodeH / 5.0), QPointF(p.right(), p.center().y() + nodeH / 5.0),
                e.deadHolder ? Colors::muted() : Colors::outline(), e.deadHolder ? Qt::DashLine : Qt::SolidLine);
        else
            arrow(QPointF(o.left(), o.center().y() + nodeH / 5.0), QPointF(p.right(), p.center().y() + nodeH / 5.0),
                Colors::muted(), Qt::DashLine);
    }
    auto drawNode = [&](const QRect& r, const Node& n, bool object, bool involved) {
        painter.setPen(QPen(n.inCycle ? Colors::full()
                : involved            ? Colors::outline()
                                      : Colors::muted(),
            n.inCycle ? 3 : 1, involved ? Qt::SolidLine : Qt::DotLine));
        painter.setBrush(object ? Colors::card() : Colors::emptySlot());
        painter.drawRoundedRect(r, object ? 2 : 8, object ? 2 : 8);
        painter.setPen(n.alive && involved ? Colors::outline() : Colors::muted());
        const QString text = n.alive ? n.name : tr("%1 (dead)").arg(n.name);
        painter.drawText(r.adjusted(6, 0, -6, 0), Qt::AlignCenter, fm.elidedText(text, Qt::ElideRight, r.width() - 12));
    };
    for (std::size_t i = 0; i < m_processes.size(); ++i)
        drawNode(processRect(int(i)), m_processes[i], false, true);
    for (std::size_t i = 0; i < m_objects.size(); ++i)
        drawNode(objectRect(int(i)), m_objects[i], true, m_objectInvolved[i]);
}

} // namespace ipcui
