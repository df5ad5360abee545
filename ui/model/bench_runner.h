#pragma once

// The GUI-thread facade of the bench: runs `ipclab-cli bench --json -` as a child process, one race at a time, and
// turns what it prints into signals: its progress lines ("[3/40] repeat 1/3: mq 64 B (ipccore)") on stderr into
// progress(), the JSON report on stdout into finished(), its one-line error into failed().
//
// Why a child process and not a thread: the bench forks a producer and a consumer per measurement and lets them run
// ipccore code without exec(). Forked from a multi-threaded process (this GUI has Qt's threads and the sampler),
// a child may inherit a lock some other thread held, and AddressSanitizer's allocator was seen to hang there.
// ipclab-cli is single-threaded while it measures, and the GUI stays a bystander.
//
// Nothing here blocks, except the destructor, which stops a race still going (SIGTERM: the bench cancels, reaps
// its processes and unlinks its objects) and waits for that. If the GUI dies, the child gets SIGTERM
// (PR_SET_PDEATHSIG) and cleans up the same way.

#include "ipccore/bench.h"

#include <QByteArray>
#include <QMetaType>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QTimer>

Q_DECLARE_METATYPE(ipccore::BenchReport)

namespace ipcui {

class BenchRunner : public QObject {
    Q_OBJECT
public:
    explicit BenchRunner(QObject* parent = nullptr);
    ~BenchRunner() override;

    // validateBenchOptions' verdict as the user reads it; empty when the options are valid.
    static QString check(const ipccore::BenchOptions& options);

    // ipclab-cli, by default next to this executable (where the build puts every binary).
    void setCliPath(const QString& path) { m_cliPath = path; }
    QString cliPath() const { return m_cliPath; }

    // Returns the reason for refusing (bad options, a race already going), or an empty string when started.
    QString start(const ipccore::BenchOptions& options);
    // The race stops soon after, with cancelled() (SIGTERM; a child still there after 10 s is killed, failed()).
    void cancel();
    bool isRunning() const { return m_running; }
    bool isCancelling() const { return m_running && m_cancelling; }
    // The pid of the last race's ipclab-cli (0 before the first); its objects are named "/ipclab-b<pid>-...".
    qint64 lastProcessId() const { return m_lastPid; }

signals:
    void runningChanged(bool running);
    void progress(int step, int steps, const QString& what);
    void finished(const ipccore::BenchReport& report);
    void cancelled();
    void failed(const QString& message);

private:
    void readProgress();
    void takeLine(const QByteArray& line);
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void onError(QProcess::ProcessError error);
    void setRunning(bool running);

    QProcess m_process;
    QTimer m_killTimer; // a cancel that has not ended the child in time becomes a kill
    QString m_cliPath;
    QByteArray m_stderr; // a progress line not yet complete
    QString m_cliError; // the child's last "ipclab-cli bench: ..." line, for failed()
    QString m_lastLine; // its last other non-progress line, when there is no such line
    qint64 m_lastPid = 0;
    bool m_starting = false; // inside QProcess::start(), which may fail synchronously
    bool m_cancelling = false;
    bool m_running = false;
};

} // namespace ipcui
