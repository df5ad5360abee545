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
    // Tableau 10: distinguishable for most colour-vision types and on a washed-out projector.
    static const std::array<QColor, 10> palette { QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e),
        QColor(0x2c, 0xa0, 0x2c), QColor(0xd6, 0x27, 0x28), QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
        QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f), QColor(0xbc, 0xbd, 0x22), QColor(0x17, 0xbe, 0xcf) };
    return palette[std::size_t(index < 0 ? 0 : index) % palette.size()];
}

} // namespace ipcui
