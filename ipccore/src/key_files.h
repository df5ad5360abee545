#pragma once

// Private: the small files IPC Lab writes for itself and reads back (a zmq-tcp object's keys and endpoint, a worker
// host's keys), and CURVE keys in them. A key is Z85 text of 40 characters (ZeroMQ's zmq_z85_encode of 32 bytes);
// a key file holds one key and a newline.

#include "ipccore/result.h"

#include <sys/types.h>

#include <string>
#include <vector>

namespace ipccore::detail {

constexpr std::size_t KeyChars = 40;

// A new file with `text` in it and the given mode (umask applies); an existing file or link is refused (O_EXCL,
// O_NOFOLLOW), and nothing is left behind when the write fails.
Status writeNewFile(const std::string& path, const std::string& text, mode_t mode = 0600);

// At most `limit` bytes of a file this user made for itself: a regular file (not a link), owned by this user, that
// nobody else may read or write. NotFound while it is not there.
Result<std::string> readOwnFile(const std::string& path, std::size_t limit);

// The key in a private key file (readOwnFile, then one key and a newline).
Result<std::string> readKeyFile(const std::string& path);

// The public keys in a file others may read but nobody else may change: a regular file owned by this user or root,
// not writable by group or others. One key per line; empty lines and lines starting with '#' are skipped.
Result<std::vector<std::string>> readPublicKeys(const std::string& path);

// True when `text` is a CURVE key in Z85.
bool isZ85Key(const std::string& text);

} // namespace ipccore::detail
