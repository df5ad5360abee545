#pragma once

// Private: a file's kind, mode and owner in words, for messages such as "it is a symbolic link", "the path is a
// FIFO (named pipe), not a regular file" or "owned by uid 1001 (alice), mode 0777". One wording for the scenario
// loader, the runtime-directory checks and the listing of the machine's IPC objects.

#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <pwd.h>
#include <string>
#include <vector>

namespace ipccore::detail {

// "0644": the permission bits in octal, as ls -l and chmod know them.
inline std::string fileModeText(std::uint32_t mode)
{
    char text[8];
    std::snprintf(text, sizeof text, "%04o", unsigned(mode & 07777));
    return text;
}

// The account name of `uid` ("alice"), or "" when it has none. getpwuid_r: the System tab lists from a thread.
inline std::string accountName(uid_t uid)
{
    passwd entry {};
    passwd* found = nullptr;
    std::vector<char> buffer(16384);
    if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found && found->pw_name)
        return found->pw_name;
    return {};
}

inline const char* fileKindText(mode_t mode)
{
    if (S_ISREG(mode))
        return "a regular file";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISLNK(mode))
        return "a symbolic link";
    if (S_ISFIFO(mode))
        return "a FIFO (named pipe)";
    if (S_ISCHR(mode))
        return "a character device (like /dev/zero or a terminal)";
    if (S_ISBLK(mode))
        return "a block device (a disk)";
    if (S_ISSOCK(mode))
        return "a Unix socket";
    return "a special file";
}

} // namespace ipccore::detail
