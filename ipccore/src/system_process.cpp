#include "ipccore/system_process.h"

#include "file_kind.h"
#include "ipccore/system_ipc.h"
#include "system_files.h"

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <map>
#include <optional>
#include <sys/syscall.h>

namespace ipccore {

namespace {

constexpr std::size_t MaxCommandLine = 512;

// The `index`th space-separated field of `text` (0-based) as a number, or nullopt.
std::optional<std::uint64_t> numberField(std::string_view text, int index)
{
    std::size_t at = 0;
    for (int i = 0; i < index; ++i) {
        at = text.find(' ', at);
        if (at == std::string_view::npos)
            return std::nullopt;
        ++at;
    }
    std::uint64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data() + at, end, value);
    if (ec != std::errc() || (ptr != end && *ptr != ' ' && *ptr != '\n'))
        return std::nullopt;
    return value;
}

// The real uid on the "Uid:" line of /proc/PID/status ("Uid:\t1000\t1000\t1000\t1000").
std::optional<std::uint32_t> statusUid(std::string_view status)
{
    const std::size_t at = status.find("\nUid:");
    if (at == std::string_view::npos)
        return std::nullopt;
    std::size_t p = at + 5;
    while (p < status.size() && (status[p] == '\t' || status[p] == ' '))
        ++p;
    std::uint32_t uid = 0;
    const auto [ptr, ec] = std::from_chars(status.data() + p, status.data() + status.size(), uid);
    if (ec != std::errc() || ptr == status.data() + p)
        return std::nullopt;
    return uid;
}

// Start time of `pid` read now from /proc/PID/stat, or nullopt when it is gone.
std::optional<std::uint64_t> startTicksOf(int pid)
{
    // Only the stat line: the command line and the owner readProcessInfo also reads are not needed here.
    const std::string path = "/proc/" + std::to_string(pid);
    detail::Fd dir(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ProcessInfo info;
    const auto stat = dir ? detail::readSmallFile(dir.get(), "stat", 1024) : std::nullopt;
    if (!stat || !parseProcessStat(*stat, info))
        return std::nullopt;
    return info.startTicks;
}

} // namespace

bool parseProcessStat(std::string_view line, ProcessInfo& info)
{
    // "PID (COMM) S PPID ...": the name may hold anything up to 15 bytes, ')' and spaces too, so the fields start
    // after the last ')'.
    const std::size_t close = line.rfind(')');
    if (close == std::string_view::npos || close + 4 > line.size() || line[close + 1] != ' ')
        return false;
    const std::string_view fields = line.substr(close + 2); // field 3 (state) is fields' index 0
    const auto utime = numberField(fields, 11); // field 14
    const auto stime = numberField(fields, 12); // field 15
    const auto start = numberField(fields, 19); // field 22
    const auto ppid = numberField(fields, 1); // field 4
    if (!utime || !stime || !start || !ppid)
        return false;
    info.state = fields[0];
    info.ppid = int(*ppid);
    info.cpuTicks = *utime + *stime;
    info.startTicks = *start;
    return true;
}

const char* processStateName(char state)
{
    switch (state) {
    case 'R':
        return "running";
    case 'S':
        return "sleeping";
    case 'D':
        return "uninterruptible";
    case 'T':
        return "stopped";
    case 't':
        return "traced";
    case 'Z':
        return "zombie";
    case 'X':
        return "dead";
    case 'I':
        return "idle";
    default:
        return "unknown";
    }
}

ProcessInfo readProcessInfo(int pid)
{
    ProcessInfo info;
    if (pid <= 0)
        return info;
    const std::string path = "/proc/" + std::to_string(pid);
    detail::Fd dir(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir)
        return info;
    const auto stat = detail::readSmallFile(dir.get(), "stat", 1024);
    if (!stat || !parseProcessStat(*stat, info))
        return info;
    // The real uid from status: /proc/PID itself belongs to root when the process made itself non-dumpable, and a
    // confirmation must not name root as the owner of someone's process.
    const auto status = detail::readSmallFile(dir.get(), "status", 4096);
    const auto uid = status ? statusUid(*status) : std::nullopt;
    if (!uid)
        return info;
    info.exists = true;
    info.uid = *uid;
    // Names cached per thread: the watch lists its processes every second.
    thread_local std::map<std::uint32_t, std::string> names;
    auto named = names.find(*uid);
    if (named == names.end()) {
        std::string name = detail::accountName(uid_t(*uid));
        named = names.emplace(*uid, name.empty() ? std::to_string(*uid) : name).first;
    }
    info.owner = named->second;
    std::string args = detail::readSmallFile(dir.get(), "cmdline", MaxCommandLine).value_or("");
    while (!args.empty() && args.back() == '\0')
        args.pop_back();
    for (char& c : args)
        c = c == '\0' ? ' ' : c;
    if (args.empty()) {
        const std::size_t open = stat->find('('), close = stat->rfind(')');
        if (open != std::string::npos && close > open)
            args = "[" + stat->substr(open + 1, close - open - 1) + "]";
    }
    info.commandLine = printableText(args);
    return info;
}

std::string signalProcess(int pid, std::uint64_t startTicks, int signal)
{
    if (pid <= 0)
        return "there is no process " + std::to_string(pid);
    const int pidfd = int(syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
        if (errno == ESRCH)
            return "process " + std::to_string(pid) + " has exited";
        return "cannot reach process " + std::to_string(pid) + ": " + std::strerror(errno);
    }
    detail::Fd owned(pidfd);
    // The descriptor now holds whichever process had the pid; it is the one shown only if that one still has it.
    const auto start = startTicksOf(pid);
    if (!start || *start != startTicks)
        return "process " + std::to_string(pid) + " has exited (its pid now belongs to another process, or to none)";
    if (syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0) != 0) {
        if (errno == EPERM)
            return "no permission to signal process " + std::to_string(pid)
                + ": it belongs to another user (its owner or root may)";
        if (errno == ESRCH)
            return "process " + std::to_string(pid) + " has exited";
        return "cannot signal process " + std::to_string(pid) + ": " + std::strerror(errno);
    }
    return {};
}

} // namespace ipccore
