#include "widgets/png_export.h"

#include <QPixmap>
#include <QWidget>

namespace ipcui {

bool saveWidgetPng(QWidget* widget, const QString& path, double scale)
{
    QPixmap picture(widget->size() * scale);
    picture.setDevicePixelRatio(scale);
    picture.fill(widget->palette().window().color());
    widget->render(&picture);
    return picture.save(path, "PNG");
}

} // namespace ipcui
