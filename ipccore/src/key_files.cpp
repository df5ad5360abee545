#include "key_files.h"

#include "sys_error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <cstdint>
#include <sstream>

namespace ipccore::detail {

namespace {

// A file of public keys holds at most this many bytes (a few thousand keys).
constexpr std::size_t MaxPublicKeyFileBytes = 256 * 1024;

Result<std::string> readAll(int fd, const std::string& path, std::size_t limit)
{
    std::string text(limit, '\0');
    std::size_t done = 0;
    while (done < limit) {
        const ssize_t n = ::read(fd, text.data() + done, limit - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sysError("read", path, errno);
        if (n == 0)
            break;
        done += std::size_t(n);
    }
    text.resize(done);
    return text;
}

// open() of a file IPC Lab reads keys or endpoints from, never through a symbolic link.
Error openError(const std::string& path, int err)
{
    if (err == ELOOP)
        return makeError(ErrorCode::PermissionDenied, "open", path,
            "It is a symbolic link; IPC Lab reads keys only from the file itself (give its real path)", err);
    if (err == ENOENT)
        return makeError(ErrorCode::NotFound, "open", path,
            "There is no such file: check the path ('ipclab-cli host --keygen NAME' writes NAME.key and NAME.pub; a "
            "scenario's key files are read from the scenario file's folder)",
            err);
    return sysError("open", path, err);
}

} // namespace

Status writeNewFile(const std::string& path, const std::string& text, mode_t mode)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        if (errno == EEXIST)
            return makeError(ErrorCode::AlreadyExists, "open", path,
                "A file (or link) of that name exists; IPC Lab writes only files it makes itself: remove it or "
                "choose another name",
                EEXIST);
        return sysError("open", path, errno);
    }
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int err = n < 0 ? errno : EIO;
            ::close(fd);
            ::unlink(path.c_str()); // no half of a key or an endpoint is left behind
            return sysError("write", path, err);
        }
        done += std::size_t(n);
    }
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(path.c_str());
        return sysError("close", path, err);
    }
    return {};
}

Result<std::string> readOwnFile(const std::string& path, std::size_t limit)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return openError(path, errno);
    struct stat st { };
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        ::close(fd);
        return makeError(ErrorCode::PermissionDenied, "open", path,
            "Not a private file of this user (a regular file of yours that only you may read: chmod 600 it); IPC "
            "Lab reads secrets only from such files");
    }
    auto text = readAll(fd, path, limit);
    ::close(fd);
    return text;
}

bool isZ85Key(const std::string& text)
{
    std::uint8_t key[32];
    return text.size() == KeyChars && zmq_z85_decode(key, text.c_str()) != nullptr;
}

Result<std::string> readKeyFile(const std::string& path)
{
    auto text = readOwnFile(path, KeyChars + 2);
    if (!text)
        return text.error();
    if (text->size() != KeyChars + 1 || text->back() != '\n' || !isZ85Key(text->substr(0, KeyChars)))
        return makeError(ErrorCode::Corrupt, "read", path,
            "Not a key file: it should hold one CURVE key (40 characters of Z85) and a newline, as IPC Lab writes "
            "them");
    text->pop_back();
    return text;
}

Result<std::vector<std::string>> readPublicKeys(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return openError(path, errno);
    struct stat st { };
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_uid != geteuid() && st.st_uid != 0)
        || (st.st_mode & 022) != 0) {
        ::close(fd);
        return makeError(ErrorCode::PermissionDenied, "open", path,
            "A file of keys must be a regular file of yours (or root's) that nobody else may change (chmod "
            "go-w); otherwise another user could add a key of their own");
    }
    auto text = readAll(fd, path, MaxPublicKeyFileBytes + 1);
    ::close(fd);
    if (!text)
        return text.error();
    if (text->size() > MaxPublicKeyFileBytes)
        return makeError(ErrorCode::LimitReached, "read", path,
            "A file of keys may have at most " + std::to_string(MaxPublicKeyFileBytes / 1024) + " KiB");
    std::vector<std::string> keys;
    std::istringstream lines(*text);
    int number = 0;
    for (std::string line; std::getline(lines, line);) {
        ++number;
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
            line.pop_back();
        const auto start = line.find_first_not_of(" \t");
        if (start == std::string::npos || line[start] == '#')
            continue;
        line.erase(0, start);
        if (!isZ85Key(line))
            return makeError(ErrorCode::Corrupt, "read", path,
                "Line " + std::to_string(number)
                    + " is not a public key (40 characters of Z85, as in a .pub file 'ipclab-cli host --keygen' "
                      "writes)");
        keys.push_back(line);
    }
    if (keys.empty())
        return makeError(
            ErrorCode::Corrupt, "read", path, "No key in it: put one public key per line (the contents of .pub files)");
    return keys;
}

} // namespace ipccore::detail
