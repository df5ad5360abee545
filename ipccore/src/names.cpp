#include "ipccore/names.h"

#include "sys_error.h"

namespace ipccore {

static bool isNameChar(char c, bool allowDot)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'
        || (allowDot && c == '.');
}

Status validateObjectName(std::string_view name)
{
    auto bad = [&](const std::string& why) {
        return detail::makeError(ErrorCode::InvalidArgument, "validate name", std::string(name),
            why + ". Use '/' followed by letters, digits, '_', '-' or '.', for example /ipclab-demo");
    };
    if (name.empty() || name[0] != '/')
        return bad("A POSIX IPC name must start with exactly one '/'");
    const std::string_view rest = name.substr(1);
    if (rest.empty())
        return bad("The name is empty after the '/'");
    if (rest.size() > MaxNameLength)
        return bad("The name is " + std::to_string(rest.size()) + " characters long; the maximum is "
            + std::to_string(MaxNameLength));
    if (rest == "." || rest == "..")
        return bad("'.' and '..' are reserved");
    if (rest.substr(0, 4) == "sem.")
        return bad("Names starting with 'sem.' are reserved for named semaphores in /dev/shm");
    for (char c : rest) {
        if (c == '/')
            return bad("A '/' is only allowed as the first character");
        if (!isNameChar(c, true))
            return bad(
                std::string("The character '") + (c >= 32 && c < 127 ? std::string(1, c) : "?") + "' is not allowed");
    }
    return {};
}

Status validateShortName(std::string_view name, std::string_view field)
{
    auto bad = [&](const std::string& why) {
        return detail::makeError(ErrorCode::InvalidArgument, "validate " + std::string(field), std::string(name),
            why + ". Use 1 to 48 letters, digits, '_' or '-'");
    };
    if (name.empty())
        return bad("The name is empty");
    if (name.size() > 48)
        return bad("The name is " + std::to_string(name.size()) + " characters long");
    for (char c : name) {
        if (!isNameChar(c, false))
            return bad(
                std::string("The character '") + (c >= 32 && c < 127 ? std::string(1, c) : "?") + "' is not allowed");
    }
    return {};
}

} // namespace ipccore
