#include "widgets/theme.h"

#include "widgets/state_colors.h"

#include <QAbstractAxis>
#include <QApplication>
#include <QChart>
#include <QLegend>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>
#include <QWidget>

namespace ipcui {

namespace {

Theme g_theme = Theme::Light;

// Announces a theme change to the widgets that restyle themselves (setThemedStyleSheet). A palette change alone
// would not do: a widget with a style sheet does not get one.
class ThemeNotifier : public QObject {
    Q_OBJECT
public:
    static ThemeNotifier& instance()
    {
        static ThemeNotifier notifier;
        return notifier;
    }
signals:
    void changed();
};

QPalette darkPalette()
{
    // Greys rather than black, so the saturated state colours and the Okabe-Ito lines keep their contrast.
    QPalette p;
    const QColor window(0x2b, 0x2e, 0x31), base(0x1f, 0x22, 0x25), text(0xe8, 0xea, 0xed), button(0x3a, 0x3e, 0x42);
    const QColor disabledText(0x80, 0x86, 0x8b);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(0x2a, 0x2d, 0x31));
    p.setColor(QPalette::ToolTipBase, QColor(0x3a, 0x3e, 0x42));
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, disabledText);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, button);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, QColor(0xff, 0x8a, 0x80));
    p.setColor(QPalette::Link, QColor(0x8a, 0xb4, 0xf8));
    p.setColor(QPalette::LinkVisited, QColor(0xc5, 0x8a, 0xf9));
    p.setColor(QPalette::Highlight, QColor(0x3d, 0x7e, 0xc6));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Light, QColor(0x4a, 0x4f, 0x54));
    p.setColor(QPalette::Midlight, QColor(0x3f, 0x43, 0x48));
    p.setColor(QPalette::Mid, QColor(0x5f, 0x65, 0x6b));
    p.setColor(QPalette::Dark, QColor(0x1a, 0x1c, 0x1e));
    p.setColor(QPalette::Shadow, Qt::black);
    for (QPalette::ColorRole role : { QPalette::WindowText, QPalette::Text, QPalette::ButtonText })
        p.setColor(QPalette::Disabled, role, disabledText);
    p.setColor(QPalette::Disabled, QPalette::Base, window);
    p.setColor(QPalette::Disabled, QPalette::Button, QColor(0x33, 0x36, 0x3a));
    return p;
}

} // namespace

void applyTheme(Theme theme)
{
    g_theme = theme;
    // Fusion draws from the palette alone, so both themes look the same on every desktop (and offscreen).
    if (QApplication::style()->name().compare(QLatin1String("fusion"), Qt::CaseInsensitive) != 0)
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QApplication::setPalette(theme == Theme::Dark ? darkPalette() : QApplication::style()->standardPalette());
    emit ThemeNotifier::instance().changed();
}

Theme currentTheme()
{
    return g_theme;
}

QString themeName(Theme theme)
{
    return theme == Theme::Dark ? QStringLiteral("dark") : QStringLiteral("light");
}

std::optional<Theme> themeFromName(const QString& name)
{
    if (name == QLatin1String("light"))
        return Theme::Light;
    if (name == QLatin1String("dark"))
        return Theme::Dark;
    return std::nullopt;
}

void styleChart(QChart* chart)
{
    const QPalette palette = QApplication::palette();
    const QColor text = palette.color(QPalette::Text);
    chart->setBackgroundBrush(palette.brush(QPalette::Base));
    chart->setBackgroundPen(Qt::NoPen);
    chart->setTitleBrush(text);
    chart->legend()->setLabelColor(text);
    chart->legend()->setBrush(Qt::NoBrush);
    for (QAbstractAxis* axis : chart->axes()) {
        axis->setLabelsColor(text);
        axis->setTitleBrush(text);
        axis->setLinePenColor(Colors::muted());
        axis->setGridLineColor(Colors::grid());
        axis->setMinorGridLineColor(Colors::grid());
    }
}

void setThemedStyleSheet(QWidget* widget, std::function<QString()> make)
{
    widget->setStyleSheet(make());
    QObject::connect(&ThemeNotifier::instance(), &ThemeNotifier::changed, widget,
        [widget, make = std::move(make)] { widget->setStyleSheet(make()); });
}

} // namespace ipcui

#include "theme.moc"
