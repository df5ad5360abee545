#pragma once

// Colours that carry meaning, chosen for a projector: saturated, with white or black text picked for contrast.
// Red always means "full / stuck", so a blocked producer and a full queue read the same at a glance.

#include "ipccore/telemetry.h"

#include <QColor>
#include <QPen>
#include <QString>

namespace ipcui {

QColor stateColor(ipccore::WorkerState state);
QColor stateTextColor(ipccore::WorkerState state);
// One colour per process (its index in the run), the same on every chart and in the timeline: Okabe-Ito, cycling
// after 7.
QColor seriesColor(int index);
// An object's line (a depth, a semaphore, a counter): greys and dashes, never a process's colour.
QPen objectPen(int index);

namespace Colors {
// Each answers for the current theme (theme.h): a light and a dark value of the same meaning.
QColor full(); // full queue, zero semaphore, blocked on full: red in both themes
QColor filled(); // a slot holding a message
QColor emptySlot(); // an empty slot or token: the page's colour
QColor outline(); // the lines of live objects, and text drawn on the page
QColor muted(); // what is gone or secondary: dead objects, hints, axis lines
QColor ok(); // success text
QColor okFill(); // green under white text: a free permit, a running process
QColor card(); // the box behind an object or a graph node
QColor cardBorder();
QColor grid(); // chart grid lines
QColor error(); // an error's text on the window's background
QColor secondaryText(); // descriptions and captions, quieter than the text
QColor link(); // headings that lead somewhere (a lesson's steps)
QColor text(); // the palette's text: the total throughput line, the timeline's arrows
} // namespace Colors

// "#rrggbb" for a style sheet or rich text.
inline QString cssColor(const QColor& colour)
{
    return colour.name();
}

} // namespace ipcui
