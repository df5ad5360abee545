#include "model/bench_runner.h"

#include "model/error_text.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QRegularExpression>

#include <csignal>
#include <pthread.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <utility>

namespace ipcui {

namespace {
// How long a cancelled race may take to reap its processes and unlink its objects before it is killed, and how long
// the destructor waits for that.
constexpr int StopWaitMs = 10000;
constexpr QLatin1StringView CliPrefix("ipclab-cli bench: ");
// A line longer than this is not a progress line; the buffer is not allowed to grow without bound.
constexpr qsizetype MaxLineBytes = 64 * 1024;

// The signals this GUI handles (quit_on_signal.h). Blocked around the fork, so none can run this process's handler
// in the child before exec (it would write to the self-pipe the child shares with the GUI, and the GUI would quit).
sigset_t handledSignals()
{
    sigset_t set;
    sigemptyset(&set);
    for (const int s : { SIGINT, SIGTERM, SIGHUP })
        sigaddset(&set, s);
    return set;
}
} // namespace

BenchRunner::BenchRunner(QObject* parent)
    : QObject(parent)
    , m_cliPath(QCoreApplication::applicationDirPath() + QStringLiteral("/ipclab-cli"))
{
    qRegisterMetaType<ipccore::BenchReport>();
    m_process.setProcessChannelMode(QProcess::SeparateChannels);
    connect(&m_process, &QProcess::readyReadStandardError, this, &BenchRunner::readProgress);
    connect(&m_process, &QProcess::finished, this, &BenchRunner::onFinished);
    connect(&m_process, &QProcess::errorOccurred, this, &BenchRunner::onError);
    connect(&m_process, &QProcess::started, this, [this] { m_lastPid = m_process.processId(); });
    m_killTimer.setSingleShot(true);
    m_killTimer.setInterval(StopWaitMs);
    connect(&m_killTimer, &QTimer::timeout, this, [this] {
        if (m_process.state() != QProcess::NotRunning)
            m_process.kill(); // the next start removes what it left (ipccore::cleanupStaleRuns)
    });
}

BenchRunner::~BenchRunner()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    // Blocking on purpose, at exit only: SIGTERM makes the bench cancel and unlink its objects; wait for that.
    m_process.disconnect(this);
    m_process.terminate();
    if (!m_process.waitForFinished(StopWaitMs)) {
        m_process.kill();
        m_process.waitForFinished(StopWaitMs);
    }
}

QString BenchRunner::check(const ipccore::BenchOptions& options)
{
    const ipccore::Status valid = ipccore::validateBenchOptions(options);
    return valid ? QString() : errorText(valid.error());
}

QString BenchRunner::start(const ipccore::BenchOptions& options)
{
    if (m_running)
        return tr("A race is already running; wait for it or cancel it.");
    const QString problem = check(options);
    if (!problem.isEmpty())
        return problem;
    if (!QFileInfo(m_cliPath).isExecutable())
        return tr("The race runs ipclab-cli, which was not found at %1. Build the ipclab-cli target (it is built "
                  "next to ipclab).")
            .arg(m_cliPath);

    QStringList arguments { QStringLiteral("bench") };
    for (const std::string& a : ipccore::benchCommandLine(options))
        arguments << QString::fromStdString(a);
    arguments << QStringLiteral("--json") << QStringLiteral("-");

    m_stderr.clear();
    m_lastLine.clear();
    m_cliError.clear();
    m_cancelling = false;
    const pid_t parent = getpid();
    m_process.setChildProcessModifier([parent] {
        // Between fork and exec: only async-signal-safe calls. Default dispositions first, then let the blocked
        // signals in; the bench installs its own handlers and cancels cleanly on SIGTERM.
        for (const int s : { SIGINT, SIGTERM, SIGHUP })
            signal(s, SIG_DFL);
        const sigset_t set = handledSignals();
        sigprocmask(SIG_UNBLOCK, &set, nullptr); // the child has one thread
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(1);
    });
    const sigset_t set = handledSignals();
    sigset_t previous;
    pthread_sigmask(SIG_BLOCK, &set, &previous);
    m_starting = true;
    m_process.start(m_cliPath, arguments, QIODevice::ReadOnly);
    m_starting = false;
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (m_process.state() == QProcess::NotRunning) // failed inside start() (fork, pipes, exec)
        return tr("The race could not start %1: %2").arg(m_cliPath, m_process.errorString());
    setRunning(true);
    return {};
}

void BenchRunner::cancel()
{
    if (!m_running || m_cancelling)
        return;
    m_cancelling = true;
    m_process.terminate();
    m_killTimer.start();
}

void BenchRunner::readProgress()
{
    m_stderr += m_process.readAllStandardError();
    for (qsizetype end = m_stderr.indexOf('\n'); end >= 0; end = m_stderr.indexOf('\n')) {
        takeLine(m_stderr.left(end));
        m_stderr.remove(0, end + 1);
    }
    if (m_stderr.size() > MaxLineBytes)
        m_stderr.clear();
}

void BenchRunner::takeLine(const QByteArray& bytes)
{
    static const QRegularExpression step(QStringLiteral("^\\[(\\d+)/(\\d+)\\] (.*)$"));
    const QString line = QString::fromLocal8Bit(bytes).trimmed();
    if (line.isEmpty())
        return;
    const QRegularExpressionMatch m = step.match(line);
    if (!m.hasMatch()) {
        // The bench's own one-line error wins over whatever else was printed (usage text, worker messages).
        if (line.startsWith(CliPrefix))
            m_cliError = line.mid(CliPrefix.size());
        m_lastLine = line;
        return;
    }
    // A late step of a cancelled race would overwrite "Cancelling…" for nothing.
    if (!m_cancelling)
        emit progress(m.captured(1).toInt() - 1, m.captured(2).toInt(), m.captured(3));
}

void BenchRunner::onFinished(int exitCode, QProcess::ExitStatus status)
{
    readProgress();
    if (!m_stderr.isEmpty()) // a last line without its newline
        takeLine(std::exchange(m_stderr, {}));
    m_killTimer.stop();
    const QByteArray out = m_process.readAllStandardOutput();
    setRunning(false);
    const QString why = !m_cliError.isEmpty() ? m_cliError : m_lastLine;
    // Our SIGTERM landed before the bench installed its handler: it died before creating anything (on Unix,
    // QProcess gives the signal as the exit code of a crash).
    if (m_cancelling && status == QProcess::CrashExit && exitCode == SIGTERM) {
        emit cancelled();
        return;
    }
    if (status == QProcess::CrashExit) {
        // Killed before it could clean up (by someone, or by the cancel's deadline): its objects stay until the next
        // start of ipclab, ipclab-cli or a race removes them.
        emit failed(tr("The race stopped: ipclab-cli bench was killed before it could clean up; the next race (or "
                       "ipclab-cli cleanup) removes what it left."));
        return;
    }
    // Cancelled: it exits 130 after unlinking everything. A measurement torn down by the cancel may first fail with
    // its own error; the user asked for the stop.
    if (m_cancelling) {
        emit cancelled();
        return;
    }
    if (exitCode != 0) {
        emit failed(tr("The race stopped: %1")
                        .arg(why.isEmpty() ? tr("ipclab-cli bench exited with status %1").arg(exitCode) : why));
        return;
    }
    const auto report = ipccore::benchReportFromJson(std::string_view(out.constData(), std::size_t(out.size())));
    if (!report) {
        emit failed(errorText(tr("The race finished but its report could not be read"), report.error()));
        return;
    }
    emit finished(*report);
}

void BenchRunner::onError(QProcess::ProcessError error)
{
    // FailedToStart inside start() is returned by start(); one found later (exec failed) ends the race here.
    if (error != QProcess::FailedToStart || m_starting || !m_running)
        return; // the other errors end in finished()
    m_killTimer.stop();
    setRunning(false);
    emit failed(tr("The race could not start %1: %2").arg(m_cliPath, m_process.errorString()));
}

void BenchRunner::setRunning(bool running)
{
    if (m_running == running)
        return;
    m_running = running;
    emit runningChanged(running);
}

} // namespace ipcui
