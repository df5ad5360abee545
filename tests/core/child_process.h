#pragma once

// Two-process tests: the other side of an IPC object runs in a forked child that reports success through its exit
// status (QTest macros must not run in the child), and the parent can wait until it is really blocked.

#include <QtGlobal>

#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <sys/types.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace ipctest {

// Runs body() in a child process and _exit()s with its result, so no destructor or atexit handler of the test
// process runs twice.
template <typename Body> pid_t forkChild(Body body)
{
    const pid_t pid = fork();
    if (pid == 0)
        _exit(body());
    return pid;
}

// Exit status of the child, or 128 + signal when it was killed; -1 if waitpid failed.
inline int waitChild(pid_t pid)
{
    int status = 0;
    pid_t r;
    do {
        r = waitpid(pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    if (r != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Kills and reaps a child still there when the test leaves early (a failed check returns from the test function), so
// no child outlives the test; release() once the test has waited for it itself.
class ChildGuard {
public:
    explicit ChildGuard(pid_t pid)
        : m_pid(pid)
    { }
    ChildGuard(const ChildGuard&) = delete;
    ChildGuard& operator=(const ChildGuard&) = delete;
    ~ChildGuard()
    {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            waitChild(m_pid);
        }
    }
    void release() { m_pid = -1; }

private:
    pid_t m_pid;
};

// Polls /proc until pid's main thread sleeps in a system call (state 'S'), at most `limit`. Used by a child to
// act only once the parent is inside a blocking call; if the deadline passes the child acts anyway, which only
// makes the test weaker, never wrong.
inline bool waitUntilSleeping(pid_t pid, std::chrono::milliseconds limit = std::chrono::milliseconds(5000))
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
        std::string text;
        std::getline(in, text);
        const auto close = text.rfind(')');
        if (close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'S')
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
}

} // namespace ipctest
