#pragma once

// Any process on the machine as the window's watched objects show it (from /proc/PID/stat and /proc/PID/cmdline),
// and a signal sent to it safely. The processes using another program's objects are not ours: a pid names a process
// only while that process lives, and is handed to a new one after it exits, so a pause or a kill must reach the one
// that was shown and no later holder of its pid.
//
// readProcessInfo() blocks on /proc reads; call it off any GUI thread, like scanSystemIpc() (system_ipc.h).

#include <cstdint>
#include <string>
#include <string_view>

namespace ipccore {

struct ProcessInfo {
    bool exists = false; // false: gone (or /proc/PID/stat could not be read)
    // R running, S sleeping, D uninterruptible (disk, or a stalled mount), T stopped (SIGSTOP, Ctrl+Z), t traced,
    // Z exited but not yet reaped, I idle kernel thread.
    char state = '?';
    int ppid = 0; // its parent
    std::uint64_t cpuTicks = 0; // user + system time, in clock ticks (sysconf(_SC_CLK_TCK) a second)
    // When it started, in clock ticks since boot: with the pid, it names this process and no later one.
    std::uint64_t startTicks = 0;
    std::uint32_t uid = 0; // owner of /proc/PID
    std::string owner; // uid's account name, or the uid as text when it has none
    // Its command line with spaces between the arguments, printable (printableText) and at most 512 bytes; the
    // command name in brackets ("[kworker/0:1]") when it has none (a kernel thread, a zombie).
    std::string commandLine;
};

ProcessInfo readProcessInfo(int pid);

// "running", "sleeping", "stopped", ...: the word for ProcessInfo::state.
const char* processStateName(char state);

// The fields of a /proc/PID/stat line (its command name may hold spaces and ')'); false when it is malformed.
bool parseProcessStat(std::string_view line, ProcessInfo& info);

// Sends `signal` to process `pid` if it is still the one that started at `startTicks`: pidfd_open(), then its start
// time read again, then pidfd_send_signal(), so a pid handed to another process meanwhile is never signalled.
// Returns "" when sent, or a sentence saying why not ("it has exited", "no permission: it belongs to another user").
std::string signalProcess(int pid, std::uint64_t startTicks, int signal);

} // namespace ipccore
