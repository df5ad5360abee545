#pragma once

// Private: what a path is, in words, for messages such as "it is a symbolic link" or "the path is a FIFO (named
// pipe), not a regular file". One wording for the scenario loader and the runtime-directory checks.

#include <sys/stat.h>

namespace ipccore::detail {

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
