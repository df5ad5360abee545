#pragma once

// The window's two themes, light and dark, for a lecture hall's projector as much as for a desk. applyTheme() sets
// the Fusion style and the theme's palette on the application; everything drawn by hand (the slots, the timeline,
// the wait-for graph) asks Colors:: (state_colors.h), which answers for the current theme, and repaints. The few
// widgets with a style sheet of their own take it through setThemedStyleSheet(), which re-applies it on a change;
// the charts are styled from the palette by styleChart() when they see QEvent::PaletteChange.

#include <QString>

#include <functional>
#include <optional>

class QChart;
class QWidget;

namespace ipcui {

enum class Theme { Light, Dark };

void applyTheme(Theme theme);
Theme currentTheme();
QString themeName(Theme theme); // "light", "dark": the --theme values and the saved setting
std::optional<Theme> themeFromName(const QString& name);

// A chart's background, title, legend, axes and grid in the application palette's colours (the series keep theirs).
void styleChart(QChart* chart);

// Applies make() as the widget's style sheet now and again after every theme change, for as long as it lives.
void setThemedStyleSheet(QWidget* widget, std::function<QString()> make);

} // namespace ipcui
