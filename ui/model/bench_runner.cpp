#include "model/bench_runner.h"

#include "model/error_text.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QRegularExpression>

#include <csignal>
#include <sys/prctl.h>
#include <unistd.h>

namespace ipcui {

namespace {
// How long the destructor waits for a cancelled race to reap its processes and unlink its objects.
constexpr int StopWaitMs = 10000;
constexpr QLatin1StringView CliPrefix("ipclab-cli bench: ");
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
    m_lastMessage.clear();
    m_cancelling = false;
    const pid_t parent = getpid();
    m_process.setChildProcessModifier([parent] {
        // Between fork and exec: only async-signal-safe calls. The bench cancels cleanly on SIGTERM.
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(1);
    });
    setRunning(true);
    m_process.start(m_cliPath, arguments, QIODevice::ReadOnly);
    return {};
}

void BenchRunner::cancel()
{
    if (!m_running || m_cancelling)
        return;
    m_cancelling = true;
    m_process.terminate();
}

void BenchRunner::readProgress()
{
    static const QRegularExpression step(QStringLiteral("^\\[(\\d+)/(\\d+)\\] (.*)$"));
    m_stderr += m_process.readAllStandardError();
    for (qsizetype end = m_stderr.indexOf('\n'); end >= 0; end = m_stderr.indexOf('\n')) {
        const QString line = QString::fromLocal8Bit(m_stderr.left(end)).trimmed();
        m_stderr.remove(0, end + 1);
        if (line.isEmpty())
            continue;
        const QRegularExpressionMatch m = step.match(line);
        if (!m.hasMatch()) {
            m_lastMessage = line.startsWith(CliPrefix) ? line.mid(CliPrefix.size()) : line;
            continue;
        }
        // A late step of a cancelled race would overwrite "Cancelling…" for nothing.
        if (!m_cancelling)
            emit progress(m.captured(1).toInt() - 1, m.captured(2).toInt(), m.captured(3));
    }
}

void BenchRunner::onFinished(int exitCode, QProcess::ExitStatus status)
{
    readProgress();
    const QByteArray out = m_process.readAllStandardOutput();
    setRunning(false);
    // A measurement torn down by the cancel may fail with its own error first; the user asked for the stop.
    if (m_cancelling) {
        emit cancelled();
        return;
    }
    if (status == QProcess::CrashExit) {
        emit failed(tr("The race stopped: ipclab-cli bench died (%1)").arg(m_process.errorString()));
        return;
    }
    if (exitCode != 0) {
        emit failed(tr("The race stopped: %1")
                        .arg(m_lastMessage.isEmpty() ? tr("ipclab-cli bench exited with status %1").arg(exitCode)
                                                     : m_lastMessage));
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
    if (error != QProcess::FailedToStart)
        return; // the others end in finished()
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
