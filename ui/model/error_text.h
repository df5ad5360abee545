#pragma once

// The one place where ipccore errors become user-facing text. The window speaks to students: what went wrong in a
// sentence (the error's hint, which names the remedy, or its kind in plain words). The technical form (the call,
// the object, errno) stays available as details, and the CLI prints it as it is.

#include "ipccore/result.h"

#include <QString>

namespace ipcui {

// The student's sentence alone: for a form's inline problem ("Line 3: ...") where details have no room.
QString errorText(const ipccore::Error& error);
// What the user was doing, the sentence, and the technical form as details (splitError() takes them apart):
// "Could not pause worker 3: that process has already exited." + details "kill(...) failed: not found (ESRCH)".
QString errorText(const QString& action, const ipccore::Error& error);

struct ErrorParts {
    QString text; // what the window shows
    QString details; // the technical form, empty when there is none
};
// Splits a message made by errorText(action, error); any other message is all text.
ErrorParts splitError(const QString& message);

} // namespace ipcui
