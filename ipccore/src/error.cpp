#include "ipccore/result.h"

#include "sys_error.h"

#include <cstring>

namespace ipccore {

const char* errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::NotFound:
        return "not found";
    case ErrorCode::AlreadyExists:
        return "already exists";
    case ErrorCode::PermissionDenied:
        return "permission denied";
    case ErrorCode::WouldBlock:
        return "would block";
    case ErrorCode::TimedOut:
        return "timed out";
    case ErrorCode::LimitReached:
        return "limit reached";
    case ErrorCode::InvalidArgument:
        return "invalid argument";
    case ErrorCode::MessageTooLarge:
        return "message too large";
    case ErrorCode::NotSupported:
        return "not supported";
    case ErrorCode::PeerGone:
        return "peer gone";
    case ErrorCode::Interrupted:
        return "interrupted";
    case ErrorCode::Corrupt:
        return "corrupt data";
    case ErrorCode::Unexpected:
        return "unexpected error";
    }
    return "unknown error";
}

std::string Error::message() const
{
    std::string text = operation;
    if (!object.empty())
        text += "(\"" + object + "\")";
    text += " failed: ";
    text += errorCodeName(code);
    if (sysErrno != 0) {
        text += " (";
        const char* name = strerrorname_np(sysErrno);
        text += name ? name : std::to_string(sysErrno);
        text += ")";
    }
    if (!hint.empty())
        text += ". " + hint;
    return text;
}

namespace detail {

ErrorCode errnoToCode(int err)
{
    switch (err) {
    case ENOENT:
        return ErrorCode::NotFound;
    case EEXIST:
    case EADDRINUSE:
        return ErrorCode::AlreadyExists;
    case EACCES:
    case EPERM:
        return ErrorCode::PermissionDenied;
    case EAGAIN:
        return ErrorCode::WouldBlock;
    case ETIMEDOUT:
        return ErrorCode::TimedOut;
    case EMFILE:
    case ENFILE:
    case ENOSPC:
    case ENOMEM:
    case EOVERFLOW:
        return ErrorCode::LimitReached;
    case EINVAL:
    case ENAMETOOLONG:
    case EBADF:
        return ErrorCode::InvalidArgument;
    case EMSGSIZE:
        return ErrorCode::MessageTooLarge;
    case ENOSYS:
    case EOPNOTSUPP:
        return ErrorCode::NotSupported;
    case EPIPE:
    case ECONNRESET:
    case ECONNREFUSED:
    case ENXIO:
        return ErrorCode::PeerGone;
    case EINTR:
        return ErrorCode::Interrupted;
    default:
        return ErrorCode::Unexpected;
    }
}

static std::string genericHint(int err)
{
    switch (err) {
    case ENOENT:
        return "No object has this name. Check the name, or create it first";
    case EEXIST:
    case EADDRINUSE:
        return "An object with this name already exists. If it is yours, left by a run that died, ipclab-cli "
               "cleanup removes it; if another user owns it (ls -l /dev/shm), it stays: pick another name";
    case EACCES:
    case EPERM:
        return "Another user owns this object or its mode forbids access. Use a name of your own";
    case EMFILE:
        return "This process has too many open descriptors or queues (ulimit -n / ulimit -q). Close some "
               "or raise the limit";
    case ENFILE:
        return "The system-wide limit on open files is reached. Close programs or raise fs.file-max";
    case ENOSPC:
        return "No space left (/dev/shm full, or a system-wide object count reached). Free space or remove "
               "unused objects";
    case ENOMEM:
        return "Not enough memory for this size. Use a smaller size";
    case ENAMETOOLONG:
        return "The name is too long. Use at most 200 characters after the leading '/'";
    case EMSGSIZE:
        return "The message does not fit: it is larger than the queue's message size";
    case EPIPE:
    case ECONNRESET:
        return "The other end has closed (its process exited)";
    case ECONNREFUSED:
    case ENXIO:
        return "Nobody is listening on the other end yet";
    default:
        return {};
    }
}

Error sysError(std::string operation, std::string object, int err, std::string hint)
{
    Error e;
    e.code = errnoToCode(err);
    e.sysErrno = err;
    e.operation = std::move(operation);
    e.object = std::move(object);
    e.hint = hint.empty() ? genericHint(err) : std::move(hint);
    return e;
}

Error makeError(ErrorCode code, std::string operation, std::string object, std::string hint, int err)
{
    Error e;
    e.code = code;
    e.sysErrno = err;
    e.operation = std::move(operation);
    e.object = std::move(object);
    e.hint = std::move(hint);
    return e;
}

} // namespace detail
} // namespace ipccore
