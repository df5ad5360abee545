#pragma once

// Colours that carry meaning, chosen for a projector: saturated, with white or black text picked for contrast.
// Red always means "full / stuck", so a blocked producer and a full queue read the same at a glance.

#include "ipccore/telemetry.h"

#include <QColor>
#include <QPen>

namespace ipcui {

QColor stateColor(ipccore::WorkerState state);
QColor stateTextColor(ipccore::WorkerState state);
// One colour per process (its index in the run), the same on every chart and in the timeline: Okabe-Ito, cycling
// after 7.
QColor seriesColor(int index);
// An object's line (a depth, a semaphore, a counter): greys and dashes, never a process's colour.
QPen objectPen(int index);

namespace Colors {
inline const QColor Full { 0xc6, 0x28, 0x28 }; // full queue, zero semaphore, blocked on full
inline const QColor Filled { 0x15, 0x65, 0xc0 }; // a slot holding a message
inline const QColor EmptySlot { 0xff, 0xff, 0xff };
inline const QColor Outline { 0x26, 0x32, 0x38 };
inline const QColor Muted { 0x60, 0x6b, 0x73 };
inline const QColor Ok { 0x2e, 0x7d, 0x32 };
} // namespace Colors

} // namespace ipcui
