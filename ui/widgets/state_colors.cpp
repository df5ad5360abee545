#include "widgets/state_colors.h"

#include "widgets/theme.h"

#include <QApplication>
#include <QPalette>

#include <array>

namespace ipcui {

namespace {
bool dark()
{
    return currentTheme() == Theme::Dark;
}
QColor pick(QColor light, QColor darkValue)
{
    return dark() ? darkValue : light;
}
} // namespace

namespace Colors {
QColor full()
{
    return pick(QColor(0xc6, 0x28, 0x28), QColor(0xe5, 0x39, 0x35));
}
QColor filled()
{
    return pick(QColor(0x15, 0x65, 0xc0), QColor(0x1e, 0x88, 0xe5));
}
QColor emptySlot()
{
    return pick(QColor(0xff, 0xff, 0xff), QColor(0x17, 0x1a, 0x1c));
}
QColor outline()
{
    return pick(QColor(0x26, 0x32, 0x38), QColor(0xcf, 0xd8, 0xdc));
}
QColor muted()
{
    return pick(QColor(0x60, 0x6b, 0x73), QColor(0x9a, 0xa5, 0xad));
}
QColor ok()
{
    return pick(QColor(0x2e, 0x7d, 0x32), QColor(0x66, 0xbb, 0x6a));
}
QColor okFill()
{
    return QColor(0x2e, 0x7d, 0x32);
}
QColor card()
{
    return pick(QColor(0xfa, 0xfb, 0xfc), QColor(0x26, 0x2a, 0x2e));
}
QColor cardBorder()
{
    return pick(QColor(0xcf, 0xd8, 0xdc), QColor(0x4a, 0x50, 0x56));
}
QColor grid()
{
    return pick(QColor(0xdd, 0xe2, 0xe5), QColor(0x3a, 0x3f, 0x44));
}
QColor error()
{
    return pick(QColor(0xc6, 0x28, 0x28), QColor(0xff, 0x8a, 0x80));
}
QColor secondaryText()
{
    return pick(QColor(0x37, 0x47, 0x4f), QColor(0xb0, 0xbe, 0xc5));
}
QColor link()
{
    return pick(QColor(0x0b, 0x53, 0x94), QColor(0x8a, 0xb4, 0xf8));
}
QColor text()
{
    return QApplication::palette().color(QPalette::Text);
}
} // namespace Colors

QColor stateColor(ipccore::WorkerState state)
{
    using S = ipccore::WorkerState;
    switch (state) {
    case S::Starting:
        return QColor(0xb0, 0xbe, 0xc5);
    case S::Running:
        return Colors::okFill();
    case S::BlockedFull:
        return QColor(0xc6, 0x28, 0x28); // the light theme's full(): the dark one's is too light for white text
    case S::BlockedEmpty:
        return QColor(0x15, 0x65, 0xc0);
    case S::WaitingLock:
        return QColor(0x6a, 0x1b, 0x9a);
    case S::Paused:
        return QColor(0xf9, 0xa8, 0x25);
    case S::Finished:
        return QColor(0x75, 0x75, 0x75);
    case S::Dead:
        return pick(QColor(0x21, 0x21, 0x21), QColor(0x05, 0x05, 0x05));
    case S::Sleeping: // a quiet grey-blue: alive and well, just not due yet
        return QColor(0x54, 0x6e, 0x7a);
    case S::Spinning: // teal: no state's hue, and no longer the green of useful work
        return QColor(0x00, 0x83, 0x8f);
    }
    return Qt::gray;
}

QColor stateTextColor(ipccore::WorkerState state)
{
    using S = ipccore::WorkerState;
    return state == S::Paused || state == S::Starting ? QColor(Qt::black) : QColor(Qt::white);
}

QColor seriesColor(int index)
{
    // Okabe-Ito without its black (the total's colour): told apart with every common colour-vision deficiency.
    // Yellow last: on white it is the faintest.
    static const std::array<QColor, 7> palette { QColor(0x00, 0x72, 0xb2), QColor(0xe6, 0x9f, 0x00),
        QColor(0x00, 0x9e, 0x73), QColor(0xd5, 0x5e, 0x00), QColor(0xcc, 0x79, 0xa7), QColor(0x56, 0xb4, 0xe9),
        QColor(0xf0, 0xe4, 0x42) };
    return palette[std::size_t(index < 0 ? 0 : index) % palette.size()];
}

QPen objectPen(int index)
{
    // Greys told apart by their dashes and shade: no hue here, so a colour on any chart always means a process.
    static const std::array<Qt::PenStyle, 4> styles { Qt::SolidLine, Qt::DashLine, Qt::DotLine, Qt::DashDotLine };
    // On the dark page the same order from light to dark.
    static const std::array<QColor, 4> greys { QColor(0x21, 0x21, 0x21), QColor(0x75, 0x75, 0x75),
        QColor(0x42, 0x42, 0x42), QColor(0x9e, 0x9e, 0x9e) };
    static const std::array<QColor, 4> darkGreys { QColor(0xe8, 0xea, 0xed), QColor(0x9e, 0x9e, 0x9e),
        QColor(0xc4, 0xc8, 0xcc), QColor(0x75, 0x75, 0x75) };
    const std::size_t i = std::size_t(index < 0 ? 0 : index);
    QPen pen(dark() ? darkGreys[i % darkGreys.size()] : greys[i % greys.size()]);
    pen.setStyle(styles[(i + i / styles.size()) % styles.size()]);
    pen.setWidthF(2.5);
    return pen;
}

} // namespace ipcui
