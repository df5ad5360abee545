#include "json_file.h"

#include "file_kind.h"
#include "sys_error.h"

#include <algorithm>
#include <cmath>
#include <fcntl.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace ipccore::detail {

// "4 GiB (4294967296 bytes)": the round figure to read, the exact one to compare with df or ulimit.
std::string byteCountText(std::uint64_t bytes)
{
    const char* units[] = { "KiB", "MiB", "GiB", "TiB" };
    double value = double(bytes);
    int unit = -1;
    while (value >= 1024 && unit < 3) {
        value /= 1024;
        ++unit;
    }
    if (unit < 0)
        return std::to_string(bytes) + " bytes";
    std::ostringstream out;
    out << std::round(value * 10) / 10 << " " << units[unit] << " (" << bytes << " bytes)";
    return out.str();
}

Error jsonFileTooLarge(
    const std::string& source, const std::string& size, std::size_t maxBytes, const JsonFileWords& words)
{
    return makeError(ErrorCode::LimitReached, "load " + words.kind, source,
        "The file is " + size + "; a " + words.kind + " is a small JSON file of at most " + byteCountText(maxBytes)
            + ". Check the path names your " + words.kind);
}

Result<std::string> readJsonFile(const std::string& path, std::size_t maxBytes, const JsonFileWords& words)
{
    const auto cannotOpen = [&](int err) {
        return sysError("open " + words.kind, path, err,
            "The " + words.kind + " file cannot be read. Check the path, or " + words.listHint);
    };
    const auto notRegular = [&](mode_t mode) {
        return makeError(ErrorCode::InvalidArgument, "load " + words.kind, path,
            "The path is " + std::string(fileKindText(mode))
                + ", not a regular file, so it is not read. Give the path of a " + words.kind + " .json file, or "
                + words.listHint);
    };
    // Look before opening: opening a device can have side effects, and a socket cannot be opened at all.
    struct stat st { };
    if (stat(path.c_str(), &st) != 0)
        return cannotOpen(errno);
    if (!S_ISREG(st.st_mode))
        return notRegular(st.st_mode);
    // O_NONBLOCK: if a FIFO was swapped in since stat, open returns at once instead of waiting for a writer, and
    // fstat below refuses it. On a regular file the flag changes nothing.
    const int fd = retryOnEintr([&] { return open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY); });
    if (fd < 0)
        return cannotOpen(errno);
    struct Closer {
        int fd;
        ~Closer() { close(fd); }
    } closer { fd };
    if (fstat(fd, &st) != 0)
        return cannotOpen(errno);
    if (!S_ISREG(st.st_mode))
        return notRegular(st.st_mode);
    if (std::uint64_t(st.st_size) > maxBytes)
        return jsonFileTooLarge(path, byteCountText(std::uint64_t(st.st_size)), maxBytes, words);
    // The size may be wrong (a file in /proc says 0, a file may grow while read): read at most one byte more
    // than the limit, which is enough to know the limit was passed.
    std::string text(maxBytes + 1, '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        const ssize_t n = retryOnEintr([&] { return read(fd, text.data() + got, text.size() - got); });
        if (n < 0)
            return cannotOpen(errno);
        if (n == 0)
            break;
        got += std::size_t(n);
    }
    if (got > maxBytes)
        return jsonFileTooLarge(path, "larger than " + byteCountText(maxBytes), maxBytes, words);
    text.resize(got);
    return text;
}

Result<nlohmann::json> parseJsonText(std::string_view text, const std::string& source, const JsonFileWords& words)
{
    try {
        return nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::parse_error& e) {
        // Turn the byte offset into a line and column a person can find.
        std::size_t line = 1, column = 1;
        for (std::size_t k = 0; k + 1 < e.byte && k < text.size(); ++k) {
            if (text[k] == '\n') {
                ++line;
                column = 1;
            } else
                ++column;
        }
        return makeError(ErrorCode::InvalidArgument, "load " + words.kind, source,
            "Not valid JSON at line " + std::to_string(line) + ", column " + std::to_string(column)
                + ". Fix the syntax there (a missing comma, quote or bracket is the usual cause)");
    } catch (const nlohmann::json::exception& e) {
        // Valid syntax the parser still refuses, such as a number too large for a double (found by the fuzzer).
        return makeError(ErrorCode::InvalidArgument, "load " + words.kind, source,
            std::string("The JSON cannot be read: ") + e.what() + ". Check the numbers and strings in the file");
    }
}

std::optional<FieldProblem> unknownField(
    const nlohmann::json& obj, const std::string& path, std::initializer_list<const char*> allowed)
{
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        if (std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return it.key() == a; }))
            continue;
        std::string list;
        for (const char* a : allowed)
            list += std::string(list.empty() ? "" : ", ") + a;
        return FieldProblem { path + it.key(), "unknown field (known fields: " + list + ")" };
    }
    return std::nullopt;
}

} // namespace ipccore::detail
