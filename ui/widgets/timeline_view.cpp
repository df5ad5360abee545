#include "widgets/timeline_view.h"

#include "model/duration_text.h"
#include "model/process_table_model.h"
#include "widgets/png_export.h"
#include "widgets/state_colors.h"
#include "widgets/theme.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>
#include <QWheelEvent>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace ipcui {

namespace {

constexpr int MinRowHeight = 24; // or the font's height and some, when the text is larger (Ctrl++)
constexpr int MaxRowHeight = 40; // rows grow into the room there is, for a projector
constexpr int RightMargin = 12;
constexpr std::uint64_t MinSpanNs = 10'000; // 10 us across the view at most zoomed in: a ring's lock holds show
constexpr std::uint64_t MaxSpanNs = ipccore::Timeline::DefaultWindowNs; // what is kept
// A lock lane is brown where it is held (the holder named inside): no state's colour (the grey-blue is sleeping),
// so it never reads as a process's state; the selected process's holds turn cyan.
const QColor Held { 0x79, 0x55, 0x48 };
const QColor HeldSelected { 0x4d, 0xd0, 0xe1 }; // cyan: no state's colour

QString holdingText(const std::vector<std::string>& objects)
{
    QStringList names;
    for (const std::string& o : objects)
        names << QString::fromStdString(o).toHtmlEscaped();
    return names.join(QStringLiteral(", "));
}

// "buffer.mutex", or "far.mutex@lab2" for one on a worker host, as its processes are named.
QString lockLabel(const ipccore::Timeline::LockLane& lock)
{
    return QString::fromStdString(ipccore::placedName(lock.object, lock.host));
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
    if (m_timeline && m_timeline->startNs() != m_runStartNs) {
        // Another run: follow it from its start.
        m_runStartNs = m_timeline->startNs();
        m_selected = -1;
        setFollowing(true);
    }
    const std::size_t before = m_rows.size();
    layoutRows();
    if (m_rows.size() != before) {
        fitRows();
        updateGeometry();
    }
    tellHover(); // what is under the pointer may have moved on
    if (isVisible())
        update();
}

void TimelineCanvas::layoutRows()
{
    m_rows.clear();
    if (!m_timeline)
        return;
    const QFontMetrics fm(font());
    int top = axisHeight();
    int widest = fm.horizontalAdvance(tr("Processes"));
    m_rows.push_back({ Row::Kind::Header, 0, top, tr("Processes") });
    top += headerHeight();
    for (std::size_t i = 0; i < m_timeline->lanes().size(); ++i) {
        const ipccore::Timeline::Lane& lane = m_timeline->lanes()[i];
        QString label = QString::fromStdString(ipccore::placedName(lane.name, lane.host));
        if (!lane.alive && lane.current && lane.current->state == ipccore::WorkerState::Dead)
            label += tr(" (dead)");
        widest = std::max(widest, fm.horizontalAdvance(label));
        m_rows.push_back({ Row::Kind::Worker, i, top, label });
        top += m_rowHeight;
    }
    if (!m_timeline->lockLanes().empty()) {
        m_rows.push_back({ Row::Kind::Header, 0, top, tr("Locks: who holds them") });
        widest = std::max(widest, fm.horizontalAdvance(tr("Locks: who holds them")));
        top += headerHeight();
        for (std::size_t i = 0; i < m_timeline->lockLanes().size(); ++i) {
            const QString label = lockLabel(m_timeline->lockLanes()[i]);
            widest = std::max(widest, fm.horizontalAdvance(label));
            m_rows.push_back({ Row::Kind::Lock, i, top, label });
            top += m_rowHeight;
        }
    }
    m_labelWidth = std::clamp(widest + 20, 110, 280);
    // What the workers' names share ("philosopher-"): a narrow hold shows only the rest.
    m_commonPrefix = 0;
    const auto& workers = m_timeline->lanes();
    if (workers.size() > 1) {
        std::size_t n = workers[0].name.size();
        for (const ipccore::Timeline::Lane& lane : workers) {
            std::size_t k = 0;
            while (k < n && k < lane.name.size() && lane.name[k] == workers[0].name[k])
                ++k;
            n = k;
        }
        m_commonPrefix = int(n);
    }
    const int lanes = int(m_timeline->lanes().size() + m_timeline->lockLanes().size());
    setMinimumHeight(top - (m_rowHeight - std::max(MinRowHeight, fontMetrics().height() + 8)) * lanes + 4);
}

// The axis and the headers grow with the text (Ctrl++ for a projector).
int TimelineCanvas::axisHeight() const
{
    return std::max(26, fontMetrics().height() + 10);
}

int TimelineCanvas::headerHeight() const
{
    return std::max(22, fontMetrics().height() + 6);
}

void TimelineCanvas::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange) {
        layoutRows();
        fitRows();
        updateGeometry();
        update();
    }
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
    const int room = lanes > 0 ? (height() - axisHeight() - headers * headerHeight() - 4) / lanes : MinRowHeight;
    const int least = std::max(MinRowHeight, fontMetrics().height() + 8);
    const int rowHeight = std::clamp(room, least, std::max(least, MaxRowHeight));
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
    const double span = std::clamp(double(m_spanNs) * factor, double(MinSpanNs), double(maxSpanNs()));
    m_spanNs = std::uint64_t(span);
    emit zoomChanged(visibleSeconds());
    update();
}

void TimelineCanvas::selectLane(int lane)
{
    m_selected = lane;
    update();
}

// The view never reaches before the start of the run, nor after its present.
std::uint64_t TimelineCanvas::viewEndNs() const
{
    if (!m_timeline)
        return 0;
    const std::uint64_t earliest = m_timeline->startNs() + m_spanNs;
    if (m_following)
        return std::max(m_timeline->nowNs(), earliest);
    return std::max(std::min(m_endNs, m_timeline->nowNs()), earliest);
}

std::uint64_t TimelineCanvas::viewStartNs() const
{
    const std::uint64_t end = viewEndNs();
    return end > m_spanNs ? end - m_spanNs : 0;
}

// Zooming out stops at the whole run kept (a little more, so the present is not on the edge).
std::uint64_t TimelineCanvas::maxSpanNs() const
{
    if (!m_timeline || m_timeline->nowNs() <= m_timeline->startNs())
        return MaxSpanNs;
    const double run = double(m_timeline->nowNs() - m_timeline->startNs()) * 1.05;
    return std::uint64_t(std::clamp(run, 1e9, double(MaxSpanNs)));
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
    // To the microsecond when zoomed in far enough for microseconds to tell spans apart.
    return QStringLiteral("%1 s").arg(s, 0, 'f', m_spanNs <= 100'000'000 ? 6 : 3);
}

QString TimelineCanvas::spanTimes(std::uint64_t fromNs, std::uint64_t toNs, bool ongoing) const
{
    const QString from = timeText(fromNs), to = timeText(toNs);
    const QString length = durationText(double(toNs - fromNs) / 1e3);
    if (!ongoing && from == to)
        return tr("at %1, for %2").arg(from, length);
    return tr("from %1 to %2%3: %4").arg(from, to, ongoing ? nowText() : QString(), length);
}

const TimelineCanvas::Row* TimelineCanvas::rowAt(int y) const
{
    for (const Row& row : m_rows) {
        const int height = row.kind == Row::Kind::Header ? headerHeight() : m_rowHeight;
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
    if (!hit.row || hit.row->kind == Row::Kind::Header) {
        // On the axis or a header: the run event whose line is nearest, within six pixels.
        double nearest = 7;
        for (const ipccore::TimelineMarker& m : m_timeline->markers()) {
            const double dx = std::abs(xOf(m.ns) - pos.x());
            if (m.ns > m_timeline->startNs() && dx < nearest) {
                nearest = dx;
                hit.marker = m;
            }
        }
        hit.row = nullptr;
        return hit;
    }
    // What lies under the pointer, give or take two pixels (a short wait is narrower than a pixel).
    const std::uint64_t at = nsAt(pos.x());
    const std::uint64_t slack = nsAt(pos.x() + 2) - at;
    const std::uint64_t from = at > slack ? at - slack : 0, to = at + slack;
    if (hit.row->kind == Row::Kind::Worker) {
        const ipccore::Timeline::Lane& lane = m_timeline->lanes()[hit.row->index];
        // The span that fills most of the pixels around the pointer: what is drawn there.
        std::optional<ipccore::TimelineSpan> best;
        std::uint64_t bestOverlap = 0;
        auto consider = [&](const ipccore::TimelineSpan& s) {
            if (s.fromNs > to || s.toNs < from)
                return;
            const std::uint64_t overlap = std::min(s.toNs, to) - std::max(s.fromNs, from) + 1;
            if (!best || overlap > bestOverlap) {
                best = s;
                bestOverlap = overlap;
            }
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
    if (hit.marker)
        return tr("<b>At %1</b> the run reported (a deadlock or a stall is reported once it has lasted half a "
                  "second; the lanes show when its waits began):<br>%2")
            .arg(timeText(hit.marker->ns), QString::fromStdString(hit.marker->text).toHtmlEscaped());
    if (!hit.row)
        return {};
    if (hit.span) {
        const ipccore::Timeline::Lane& lane = m_timeline->lanes()[hit.row->index];
        const ipccore::TimelineSpan& s = *hit.span;
        QStringList lines;
        lines << QStringLiteral("<b>%1</b>: %2")
                     .arg(QString::fromStdString(ipccore::placedName(lane.name, lane.host)).toHtmlEscaped(),
                         QString::fromStdString(ipccore::Timeline::spanText(lane, s)).toHtmlEscaped());
        if (!lane.host.empty())
            lines << tr("on host %1; its times in this machine's clock (the run's events give the offset)")
                         .arg(QString::fromStdString(lane.host).toHtmlEscaped());
        if (lane.info && s.step < lane.info->steps.size())
            lines << tr("step %1 of %2: %3")
                         .arg(s.step + 1)
                         .arg(lane.info->steps.size())
                         .arg(QString::fromStdString(lane.info->steps[s.step]).toHtmlEscaped());
        const bool ongoing = lane.current && lane.current->fromNs == s.fromNs;
        if (s.state == ipccore::WorkerState::Dead) {
            lines.clear();
            lines << tr("<b>%1</b>: dead%2, since %3")
                         .arg(QString::fromStdString(lane.name).toHtmlEscaped(),
                             lane.exitText.empty()
                                 ? QString()
                                 : QStringLiteral(" (%1)").arg(QString::fromStdString(lane.exitText).toHtmlEscaped()),
                             timeText(s.fromNs));
            if (lane.info && s.step < lane.info->steps.size())
                lines << tr("it died on step %1 of %2: %3")
                             .arg(s.step + 1)
                             .arg(lane.info->steps.size())
                             .arg(QString::fromStdString(lane.info->steps[s.step]).toHtmlEscaped());
            if (!lane.holding.empty())
                lines << tr("it holds, for ever: %1").arg(holdingText(lane.holding));
            return lines.join(QStringLiteral("<br>"));
        }
        lines << spanTimes(s.fromNs, s.toNs, ongoing);
        if (s.merged > 0) {
            const double length = double(std::max<std::uint64_t>(1, s.toNs - s.fromNs));
            lines.clear();
            lines << tr(
                "<b>%1</b>: %n spans summarised into one to keep ten minutes in bounded memory", nullptr, int(s.merged))
                         .arg(QString::fromStdString(lane.name).toHtmlEscaped());
            const QString span
                = tr("from %1 to %2: %3")
                      .arg(timeText(s.fromNs), timeText(s.toNs), durationText(double(s.toNs - s.fromNs) / 1e3));
            // A summary that never waited has no wait to name ("mostly starting" read as if it never started).
            if (s.blockedNs == 0)
                lines << tr("%1, never waiting (mostly %2)").arg(span, ProcessTableModel::stateText(s.state));
            else
                lines << tr("%1, of which %2 % waiting (mostly %3)")
                             .arg(span)
                             .arg(100.0 * double(s.blockedNs) / length, 0, 'f', 0)
                             .arg(ProcessTableModel::stateText(s.waitState));
            return lines.join(QStringLiteral("<br>"));
        }
        const std::string object = ipccore::Timeline::waitObject(lane, s);
        if (ipccore::isBlocked(s.state) && ongoing && !object.empty()) {
            // Still waiting: who holds the object now, as the latest sample saw it.
            QStringList holders;
            if (const auto* now = m_timeline->objectNow(object)) {
                for (const ipccore::ObjectStatus::User& u : now->holders)
                    holders << (u.alive ? tr("%1 (for %2 s)") : tr("%1 (dead: it was killed holding it)"))
                                   .arg(QString::fromStdString(u.worker).toHtmlEscaped())
                                   .arg(u.seconds, 0, 'f', 1);
            }
            if (!holders.isEmpty())
                lines << (m_timeline->stopped() ? tr("%1 was held at the stop by <b>%2</b>")
                                                : tr("%1 is held now by <b>%2</b>"))
                             .arg(QString::fromStdString(object).toHtmlEscaped(), holders.join(QStringLiteral(", ")));
        }
        if (ipccore::isBlocked(s.state) && !ongoing) {
            if (const auto waker = m_timeline->wakerOf(hit.row->index, s)) {
                const ipccore::Timeline::Lane& by = m_timeline->lanes()[waker->lane];
                const QString step = by.info && waker->step < by.info->steps.size()
                    ? QString::fromStdString(by.info->steps[waker->step])
                    : QString();
                lines << tr("released by <b>%1</b> (its step \"%2\" began at %3)")
                             .arg(QString::fromStdString(by.name).toHtmlEscaped(), step.toHtmlEscaped(),
                                 timeText(waker->ns));
            } else if (!lane.info || lane.info->steps.empty()) {
                lines << tr("who released it: not recorded for producers and consumers (only programs' steps are "
                            "events)");
            } else {
                lines << tr("who released it: no recorded step of another process posted to %1 during the wait")
                             .arg(QString::fromStdString(object).toHtmlEscaped());
            }
        }
        return lines.join(QStringLiteral("<br>"));
    }
    if (hit.hold) {
        const ipccore::HoldSpan& h = *hit.hold;
        const ipccore::Timeline::Lane& holder = m_timeline->lanes()[h.lane];
        const bool ongoing = h.toNs >= m_timeline->nowNs();
        const bool dead = !holder.alive && ongoing;
        const QString object = lockLabel(m_timeline->lockLanes()[hit.row->index]).toHtmlEscaped();
        if (h.merged > 0)
            return tr("<b>%1</b>: %n holds summarised into one to keep ten minutes in bounded memory; held %2 % of "
                      "the time, mostly by <b>%3</b><br>from %4 to %5: %6",
                nullptr, int(h.merged))
                .arg(object)
                .arg(100.0 * double(h.heldNs) / double(std::max<std::uint64_t>(1, h.toNs - h.fromNs)), 0, 'f', 0)
                .arg(QString::fromStdString(holder.name).toHtmlEscaped(), timeText(h.fromNs), timeText(h.toNs),
                    durationText(double(h.toNs - h.fromNs) / 1e3));
        return tr("<b>%1</b> held by <b>%2</b>%3<br>%4")
            .arg(object, QString::fromStdString(holder.name).toHtmlEscaped(),
                dead ? tr(" (dead: it was killed holding it, and holds it for ever)") : QString(),
                spanTimes(h.fromNs, h.toNs, ongoing));
    }
    return {};
}

QString TimelineCanvas::nowText() const
{
    return m_timeline && m_timeline->stopped() ? tr(" (the stop)") : tr(" (now)");
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
        p.setPen(Colors::muted());
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
            p.drawText(QRect(6, row.top, width() - 12, headerHeight()), Qt::AlignVCenter | Qt::AlignLeft, row.label);
            p.setFont(font());
            continue;
        }
        const bool selected = row.kind == Row::Kind::Worker && int(row.index) == m_selected;
        if (selected) {
            QColor tint = palette().highlight().color(); // a tint of it, under the text in either theme
            tint.setAlpha(70);
            p.fillRect(QRect(0, row.top, width(), m_rowHeight), tint);
        }
        const bool dead = row.kind == Row::Kind::Worker && !m_timeline->lanes()[row.index].alive;
        p.setPen(dead ? Colors::full() : palette().text().color());
        QFont labelFont = font();
        labelFont.setBold(selected);
        p.setFont(labelFont);
        const int textLeft = 12;
        if (row.kind == Row::Kind::Worker) // the process's colour, as on the charts
            p.fillRect(QRect(3, row.top + 3, 5, m_rowHeight - 6), seriesColor(int(row.index)));
        p.drawText(QRect(textLeft, row.top, m_labelWidth - textLeft - 4, m_rowHeight), Qt::AlignVCenter | Qt::AlignLeft,
            fontMetrics().elidedText(row.label, Qt::ElideRight, m_labelWidth - textLeft - 4));
        p.setFont(font());
        p.save();
        p.setClipRect(QRect(m_labelWidth, row.top, width() - m_labelWidth - RightMargin + 1, m_rowHeight));
        if (row.kind == Row::Kind::Worker) {
            paintWorker(p, row, from, to);
            paintGaps(p, row, from, to);
        } else
            paintLock(p, row, from, to);
        p.restore();
        p.setPen(palette().mid().color());
        p.drawLine(m_labelWidth, row.top + m_rowHeight - 1, width() - RightMargin, row.top + m_rowHeight - 1);
    }
    paintMarkers(p, from, to);
    paintWaker(p);
}

// Where the lane's ring lost events: hatched, since the span drawn there may hide states that were not recorded.
void TimelineCanvas::paintGaps(QPainter& p, const Row& row, std::uint64_t from, std::uint64_t to)
{
    for (const ipccore::Timeline::Lane::Gap& gap : m_timeline->lanes()[row.index].gaps) {
        if (gap.toNs < from || gap.fromNs > to)
            continue;
        const double a = xOf(std::max(gap.fromNs, from)), b = xOf(std::min(gap.toNs, to));
        const QRectF box(a, row.top + 1, std::max(3.0, b - a), m_rowHeight - 2);
        p.fillRect(box, QBrush(QColor(255, 255, 255, 200), Qt::BDiagPattern));
        p.setPen(QPen(Colors::full(), 1, Qt::DotLine));
        p.drawRect(box);
    }
}

// The run's events (a kill, a repair, a deadlock found) as lines across the lanes, named in the header row.
void TimelineCanvas::paintMarkers(QPainter& p, std::uint64_t from, std::uint64_t to)
{
    if (m_rows.empty())
        return;
    const int bottom = m_rows.back().top + m_rowHeight;
    int labelEnd = m_labelWidth; // labels never overlap: a later one that would is left to hovering
    for (const ipccore::TimelineMarker& m : m_timeline->markers()) {
        if (m.ns < from || m.ns > to || m.ns <= m_timeline->startNs())
            continue;
        const double x = xOf(m.ns);
        const QColor colour = markerColour(m.kind);
        QColor line = colour;
        line.setAlpha(150); // the names in the lanes stay readable through it
        p.setPen(QPen(line, 2, m.kind == ipccore::RunEvent::Kind::Info ? Qt::DashLine : Qt::SolidLine));
        p.drawLine(QPointF(x, axisHeight()), QPointF(x, bottom));
        const QString text = QString::fromStdString(m.text).section(QLatin1Char(':'), 0, 0);
        const int textWidth = std::min(360, fontMetrics().horizontalAdvance(text) + 8);
        if (x + 3 >= labelEnd && x + 3 + textWidth <= width()) {
            p.fillRect(QRectF(x + 1, axisHeight() + 2, textWidth, headerHeight() - 4), palette().base());
            p.setPen(colour);
            p.drawText(QRectF(x + 4, axisHeight(), textWidth - 4, headerHeight()), Qt::AlignVCenter | Qt::AlignLeft,
                fontMetrics().elidedText(text, Qt::ElideRight, textWidth - 6));
            labelEnd = int(x) + 3 + textWidth;
        }
    }
}

QColor TimelineCanvas::markerColour(ipccore::RunEvent::Kind kind)
{
    switch (kind) {
    case ipccore::RunEvent::Kind::Error:
        return Colors::full();
    case ipccore::RunEvent::Kind::Warning:
        return QColor(0xe6, 0x51, 0x00);
    case ipccore::RunEvent::Kind::Info:
        break;
    }
    return Colors::muted();
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
    p.drawText(QRect(6, 0, m_labelWidth - 8, axisHeight() - 4), Qt::AlignVCenter | Qt::AlignLeft,
        fontMetrics().elidedText(tr("time since start"), Qt::ElideRight, m_labelWidth - 10));
    const int bottom = m_rows.empty() ? height() : m_rows.back().top + m_rowHeight;
    for (double rel = std::max(0.0, firstRel); rel <= double(to) - double(start); rel += step) {
        const double x = xOf(start + std::uint64_t(rel));
        p.setPen(palette().mid().color());
        p.drawLine(QPointF(x, axisHeight() - 4), QPointF(x, bottom));
        p.setPen(palette().text().color());
        const QString label = QStringLiteral("%1 s").arg(rel / 1e9, 0, 'f', decimals);
        // Centred on its tick, but kept clear of the lane names and inside the widget.
        const double half = fontMetrics().horizontalAdvance(label) / 2.0 + 2;
        const double centre = std::clamp(x, m_labelWidth + half, this->width() - half);
        p.drawText(QRectF(centre - half, 0, 2 * half, axisHeight() - 4), Qt::AlignCenter, label);
    }
}

namespace {

// What each pixel column of a lane holds, when its spans are narrower than pixels: time per state (a worker lane)
// or held time and the holder seen most (a lock lane), in pixel units.
struct Columns {
    std::vector<std::array<float, ipccore::WorkerStateCount>> time;
    std::vector<float> held;
    std::vector<int> holder;
    std::vector<float> holderShare;
    void reset(int width)
    {
        time.assign(std::size_t(std::max(width, 0)), {});
        held.assign(std::size_t(std::max(width, 0)), 0);
        holder.assign(std::size_t(std::max(width, 0)), -1);
        holderShare.assign(std::size_t(std::max(width, 0)), 0);
    }
    // Calls f(column, overlap) for each column [a, b) covers, in pixels from the lane's left.
    template <typename F> void spread(double a, double b, F f) const
    {
        const int last = int(time.size()) - 1;
        for (int c = std::max(0, int(std::floor(a))); c <= std::min(last, int(std::ceil(b)) - 1); ++c) {
            const double overlap = std::min(b, c + 1.0) - std::max(a, double(c));
            if (overlap > 0)
                f(std::size_t(c), float(overlap));
        }
    }
};

} // namespace

void TimelineCanvas::paintWorker(QPainter& p, const Row& row, std::uint64_t from, std::uint64_t to)
{
    const ipccore::Timeline::Lane& lane = m_timeline->lanes()[row.index];
    const bool dim = m_selected >= 0 && int(row.index) != m_selected;
    const int top = row.top + 3, height = m_rowHeight - 6;
    const int left = m_labelWidth, width = this->width() - m_labelWidth - RightMargin;
    auto colourOf = [&](ipccore::WorkerState state) {
        QColor colour = stateColor(state);
        if (dim)
            colour.setAlpha(70);
        return colour;
    };
    static Columns columns;
    columns.reset(width);
    bool narrow = false;
    auto draw = [&](const ipccore::TimelineSpan& s) {
        const double a = xOf(std::max(s.fromNs, from)) - left, b = xOf(std::min(s.toNs, to)) - left;
        const double length = double(std::max<std::uint64_t>(1, s.toNs - s.fromNs));
        const double waited = s.merged > 0 ? double(s.blockedNs) / length : 0;
        if (b - a < 3) {
            // Narrow: into the pixel columns, each drawn once in what fills most of it.
            narrow = true;
            columns.spread(a, b, [&](std::size_t c, float overlap) {
                columns.time[c][ipccore::stateIndex(s.state)] += overlap * float(1 - waited);
                if (waited > 0)
                    columns.time[c][ipccore::stateIndex(s.waitState)] += overlap * float(waited);
            });
            return;
        }
        const QRectF box(left + a, top, b - a, height);
        const ipccore::WorkerState shown = waited >= 0.5 ? s.waitState : s.state;
        p.fillRect(box, colourOf(s.state));
        if (waited > 0) // a summary: its share of waiting on top, as in a stacked pixel
            p.fillRect(QRectF(box.left(), top, box.width(), height * waited), colourOf(s.waitState));
        if (s.stepBegins && box.width() >= 6) // where a step begins, a hairline: two steps in one state stay two
            p.fillRect(QRectF(box.left(), top, 1, height), QColor(255, 255, 255, dim ? 60 : 140));
        // A wide span carries its step (a program), or its state.
        if (box.width() > 60) {
            QString text = s.merged > 0                         ? tr("%n spans, summarised", nullptr, int(s.merged))
                : lane.info && s.step < lane.info->steps.size() ? QString::fromStdString(lane.info->steps[s.step])
                                                                : ProcessTableModel::stateText(s.state);
            if (s.state == ipccore::WorkerState::Dead)
                text = lane.exitText.empty() ? tr("dead") : tr("dead: %1").arg(QString::fromStdString(lane.exitText));
            if (s.fromNs < from && s.merged == 0) // it began before the view: say when
                text += tr(" (since %1)").arg(timeText(s.fromNs));
            QColor ink = stateTextColor(shown);
            if (dim)
                ink.setAlpha(110);
            p.setPen(ink);
            const QRectF inside = box.adjusted(4, 0, -2, 0) & QRectF(left + 2, top, width, height);
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
    if (!narrow)
        return;
    // A pixel several spans share shows each state's share of it, stacked: running at the bottom, waits above. A
    // wait too short to fill a line still gets one, so that it is never invisible.
    using S = ipccore::WorkerState;
    static constexpr S order[] = { S::Running, S::Spinning, S::Sleeping, S::Starting, S::Paused, S::BlockedFull,
        S::BlockedEmpty, S::WaitingLock, S::Dead };
    for (std::size_t c = 0; c < columns.time.size(); ++c) {
        const auto& t = columns.time[c];
        float total = 0;
        for (const float v : t)
            total += v;
        if (total <= 0)
            continue;
        double y = top + height;
        for (const S state : order) {
            const float v = t[ipccore::stateIndex(state)];
            if (v <= 0)
                continue;
            double h = height * double(v / total);
            if (ipccore::isBlocked(state))
                h = std::max(h, 1.0);
            h = std::min(h, y - top);
            p.fillRect(QRectF(left + double(c), y - h, 1, h), colourOf(state));
            y -= h;
        }
    }
}

void TimelineCanvas::paintLock(QPainter& p, const Row& row, std::uint64_t from, std::uint64_t to)
{
    const ipccore::Timeline::LockLane& lock = m_timeline->lockLanes()[row.index];
    const int top = row.top + 3, height = m_rowHeight - 6;
    const int left = m_labelWidth, width = this->width() - m_labelWidth - RightMargin;
    auto colourOf
        = [&](std::size_t holder) { return m_selected >= 0 && int(holder) == m_selected ? HeldSelected : Held; };
    static Columns columns;
    columns.reset(width);
    bool narrow = false;
    auto draw = [&](const ipccore::HoldSpan& h) {
        if (h.fromNs > to || h.toNs < from)
            return;
        const double a = xOf(std::max(h.fromNs, from)) - left, b = xOf(std::min(h.toNs, to)) - left;
        const double length = double(std::max<std::uint64_t>(1, h.toNs - h.fromNs));
        const double share = h.merged > 0 ? double(h.heldNs) / length : 1.0;
        if (b - a < 3) {
            narrow = true;
            columns.spread(a, b, [&](std::size_t c, float overlap) {
                columns.held[c] += overlap * float(share);
                if (overlap > columns.holderShare[c]) {
                    columns.holderShare[c] = overlap;
                    columns.holder[c] = int(h.lane);
                }
            });
            return;
        }
        const ipccore::Timeline::Lane& holder = m_timeline->lanes()[h.lane];
        const QRectF box(left + a, top, b - a, height);
        QColor colour = colourOf(h.lane);
        if (share < 0.999)
            colour.setAlphaF(float(0.35 + 0.65 * share)); // a summary: as dark as the lock was held
        p.fillRect(box, colour);
        if (!holder.alive && h.toNs >= m_timeline->nowNs())
            p.fillRect(box, QBrush(Qt::black, Qt::BDiagPattern)); // a dead holder's: for ever
        if (box.width() >= 6) // where one hold ends and the next begins
            p.fillRect(QRectF(box.left(), top, 1, height), QColor(255, 255, 255, 160));
        // The holder's name, or where that does not fit what tells it from the others ("5" of "philosopher-5").
        const QString name = QString::fromStdString(holder.name);
        const QString shortName = name.mid(m_commonPrefix);
        const QString text = box.width() > fontMetrics().horizontalAdvance(name) + 8 ? name : shortName;
        if (box.width() > fontMetrics().horizontalAdvance(text) + 4) {
            p.setPen(colourOf(h.lane) == HeldSelected ? QColor(Qt::black) : QColor(Qt::white));
            const QRectF inside = box.adjusted(2, 0, -1, 0) & QRectF(left + 1, top, width, height);
            p.drawText(inside, Qt::AlignVCenter | (text == name ? Qt::AlignLeft : Qt::AlignHCenter), text);
        }
    };
    for (std::size_t i = ipccore::Timeline::firstEndingAfter(lock, from); i < lock.spans.size(); ++i) {
        if (lock.spans[i].toNs > to + lock.longestNs)
            break;
        draw(lock.spans[i]);
    }
    for (const ipccore::HoldSpan& h : lock.current)
        draw(h);
    if (!narrow)
        return;
    for (std::size_t c = 0; c < columns.held.size(); ++c) {
        if (columns.held[c] <= 0)
            continue;
        // As tall as the share of the pixel's time it was held (at least a pixel): a lock held for microseconds
        // between long gaps must not look held.
        const double h = std::max(1.0, double(height) * std::min(1.0, double(columns.held[c])));
        p.fillRect(
            QRectF(left + double(c), top + height - h, 1, h), colourOf(std::size_t(std::max(columns.holder[c], 0))));
    }
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
    p.setPen(QPen(palette().text().color(), 2));
    p.drawPath(path);
    // The head: the curve ends level, pointing right.
    const QPointF head1 = b - QPointF(9, 5);
    const QPointF head2 = b - QPointF(9, -5);
    p.setBrush(palette().text());
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
            if (m_timeline && !m_timeline->stopped() && m_endNs >= m_timeline->nowNs())
                setFollowing(true); // dragged back to the present: follow it again
        }
    }
    tellHover();
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
    tellHover();
    update();
}

void TimelineCanvas::tellHover()
{
    const QString text = m_hover.x() < 0 ? QString() : textAt(m_hover);
    if (text != m_hoverText) {
        m_hoverText = text;
        emit hoverTextChanged(text);
    }
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
    auto* hint = new QLabel(tr("Wheel: zoom. Drag: look back. Point at a span: what it was, how long, who "
                               "released a wait. Click a process: highlight it."),
        this);
    setThemedStyleSheet(hint, [] { return QStringLiteral("color: %1;").arg(cssColor(Colors::muted())); });
    hint->setWordWrap(true);
    bar->addWidget(m_follow);
    bar->addWidget(zoomIn);
    bar->addWidget(zoomOut);
    bar->addWidget(m_zoomLabel);
    bar->addSpacing(16);
    bar->addWidget(hint, 1);
    auto* exportButton = new QPushButton(tr("Export PNG…"), this);
    exportButton->setObjectName(QStringLiteral("timelineExport"));
    exportButton->setToolTip(tr("Save the timeline as shown, at twice its size on screen (for slides)"));
    bar->addWidget(exportButton);
    layout->addLayout(bar);
    connect(exportButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export the timeline as PNG"), QStringLiteral("ipclab-timeline.png"), tr("PNG images (*.png)"));
        if (!path.isEmpty() && !saveWidgetPng(m_canvas, path))
            emit errorOccurred(tr("Could not write %1.").arg(path));
    });

    m_canvas = new TimelineCanvas(this);
    m_scroll = new QScrollArea(this);
    m_scroll->setWidgetResizable(true);
    m_scroll->setFrameShape(QFrame::StyledPanel);
    m_scroll->setWidget(m_canvas);
    layout->addWidget(m_scroll, 1);
    // What the pointer is over, in words: below the lanes, where it hides nothing (an arrow from the process that
    // released a wait may start in the lane below).
    m_details = new QLabel(this);
    m_details->setObjectName(QStringLiteral("timelineDetails"));
    m_details->setWordWrap(true);
    m_details->setTextFormat(Qt::RichText);
    m_details->setMinimumHeight(5 * fontMetrics().lineSpacing() + 10);
    m_details->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    setThemedStyleSheet(m_details, [] {
        return QStringLiteral("QLabel { background: %1; border: 1px solid %2; padding: 3px; }")
            .arg(cssColor(Colors::card()), cssColor(Colors::cardBorder()));
    });
    layout->addWidget(m_details);

    // The legend: the process table's colours and words.
    QString legend;
    for (const ipccore::WorkerState state : { ipccore::WorkerState::Running, ipccore::WorkerState::BlockedFull,
             ipccore::WorkerState::BlockedEmpty, ipccore::WorkerState::WaitingLock, ipccore::WorkerState::Spinning,
             ipccore::WorkerState::Sleeping, ipccore::WorkerState::Paused, ipccore::WorkerState::Dead })
        legend += QStringLiteral("<span style=\"background:%1\">&nbsp;&nbsp;&nbsp;&nbsp;</span>&nbsp;%2&nbsp;&nbsp; ")
                      .arg(stateColor(state).name(), ProcessTableModel::stateText(state).toHtmlEscaped());
    legend += tr("· where spans are narrower than a pixel, each state's share is stacked, running at the bottom");
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
    connect(m_canvas, &TimelineCanvas::hoverTextChanged, this, [this](const QString& text) {
        m_details->setText(text.isEmpty() ? QStringLiteral("<span style=\"color:%1\">").arg(cssColor(Colors::muted()))
                    + tr("Point at a span for what it was, how "
                         "long it lasted and, for a wait, who released it.</span>")
                                          : text);
    });
    m_details->setText(QStringLiteral("<span style=\"color:%1\">").arg(cssColor(Colors::muted()))
        + tr("Point at a span for what it was, how long it lasted and, "
             "for a wait, who released it.</span>"));
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
    m_zoomLabel->setText(tr("showing %1").arg(durationText(m_canvas->visibleSeconds() * 1e6)));
    if (!m_timeline)
        return;
    std::uint64_t lost = 0, dropped = 0;
    QStringList lossy;
    for (const ipccore::Timeline::Lane& lane : m_timeline->lanes()) {
        dropped += lane.dropped;
        if (lane.lost > 0) {
            lost += lane.lost;
            lossy << QString::fromStdString(ipccore::placedName(lane.name, lane.host));
        }
    }
    QStringList parts;
    parts << tr("From each process's own event ring, exact to the microsecond; the last 10 minutes are kept.");
    QStringList hosts;
    for (const ipccore::Timeline::Lane& lane : m_timeline->lanes())
        if (!lane.host.empty() && !hosts.contains(QString::fromStdString(lane.host)))
            hosts << QString::fromStdString(lane.host);
    if (!hosts.isEmpty())
        parts << tr("Processes named …@%1 run on that worker host: their events come with its snapshots (20 a "
                    "second) and are put in this machine's clock, exact to within the clocks' offset estimate, whose "
                    "error (a few hundred microseconds on a LAN) the run's events give.")
                     .arg(hosts.join(QStringLiteral(", …@")).toHtmlEscaped());
    if (!m_timeline->lockLanes().empty())
        parts << tr("A lock lane is brown where it is held, with the holder's name when there is room; where holds "
                    "are narrower than a pixel, as tall as the share of the time it was held; hatched: held by a dead "
                    "process, for ever.");
    std::uint64_t summarisedUntil = 0;
    for (const ipccore::Timeline::Lane& lane : m_timeline->lanes())
        summarisedUntil = std::max(summarisedUntil, lane.summarisedUntilNs);
    if (summarisedUntil > m_timeline->startNs())
        parts << tr("Before %1 s, short spans are summarised to keep memory bounded.")
                     .arg(double(summarisedUntil - m_timeline->startNs()) / 1e9, 0, 'f', 1);
    if (dropped > 0)
        parts << tr("%L1 spans older than 10 minutes were let go.").arg(dropped);
    std::uint64_t holdsNotRecorded = 0;
    for (const ipccore::Timeline::Lane& lane : m_timeline->lanes())
        holdsNotRecorded += lane.holdsNotRecorded;
    if (holdsNotRecorded > 0)
        parts << tr("%L1 holds of a ring's mutex are not drawn: each process records at most %L2 a second.")
                     .arg(holdsNotRecorded)
                     .arg(ipccore::WorkerSlot::LocksPerWindow * (1'000'000'000 / ipccore::WorkerSlot::LockWindowNs));
    QString text = parts.join(QLatin1Char(' '));
    if (lost > 0)
        text += tr(" <span style=\"color:%3\"><b>%L1 events lost</b> (%2): the event ring filled before it "
                   "was read; the hatched stretches may hide states that were not recorded.</span>")
                    .arg(lost)
                    .arg(lossy.join(QStringLiteral(", ")).toHtmlEscaped())
                    .arg(cssColor(Colors::error()));
    m_info->setText(text);
}

} // namespace ipcui
