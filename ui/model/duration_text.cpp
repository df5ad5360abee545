#include "model/duration_text.h"

#include <QCoreApplication>

#include <cmath>

namespace ipcui {

QString durationText(double us)
{
    const auto tr = [](const char* text) { return QCoreApplication::translate("ipcui::durationText", text); };
    if (!(us > 0) || !std::isfinite(us))
        return QStringLiteral("–");
    if (us < 0.005)
        return tr("< 0.01 µs");
    // Two decimals below 1 of a unit, one below 10, whole numbers above (judged after rounding, so 9.96 reads "10"):
    // 0.05 µs, 0.18 µs, 2.4 µs, 37 µs, 850 µs.
    const auto figure = [](double value) {
        return QString::number(value, 'f', value < 0.995 ? 2 : value < 9.95 ? 1 : 0);
    };
    if (us < 999.5)
        return tr("%1 µs").arg(figure(us));
    if (us < 999'500)
        return tr("%1 ms").arg(figure(us / 1e3));
    return tr("%1 s").arg(figure(us / 1e6));
}

} // namespace ipcui
