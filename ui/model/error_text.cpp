#include "model/error_text.h"

#include <QCoreApplication>

namespace ipcui {

namespace {

// Between a message's sentence and its details: a paragraph separator, which no error text contains.
const QChar DetailsMark(QChar::ParagraphSeparator);

QString tr(const char* text)
{
    return QCoreApplication::translate("ipcui", text);
}

// An error without a hint, in plain words by its kind.
QString kindSentence(ipccore::ErrorCode code)
{
    using C = ipccore::ErrorCode;
    switch (code) {
    case C::NotFound:
        return tr("it does not exist, or no longer does");
    case C::AlreadyExists:
        return tr("something of that name already exists");
    case C::PermissionDenied:
        return tr("the system does not permit it (permissions)");
    case C::WouldBlock:
        return tr("it would have had to wait");
    case C::TimedOut:
        return tr("it took too long and was given up");
    case C::LimitReached:
        return tr("a system limit was reached");
    case C::InvalidArgument:
        return tr("a value was not accepted");
    case C::MessageTooLarge:
        return tr("the message is larger than the object allows");
    case C::NotSupported:
        return tr("this system does not support it");
    case C::PeerGone:
        return tr("the process at the other end has gone");
    case C::Interrupted:
        return tr("it was interrupted");
    case C::Corrupt:
        return tr("the data is damaged");
    case C::Unexpected:
        break;
    }
    return tr("something unexpected happened");
}

} // namespace

QString errorText(const ipccore::Error& error)
{
    if (!error.hint.empty())
        return QString::fromStdString(error.hint);
    QString text = kindSentence(error.code);
    if (!error.object.empty())
        text += tr(" (%1)").arg(QString::fromStdString(error.object));
    text[0] = text[0].toUpper();
    return text;
}

QString errorText(const QString& action, const ipccore::Error& error)
{
    QString sentence = errorText(error);
    if (!sentence.isEmpty() && error.hint.empty())
        sentence[0] = sentence[0].toLower();
    return tr("%1: %2").arg(action, sentence) + DetailsMark + QString::fromStdString(error.message());
}

ErrorParts splitError(const QString& message)
{
    const qsizetype mark = message.indexOf(DetailsMark);
    if (mark < 0)
        return { message, {} };
    return { message.left(mark), message.mid(mark + 1) };
}

} // namespace ipcui
