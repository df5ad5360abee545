#include "model/error_text.h"

#include <QCoreApplication>

namespace ipcui {

QString errorText(const ipccore::Error& error)
{
    return QString::fromStdString(error.message());
}

QString errorText(const QString& action, const ipccore::Error& error)
{
    return QCoreApplication::translate("ipcui", "%1: %2").arg(action, errorText(error));
}

} // namespace ipcui
