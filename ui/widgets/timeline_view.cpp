#include "widgets/timeline_view.h"

#include "model/process_table_model.h"
#include "widgets/state_colors.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHelpEvent>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QPushButton>
#include <QScrollArea>
#include <QToolTip>
#include <QVBoxLayout>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ipcui {

namespace {

constexpr int AxisHeight = 26;
constexpr int HeaderHeight = 22;
constexpr int MinRowHeight = 24;
constexpr int MaxRowHeight = 40; // rows grow into the room there is, for a projector
constexpr int RightMargin = 12;
constexpr std::uint64_t MinSpanNs = 1'000'000; // 1 ms across the view at most zoomed in
constexpr std::uint64_t MaxSpanNs = ipccore::Timeline::DefaultWindowNs; // what is kept

// Which state wins a pixel several spans share: a wait shorter than a pixel still shows.
int weight(ipccore::WorkerState state)
{
    using S = ipccore::WorkerState;
    switch (state) {
    case S::Dead:
        return 6;
    case S::BlockedFull:
    case S::BlockedEmpty:
    case S::WaitingLock:
        return 5;
    case S::Paused:
        return 4;
    case S::Running:
        return 2;
    default:
        return 1;
    }
}

QString durationText(std::uint64_t ns)
{
    if (ns >= 10'000'000'000)
        return QStringLiteral("%1 s").arg(double(ns) / 1e9, 0, 'f', 1);
    if (ns >= 1'000'000'000)
        return QStringLiteral("%1 s").arg(double(ns) / 1e9, 0, 'f', 3);
    if (ns >= 1'000'000)
        return QStringLiteral("%1 ms").arg(double(ns) / 1e6, 0, 'f', 2);
    return QStringLiteral("%1 µs").arg(double(ns) / 1e3, 0, 'f', 1);
}

} // namespace

TimelineCanvas::TimelineCanvas(QWidget* parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("timelineCanvas"));
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void TimelineCanvas::setTimeline(const ipccore::Timeline* timeline)
{
    m_timeline = timeline;
    m_selected = -1;
    timelineChanged();
}

void TimelineCanvas::timelineChanged()
{
    const std::size_t before = m_rows.size();
    layoutRows();
    if (m_rows.size() != before) {
        fitRows();
        updateGeometry();
    }
    if (isVisible())
        update();
}

void TimelineCanvas::layoutRows()
{
    m_rows.clear();
    if (!m_timeline)
        return;
    const QFontMetrics fm(font());
    int top = AxisHeight;
    int widest = fm.horizontalAdvance(tr("Processes"));
    m_rows.push_back({ Row::Kind::Header, 0, top, tr("Processes") });
    top += HeaderHeight;
    for (std::size_t i = 0; i < m_timeline->lanes().size(); ++i) {
        const ipccore::Timeline::Lane& lane = m_timeline->lanes()[i];
        QString label = QString::fromStdString(lane.name);
        if (!lane.alive && lane.current && lane.current->state == ipccore::WorkerState::Dead)
            label += tr(" (dead)");
        widest = std::max(widest, fm.horizontalAdvance(label));
        m_rows.push_back({ Row::Kind::Worker, i, top, label });
        top += m_rowHeight;
    }
    if (!m_timeline->lockLanes().empty()) {
        m_rows.push_back({ Row::Kind::Header, 0, top, tr("Locks: who holds them") });
        widest = std::max(widest, fm.horizontalAdvance(tr("Locks: who holds them")));
        top += HeaderHeight;
        for (std::size_t i = 0; i < m_timeline->lockLanes().size(); ++i) {
            const QString label = QString::fromStdString(m_timeline->lockLanes()[i].object);
            widest = std::max(widest, fm.horizontalAdvance(label));
            m_rows.push_back({ Row::Kind::Lock, i, top, label });
            top += m_rowHeight;
        }
    }
    m_labelWidth = std::clamp(widest + 34, 110, 280);
    const int lanes = int(m_timeline->lanes().size() + m_timeline->lockLanes().size());
    setMinimumHeight(top - (m_rowHeight - MinRowHeight) * lanes + 4);
}

void TimelineCanvas::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    fitRows();
}

void TimelineCanvas::fitRows()
{
    if (!m_timeline)
        return;
    const int lanes = int(m_timeline->lanes().size() + m_timeline->lockLanes().size());
    const int headers = m_timeline->lockLanes().empty() ? 1 : 2;
    const int room = lanes > 0 ? (height() - AxisHeight - headers * HeaderHeight - 4) / lanes : MinRowHeight;
    const int rowHeight = std::clamp(room, MinRowHeight, MaxRowHeight);
    if (rowHeight != m_rowHeight) {
        m_rowHeight = rowHeight;
        layoutRows();
    }
}

QSize TimelineCanvas::sizeHint() const
{
    return { 900, std::max(minimumHeight(), 200) };
}

QSize TimelineCanvas::minimumSizeHint() const
{
    return { 400, std::max(minimumHeight(), 120) };
}

void TimelineCanvas::setFollowing(bool on)
{
    if (on == m_following)
        return;
    if (!on)
        m_endNs = viewEndNs();
    m_following = on;
    emit followingChanged(on);
    update();
}

void TimelineCanvas::zoomBy(double factor)
{
    const double span = std::clamp(double(m_spanNs) * factor, double(MinSpanNs), double(MaxSpanNs));
    m_spanNs = std::uint64_t(span);
    emit zoomChanged(visibleSeconds());
    update();
}

void TimelineCanvas::selectLane(int lane)
{
    m_selected = lane;
    update();
}

std::uint64_t TimelineCanvas::viewEndNs() const
{
    if (!m_timeline)
        return 0;
    if (m_following)
        return std::max(m_timeline->nowNs(), m_timeline->startNs() + m_spanNs);
    return m_endNs;
}

std::uint64_t TimelineCanvas::viewStartNs() const
{
    const std::uint64_t end = viewEndNs();
    return end > m_spanNs ? end - m_spanNs : 0;
}

double TimelineCanvas::xOf(std::uint64_t ns) const
{
    const double width = std::max(1, this->width() - m_labelWidth - RightMargin);
    return m_labelWidth + (double(ns) - double(viewStartNs())) * width / double(m_spanNs);
}

std::uint64_t TimelineCanvas::nsAt(double x) const
{
    const double width = std::max(1, this->width() - m_labelWidth - RightMargin);
    const double ns = double(viewStartNs()) + (x - m_labelWidth) * double(m_spanNs) / width;
    return ns < 0 ? 0 : std::uint64_t(ns);
}

QString TimelineCanvas::timeText(std::uint64_t ns) const
{
    const std::uint64_t start = m_timeline ? m_timeline->startNs() : 0;
    const double s = ns > start ? double(ns - start) / 1e9 : 0;
    return QStringLiteral("%1 s").arg(s, 0, 'f', 3);
}

const TimelineCanvas::Row* TimelineCanvas::rowAt(int y) const
{
    for (const Row& row : m_rows) {
        const int height = row.kind == Row::Kind::Header ? HeaderHeight : m_rowHeight;
        if (y >= row.top && y < row.top + height)
            return &row;
    }
    return nullptr;
}

int TimelineCanvas::rowCentre(const Row& row) const
{
    return row.top + m_rowHeight / 2;
}

TimelineCanvas::Hit TimelineCanvas::hitAt(QPoint pos) const
{
    Hit hit;
    if (!m_timeline || pos.x() < m_labelWidth)
        return hit;
    hit.row = rowAt(pos.y());
    if (!hit.row || hit.row->kind == Row::Kind::Header)
        return hit;
    // What lies under the pointer, give or take two pixels (a short wait is narrower than a pixel).
    const std::uint64_t at = nsAt(pos.x());
    const std::uint64_t slack = nsAt(pos.x() + 2) - at;
    const std::uint64_t from = at > slack ? at - slack : 0, to = at + slack;
    if (hit.row->kind == Row::Kind::Worker) {
        const ipccore::Timeline::Lane& lane = m_timeline->lanes()[hit.row->index];
        std::optional<ipccore::TimelineSpan> best;
        auto consider = [&](const ipccore::TimelineSpan& s) {
            if (s.fromNs > to || s.toNs < from)
                return;
            const bool covers = s.fromNs <= at && at <= s.toNs;
            // A wait nearby beats what covers the point: it is what the eye looks for.
            if (!best || weight(s.state) > weight(best->state) || (covers && weight(s.state) == weight(best->state)))
                best = s;
        };
        for (std::size_t i = ipccore::Timeline::firstEndingAfter(lane, from); i < lane.spans.size(); ++i) {
            if (lane.spans[i].fromNs > to)
                break;
            consider(lane.spans[i]);
        }
        if (lane.current)
            consider(*lane.current);
        hit.span = best;
    } else {
        const ipccore::Timeline::LockLane& lock = m_timeline->lockLanes()[hit.row->index];
        for (const ipccore::HoldSpan& h : lock.current) {
            if (h.fromNs <= at && at <= h.toNs)
                hit.hold = h;
        }
        for (std::size_t i = ipccore::Timeline::firstEndingAfter(lock, from); !hit.hold && i < lock.spans.size(); ++i) {
            const ipccore::HoldSpan& h = lock.spans[i];
            if (h.fromNs <= to && h.toNs >= from)
                hit.hold = h;
            if (h.toNs > to + lock.longestNs)
                break;
        }
    }
    return hit;
}

QString TimelineCanvas::hitText(const Hit& hit) const
{
    if (!hit.row)
        return {};
    if (hit.span) {
        const ipccore::Timeline::Lane& lane = m_timeline->lanes()[hit.row->index];
        const ipccore::TimelineSpan& s = *hit.span;
        QStringList lines;
        lines << QStringLiteral("<b>%1</b>: %2")
                     .arg(QString::fromStdString(lane.name).toHtmlEscaped(),
                         QString::fromStdString(ipccore::Timeline::spanText(lane, s)).toHtmlEscaped());
        if (lane.info && s.step < lane.info->steps.size())
            lines << tr("step %1 of %2: %3")
                         .arg(s.step + 1)
                         .arg(lane.info->steps.size())
                         .arg(QString::fromStdString(lane.info->steps[s.step]).toHtmlEscaped());
        const bool ongoing = lane.current && lane.current->fromNs == s.fromNs;
        lines << tr("from %1 to %2%3: %4")
                     .arg(timeText(s.fromNs), timeText(s.toNs), ongoing ? tr(" (now)") : QString(),
                         durationText(s.toNs - s.fromNs));
        if (ipccore::isBlocked(s.state) && !ongoing) {
            if (const auto waker = m_timeline->wakerOf(hit.row->index, s)) {
                const ipccore::Timeline::Lane& by = m_timeline->lanes()[waker->lane];
                const QString step = by.info && waker->step < by.info->steps.size()
                    ? QString::fromStdString(by.info->steps[waker->step])
                    : QString();
                lines << tr("released by <b>%1</b> (its step \"%2\" began at %3)")
                             .arg(QString::fromStdString(by.name).toHtmlEscaped(), step.toHtmlEscaped(),
                                 timeText(waker->ns));
            } else {
                lines << tr("who released it: not in the events (only programs' steps are recorded)");
            }
        }
        return lines.join(QStringLiteral("<br>"));
    }
    if (hit.hold) {
        const ipccore::HoldSpan& h = *hit.hold;
        const ipccore::Timeline::Lane& holder = m_timeline->lanes()[h.lane];
        const bool dead = !holder.alive && h.toNs >= m_timeline->nowNs();
        return tr("<b>%1</b> held by <b>%2</b>%3<br>from %4 to %5: %6")
            .arg(QString::fromStdString(m_timeline->lockLanes()[hit.row->index].object).toHtmlEscaped(),
                QString::fromStdString(holder.name).toHtmlEscaped(),
                dead ? tr(" (dead: it was killed holding it, and holds it for ever)") : QString(), timeText(h.fromNs),
                timeText(h.toNs), durationText(h.toNs - h.fromNs));
    }
    return {};
}

QPoint TimelineCanvas::pointOf(std::size_t lane, std::uint64_t ns) const
{
    for (const Row& row : m_rows) {
        if (row.kind == Row::Kind::Worker && row.index == lane)
            return { int(std::lround(xOf(ns))), rowCentre(row) };
    }
    return { -1, -1 };
}

QString TimelineCanvas::textAt(QPoint pos) const
{
    return hitText(hitAt(pos));
}

void TimelineCanvas::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    if (!m_timeline || m_timeline->lanes().empty()) {
        p.setPen(Colors::Muted);
        p.drawText(rect(), Qt::AlignCenter,
            tr("Start a run: each process's states appear here as they happen, from its own exact events."));
        return;
    }
    const std::uint64_t from = viewStartNs(), to = viewEndNs();
    paintAxis(p, from, to);
    for (const Row& row : m_rows) {
        if (row.kind == Row::Kind::Header) {
            QFont bold = font();
            bold.setBold(true);
            p.setFont(bold);
            p.setPen(palette().text().color());
            p.drawText(QRect(6, row.top, width() - 12, HeaderHeight), Qt::AlignVCenter | Qt::AlignLeft, row.label);
            p.setFont(font());
            continue;
        }
        const bool selected = row.kind == Row::Kind::Worker && int(row.index) == m_selected;
        if (selected)
            p.fillRect(QRect(0, row.top, width(), m_rowHeight), palette().highlight().color().lighter(170));
        const bool dead = row.kind == Row::Kind::Worker && !m_timeline->lanes()[row.index].alive;
        p.setPen(dead ? Colors::Full : palette().text().color());
        QFont labelFont = font();
        labelFont.setBold(selected);
        p.setFont(labelFont);
        int textLeft = 12;
        if (row.kind == Row::Kind::Worker) {
            // The process's own colour, which its holds in the lock lanes carry.
            p.fillRect(QRect(10, row.top + m_rowHeight / 2 - 5, 10, 10), seriesColor(int(row.index)));
            textLeft = 26;
        }
        p.drawText(QRect(textLeft, row.top, m_labelWidth - textLeft - 4, m_rowHeight), Qt::AlignVCenter | Qt::AlignLeft,
            fontMetrics().elidedText(row.label, Qt::ElideRight, m_labelWidth - textLeft - 4));
        p.setFont(font());
        p.save();
        p.setClipRect(QRect(m_labelWidth, row.top, width() - m_labelWidth - RightMargin + 1, m_rowHeight));
        if (row.kind == Row::Kind::Worker)
            paintWorker(p, row, from, to);
        else
            paintLock(p, row, from, to);
        p.restore();
        p.setPen(palette().mid().color());
        p.drawLine(m_labelWidth, row.top + m_rowHeight - 1, width() - RightMargin, row.top + m_rowHeight - 1);
    }
    paintWaker(p);
}

void TimelineCanvas::paintAxis(QPainter& p, std::uint64_t from, std::uint64_t to)
{
    const double width = std::max(1, this->width() - m_labelWidth - RightMargin);
    // Ticks 1, 2 or 5 times a power of ten apart, at least 90 pixels.
    const double minStep = double(to - from) * 90.0 / width;
    double step = std::pow(10.0, std::floor(std::log10(std::max(minStep, 1.0))));
    for (const double k : { 1.0, 2.0, 5.0, 10.0 }) {
        if (step * k >= minStep) {
            step *= k;
            break;
        }
    }
    const int decimals = std::clamp(int(std::ceil(-std::log10(step / 1e9) - 1e-9)), 0, 6);
    const std::uint64_t start = m_timeline->startNs();
    const double firstRel = std::ceil((double(from) - double(start)) / step) * step;
    p.setPen(palette().text().color());
    p.drawText(QRect(6, 0, m_labelWidth - 8, AxisHeight), Qt::AlignVCenter | Qt::AlignLeft, tr("time since start"));
    const int bottom = m_rows.empty() ? height() : m_rows.back().top + m_rowHeight;
    for (double rel = std::max(0.0, firstRel); rel <= double(to) - double(start); rel += step) {
        const double x = xOf(start + std::uint64_t(rel));
        p.setPen(palette().mid().color());
        p.drawLine(QPointF(x, AxisHeight - 4), QPointF(x, bottom));
        p.setPen(palette().text().color());
        const QString label = QStringLiteral("%1 s").arg(rel / 1e9, 0, 'f', decimals);
        p.drawText(QRectF(x - 50, 0, 100, AxisHeight - 4), Qt::AlignCenter, label);
    }
}

void TimelineCanvas::paintWorker(QPainter& p, const Row& row, std::uint64_t from, std::uint64_t to)
{
    const ipccore::Timeline::Lane& lane = m_timeline->lanes()[row.index];
    const bool dim = m_selected >= 0 && int(row.index) != m_selected;
    const int top = row.top + 3, height = m_rowHeight - 6;
    // Spans narrower than a pixel share it: the one that weighs most is drawn there.
    int lastPixel = std::numeric_limits<int>::min();
    int lastWeight = 0;
    auto draw = [&](const ipccore::TimelineSpan& s) {
        const double x0 = xOf(std::max(s.fromNs, from)), x1 = xOf(std::min(s.toNs, to));
        const int px = int(std::floor(x0));
        const int w = weight(s.state);
        if (x1 - x0 < 1.0 && px == lastPixel && w <= lastWeight)
            return;
        QColor colour = stateColor(s.state);
        if (dim)
            colour.setAlpha(70);
        const QRectF box(x0, top, std::max(1.0, x1 - x0), height);
        p.fillRect(box, colour);
        if (x1 - x0 < 1.0) {
            lastPixel = px;
            lastWeight = w;
        } else {
            lastPixel = int(std::floor(x1));
            lastWeight = 0;
        }
        // A wide span carries its step (a program), or its state.
        if (box.width() > 60) {
            QString text = lane.info && s.step < lane.info->steps.size()
                ? QString::fromStdString(lane.info->steps[s.step])
                : ProcessTableModel::stateText(s.state);
            QColor ink = stateTextColor(s.state);
            if (dim)
                ink.setAlpha(110);
            p.setPen(ink);
            const QRectF inside = box.adjusted(4, 0, -2, 0) & QRectF(m_labelWidth + 2, top, width(), height);
            p.drawText(inside, Qt::AlignVCenter | Qt::AlignLeft,
                fontMetrics().elidedText(text, Qt::ElideRight, int(inside.width())));
        }
    };
    for (std::size_t i = ipccore::Timeline::firstEndingAfter(lane, from); i < lane.spans.size(); ++i) {
        if (lane.spans[i].fromNs > to)
            break;
        draw(lane.spans[i]);
    }
    if (lane.current && lane.current->fromNs <= to)
        draw(*lane.current);
}

void TimelineCanvas::paintLock(QPainter& p, const Row& row, std::uint64_t from, std::uint64_t to)
{
    const ipccore::Timeline::LockLane& lock = m_timeline->lockLanes()[row.index];
    const int top = row.top + 3, height = m_rowHeight - 6;
    int lastPixel = std::numeric_limits<int>::min();
    auto draw = [&](const ipccore::HoldSpan& h) {
        if (h.fromNs > to || h.toNs < from)
            return;
        const double x0 = xOf(std::max(h.fromNs, from)), x1 = xOf(std::min(h.toNs, to));
        const int px = int(std::floor(x0));
        if (x1 - x0 < 1.0 && px == lastPixel)
            return;
        lastPixel = x1 - x0 < 1.0 ? px : int(std::floor(x1));
        const ipccore::Timeline::Lane& holder = m_timeline->lanes()[h.lane];
        QColor colour = seriesColor(int(h.lane));
        if (m_selected >= 0 && int(h.lane) != m_selected)
            colour.setAlpha(70);
        const QRectF box(x0, top, std::max(1.0, x1 - x0), height);
        p.fillRect(box, colour);
        if (!holder.alive && h.toNs >= m_timeline->nowNs())
            p.fillRect(box, QBrush(Qt::black, Qt::BDiagPattern)); // a dead holder's: for ever
        if (box.width() > 60) {
            p.setPen(Qt::white);
            const QRectF inside = box.adjusted(4, 0, -2, 0) & QRectF(m_labelWidth + 2, top, width(), height);
            p.drawText(inside, Qt::AlignVCenter | Qt::AlignLeft,
                fontMetrics().elidedText(QString::fromStdString(holder.name), Qt::ElideRight, int(inside.width())));
        }
    };
    for (std::size_t i = ipccore::Timeline::firstEndingAfter(lock, from); i < lock.spans.size(); ++i) {
        if (lock.spans[i].toNs > to + lock.longestNs)
            break;
        draw(lock.spans[i]);
    }
    for (const ipccore::HoldSpan& h : lock.current)
        draw(h);
}

// The hovered wait, outlined, with an arrow from the post that ended it.
void TimelineCanvas::paintWaker(QPainter& p)
{
    if (m_dragging || m_hover.x() < 0)
        return;
    const Hit hit = hitAt(m_hover);
    if (!hit.span || !hit.row)
        return;
    const ipccore::TimelineSpan& s = *hit.span;
    const double x0 = xOf(std::max(s.fromNs, viewStartNs())), x1 = xOf(std::min(s.toNs, viewEndNs()));
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(QPen(palette().text().color(), 2));
    p.setBrush(Qt::NoBrush);
    p.drawRect(QRectF(x0 - 1, hit.row->top + 2, std::max(2.0, x1 - x0 + 2), m_rowHeight - 4));
    if (!ipccore::isBlocked(s.state))
        return;
    const auto waker = m_timeline->wakerOf(hit.row->index, s);
    if (!waker)
        return;
    const Row* from = nullptr;
    for (const Row& row : m_rows) {
        if (row.kind == Row::Kind::Worker && row.index == waker->lane)
            from = &row;
    }
    if (!from)
        return;
    const QPointF a(xOf(waker->ns), rowCentre(*from));
    const QPointF b(x1, rowCentre(*hit.row));
    QPainterPath path(a);
    path.cubicTo(QPointF(a.x() + 20, a.y()), QPointF(b.x() - 20, b.y()), b);
    p.setPen(QPen(Qt::black, 2));
    p.drawPath(path);
    // The head: the curve ends level, pointing right.
    const QPointF head1 = b - QPointF(9, 5);
    const QPointF head2 = b - QPointF(9, -5);
    p.setBrush(Qt::black);
    p.drawPolygon(QPolygonF({ b, head1, head2 }));
    p.drawEllipse(a, 3, 3);
}

void TimelineCanvas::wheelEvent(QWheelEvent* event)
{
    const double notches = event->angleDelta().y() / 120.0;
    if (notches == 0) {
        event->ignore();
        return;
    }
    // Zoom around the time under the pointer; when following, the present stays at the right edge.
    const double x = event->position().x();
    const std::uint64_t anchor = nsAt(x);
    zoomBy(std::pow(1.25, -notches));
    if (!m_following && x > m_labelWidth) {
        const double width = std::max(1, this->width() - m_labelWidth - RightMargin);
        const double right = double(anchor) + (m_labelWidth + width - x) * double(m_spanNs) / width;
        m_endNs = std::uint64_t(std::max(right, double(m_spanNs)));
    }
    event->accept();
    update();
}

void TimelineCanvas::mousePressEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton)
        return;
    m_dragging = true;
    m_dragged = false;
    m_dragFrom = event->pos();
    m_dragEndNs = viewEndNs();
}

void TimelineCanvas::mouseMoveEvent(QMouseEvent* event)
{
    m_hover = event->pos();
    if (m_dragging) {
        const int dx = event->pos().x() - m_dragFrom.x();
        if (std::abs(dx) > 3)
            m_dragged = true;
        if (m_dragged) {
            setFollowing(false);
            const double width = std::max(1, this->width() - m_labelWidth - RightMargin);
            const double shift = double(dx) * double(m_spanNs) / width;
            const double end = double(m_dragEndNs) - shift;
            const double latest = m_timeline ? double(std::max(m_timeline->nowNs(), m_spanNs)) : end;
            m_endNs = std::uint64_t(std::clamp(end, double(m_spanNs), latest));
        }
    }
    update();
}

void TimelineCanvas::mouseReleaseEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton)
        return;
    const bool click = m_dragging && !m_dragged;
    m_dragging = false;
    if (click) {
        const Row* row = rowAt(event->pos().y());
        if (row && row->kind == Row::Kind::Worker)
            selectLane(m_selected == int(row->index) ? -1 : int(row->index));
    }
    update();
}

void TimelineCanvas::leaveEvent(QEvent*)
{
    m_hover = { -1, -1 };
    update();
}

bool TimelineCanvas::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const QString text = textAt(help->pos());
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, this);
        return true;
    }
    return QWidget::event(event);
}

TimelineView::TimelineView(QWidget* parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("timelineView"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* bar = new QHBoxLayout;
    m_follow = new QCheckBox(tr("Follow now"), this);
    m_follow->setChecked(true);
    m_follow->setToolTip(tr("Keep the present at the right edge. Dragging the timeline to look back turns it off."));
    auto* zoomIn = new QPushButton(tr("Zoom in"), this);
    auto* zoomOut = new QPushButton(tr("Zoom out"), this);
    m_zoomLabel = new QLabel(this);
    auto* hint = new QLabel(tr("Wheel: zoom · drag: look back · hover a span: what, how long, who released it · "
                               "click a process: highlight it"),
        this);
    hint->setStyleSheet(QStringLiteral("color: #606b73;"));
    bar->addWidget(m_follow);
    bar->addWidget(zoomIn);
    bar->addWidget(zoomOut);
    bar->addWidget(m_zoomLabel);
    bar->addSpacing(16);
    bar->addWidget(hint, 1);
    layout->addLayout(bar);

    m_canvas = new TimelineCanvas(this);
    m_scroll = new QScrollArea(this);
    m_scroll->setWidgetResizable(true);
    m_scroll->setFrameShape(QFrame::StyledPanel);
    m_scroll->setWidget(m_canvas);
    layout->addWidget(m_scroll, 1);

    // The legend: the process table's colours and words.
    QString legend;
    for (const ipccore::WorkerState state :
        { ipccore::WorkerState::Running, ipccore::WorkerState::BlockedFull, ipccore::WorkerState::BlockedEmpty,
            ipccore::WorkerState::WaitingLock, ipccore::WorkerState::Paused, ipccore::WorkerState::Dead })
        legend += QStringLiteral("<span style=\"background:%1\">&nbsp;&nbsp;&nbsp;&nbsp;</span>&nbsp;%2&nbsp;&nbsp; ")
                      .arg(stateColor(state).name(), ProcessTableModel::stateText(state).toHtmlEscaped());
    legend += tr(" · a lock lane is coloured by its holder (the square by each process's name); hatched: a dead "
                 "holder's, for ever");
    auto* legendLabel = new QLabel(legend, this);
    legendLabel->setObjectName(QStringLiteral("timelineLegend"));
    legendLabel->setWordWrap(true);
    layout->addWidget(legendLabel);
    m_info = new QLabel(this);
    m_info->setObjectName(QStringLiteral("timelineInfo"));
    m_info->setWordWrap(true);
    layout->addWidget(m_info);

    connect(m_follow, &QCheckBox::toggled, m_canvas, &TimelineCanvas::setFollowing);
    connect(m_canvas, &TimelineCanvas::followingChanged, m_follow, &QCheckBox::setChecked);
    connect(zoomIn, &QPushButton::clicked, m_canvas, [this] { m_canvas->zoomBy(0.5); });
    connect(zoomOut, &QPushButton::clicked, m_canvas, [this] { m_canvas->zoomBy(2.0); });
    connect(m_canvas, &TimelineCanvas::zoomChanged, this, [this] { updateInfo(); });
    updateInfo();
}

void TimelineView::setTimeline(const ipccore::Timeline* timeline)
{
    m_timeline = timeline;
    m_canvas->setTimeline(timeline);
    updateInfo();
}

void TimelineView::timelineChanged()
{
    m_canvas->timelineChanged();
    updateInfo();
}

void TimelineView::updateInfo()
{
    m_zoomLabel->setText(tr("showing %1").arg(durationText(std::uint64_t(m_canvas->visibleSeconds() * 1e9))));
    if (!m_timeline)
        return;
    std::uint64_t lost = 0, dropped = 0;
    QStringList lossy;
    for (const ipccore::Timeline::Lane& lane : m_timeline->lanes()) {
        dropped += lane.dropped;
        if (lane.lost > 0) {
            lost += lane.lost;
            lossy << QString::fromStdString(lane.name);
        }
    }
    QStringList parts;
    parts << tr("From each process's own event ring, exact to the microsecond; the last 10 minutes are kept.");
    if (dropped > 0)
        parts << tr("%L1 older spans were let go to keep memory bounded.").arg(dropped);
    QString text = parts.join(QLatin1Char(' '));
    if (lost > 0)
        text += tr(" <span style=\"color:#c62828\"><b>%L1 events lost</b> (%2: the ring filled before it was "
                   "read; a gap there is not a state)</span>")
                    .arg(lost)
                    .arg(lossy.join(QStringLiteral(", ")).toHtmlEscaped());
    m_info->setText(text);
}

} // namespace ipcui
