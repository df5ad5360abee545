#include "widgets/state_colors.h"

#include <array>

namespace ipcui {

QColor stateColor(ipccore::WorkerState state)
{
    using S = ipccore::WorkerState;
    switch (state) {
    case S::Starting:
        return QColor(0xb0, 0xbe, 0xc5);
    case S::Running:
        return Colors::Ok;
    case S::BlockedFull:
        return Colors::Full;
    case S::BlockedEmpty:
        return QColor(0x15, 0x65, 0xc0);
    case S::WaitingLock:
        return QColor(0x6a, 0x1b, 0x9a);
    case S::Paused:
        return QColor(0xf9, 0xa8, 0x25);
    case S::Finished:
        return QColor(0x75, 0x75, 0x75);
    case S::Dead:
        return QColor(0x21, 0x21, 0x21);
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
    static const std::array<QColor, 4> greys { QColor(0x21, 0x21, 0x21), QColor(0x75, 0x75, 0x75),
        QColor(0x42, 0x42, 0x42), QColor(0x9e, 0x9e, 0x9e) };
    const std::size_t i = std::size_t(index < 0 ? 0 : index);
    QPen pen(greys[i % greys.size()]);
    pen.setStyle(styles[(i + i / styles.size()) % styles.size()]);
    pen.setWidthF(2.5);
    return pen;
}

} // namespace ipcui
