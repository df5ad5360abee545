#pragma once

// The one place where ipccore errors become user-facing text.

#include "ipccore/result.h"

#include <QString>

namespace ipcui {

QString errorText(const ipccore::Error& error);
// Prefixes what the user was doing: "Could not pause worker 3: kill(...) failed: ..."
QString errorText(const QString& action, const ipccore::Error& error);

} // namespace ipcui
