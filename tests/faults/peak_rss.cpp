// peak_rss REPORT PROGRAM [ARGS...]: runs PROGRAM as its child, waits for it, and writes "<peak KiB> <pid>" to
// REPORT: the child's ru_maxrss from wait4 and its process id. It exits as the child did.
//
// Why a process in between: some kernels count in a child's ru_maxrss the pages it shared with its parent at fork
// (seen on a CI machine: 46 to 115 MB for an ipclab-cli refusal that peaks at 4 MB), and the test process that
// measures is a large Qt program. Forked from this small one instead, the child's figure is its own.

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: peak_rss REPORT PROGRAM [ARGS...]\n");
        return 125;
    }
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid == 0) {
        // Killed with this process (the test kills it at its deadline), never left running on its own.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(126);
        execv(argv[2], argv + 2);
        _exit(127);
    }
    if (pid < 0)
        return 126;
    int status = 0;
    rusage usage {};
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR)
            return 126;
    }
    if (FILE* report = std::fopen(argv[1], "w")) {
        std::fprintf(report, "%ld %d\n", usage.ru_maxrss, int(pid));
        std::fclose(report);
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    std::signal(WTERMSIG(status), SIG_DFL);
    std::raise(WTERMSIG(status));
    return 128 + WTERMSIG(status);
}
