#pragma once

// Pictures for slides: a widget drawn again at twice its size on screen (vector text and lines, not a scaled-up
// grab), on an opaque background, saved as PNG.

#include <QString>

class QWidget;

namespace ipcui {

constexpr double ExportScale = 2.0;
// True when the file was written.
bool saveWidgetPng(QWidget* widget, const QString& path, double scale = ExportScale);

} // namespace ipcui
