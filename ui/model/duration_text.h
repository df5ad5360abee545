#pragma once

// How long something took, in the unit that reads best: "0.05 µs", "2.4 µs", "37 µs", "2.4 ms", "213 ms", "1.4 s".
// Shared by the views that show a program step's mean time (a shared-memory read is hundredths of a microsecond, a
// request through a server tens of microseconds, a wait for a permit milliseconds or more).

#include <QString>

namespace ipcui {

// `us` in microseconds; "–" for a step not yet timed (0 or less, or not a number).
QString durationText(double us);

} // namespace ipcui
