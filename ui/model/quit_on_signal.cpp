#include "model/quit_on_signal.h"

#include <QCoreApplication>
#include <QSocketNotifier>

#include <csignal>
#include <fcntl.h>
#include <unistd.h>

namespace ipcui {

namespace {
int g_pipe[2] = { -1, -1 };
bool g_quitting = false; // set and read on the GUI thread only

// Async-signal-safe: only write(2) to the self-pipe; the event loop does the rest.
void onSignal(int signo)
{
    const char byte = char(signo);
    [[maybe_unused]] const ssize_t written = ::write(g_pipe[1], &byte, 1);
}
} // namespace

void quitOnTerminationSignals()
{
    if (g_pipe[0] >= 0)
        return;
    if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return;
    auto* notifier = new QSocketNotifier(g_pipe[0], QSocketNotifier::Read, QCoreApplication::instance());
    QObject::connect(notifier, &QSocketNotifier::activated, notifier, [] {
        char bytes[16];
        while (::read(g_pipe[0], bytes, sizeof bytes) > 0) { }
        g_quitting = true;
        QCoreApplication::quit();
    });
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (const int signo : { SIGINT, SIGTERM, SIGHUP })
        ::sigaction(signo, &action, nullptr);
}

bool quittingOnSignal()
{
    return g_quitting;
}

} // namespace ipcui
