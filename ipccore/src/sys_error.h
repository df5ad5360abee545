#pragma once

// Private: the one place errno becomes an ipccore::Error, and the one EINTR-retry helper.

#include "ipccore/result.h"

#include <cerrno>
#include <string>

namespace ipccore::detail {

ErrorCode errnoToCode(int err);

// Builds an Error from errno. When hint is empty a generic remedy for that errno is used.
Error sysError(std::string operation, std::string object, int err, std::string hint = {});

Error makeError(ErrorCode code, std::string operation, std::string object, std::string hint, int err = 0);

// Repeats a system call while it fails with EINTR (for calls without a deadline).
template <typename F> auto retryOnEintr(F&& call)
{
    decltype(call()) rc;
    do {
        rc = call();
    } while (rc == -1 && errno == EINTR);
    return rc;
}

} // namespace ipccore::detail
