#pragma once

// Other users' names and command lines as Qt text: control characters, ill-formed UTF-8 and bidi overrides as \xNN
// (ipccore::printableText). Still plain text: a view that renders rich text must escape it as well.

#include "ipccore/system_ipc.h"

#include <QString>

#include <string>

namespace ipcui {

inline QString printableQString(const std::string& text)
{
    return QString::fromStdString(ipccore::printableText(text));
}

} // namespace ipcui
