#include "model/watch_monitor.h"

#include "model/printable_text.h"

#include <QTimer>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <unistd.h>

namespace ipcui {

namespace {

using Clock = std::chrono::steady_clock;

// "(full)", "(empty)", "(value 0)": the state that makes a call on the object sleep.
std::string stateWord(const ipccore::SystemObject& o)
{
    if (o.kind == ipccore::SystemObjectKind::MessageQueue && o.depth && o.capacity) {
        if (*o.depth >= *o.capacity)
            return " (full)";
        if (*o.depth == 0)
            return " (empty)";
        return " (" + std::to_string(*o.depth) + " of " + std::to_string(*o.capacity) + ")";
    }
    if (o.kind == ipccore::SystemObjectKind::Semaphore && o.value)
        return " (value " + std::to_string(*o.value) + ")";
    return {};
}

} // namespace

// Lives in the monitor's thread: its timer fires there, so every read runs there.
class WatchSampler : public QObject {
    Q_OBJECT
public:
    explicit WatchSampler(Clock::time_point origin)
        : m_origin(origin)
    { }

    void setTargets(int generation, const std::vector<ipccore::WatchTarget>& targets)
    {
        m_generation = generation;
        const bool wasWatching = m_watch != nullptr;
        m_watch.reset();
        if (!m_timer) {
            m_timer = new QTimer(this);
            m_timer->setTimerType(Qt::PreciseTimer);
            connect(m_timer, &QTimer::timeout, this, &WatchSampler::sample);
        }
        if (targets.empty()) {
            m_timer->stop();
            m_cpu.clear();
            return;
        }
        if (!wasWatching)
            m_origin = Clock::now(); // "time watched" starts at 0 (histories were emptied with the last target)
        m_watch = std::make_unique<ipccore::SystemWatch>(targets);
        m_samples = 0;
        m_timer->start(WatchMonitor::SampleIntervalMs);
        sample();
    }

    void signalProcess(int pid, std::uint64_t startTicks, int signal)
    {
        emit signalled(pid, signal, QString::fromStdString(ipccore::signalProcess(pid, startTicks, signal)));
    }

    void peek(const std::string& name, std::size_t bytes)
    {
        std::string problem;
        const auto start = ipccore::readSegmentStart(name, bytes, problem);
        emit peeked(printableQString(name), start ? QString::fromStdString(ipccore::hexDumpText(*start)) : QString(),
            QString::fromStdString(problem));
    }

    void resolve(const std::string& name)
    {
        // As `ipclab-cli watch` checks it: one '/' and then a name without '/'.
        if (name.size() < 2 || name[0] != '/' || name.find('/', 1) != std::string::npos) {
            emit resolved(name, {},
                QString::fromStdString("'" + ipccore::printableText(name)
                    + "' is not an object's name: give it as the System tab or ipclab-cli ls shows it, such as "
                      "/jobs"));
            return;
        }
        ipccore::SystemScanOptions options;
        options.processes = false;
        const ipccore::SystemListing listing = ipccore::scanSystemIpc(options);
        std::vector<ipccore::WatchTarget> found;
        for (const ipccore::SystemObject& o : listing.objects)
            if (o.name == name)
                found.push_back({ o.kind, o.name });
        QString problem;
        if (found.empty())
            problem = QString::fromStdString("no queue, semaphore or segment is named " + ipccore::printableText(name)
                + " on this machine now. Start the program that makes it first, or check the name in the System tab"
                + (listing.mqueueMounted ? "" : " (which lists queues only once /dev/mqueue is mounted)") + ".");
        emit resolved(name, found, problem);
    }

signals:
    void resolved(const std::string& name, const std::vector<ipccore::WatchTarget>& targets, const QString& problem);
    void sampled(int generation, const std::shared_ptr<const ipcui::WatchFrame>& frame);
    void usersListed(int generation, const std::shared_ptr<const ipcui::WatchUsers>& users);
    void signalled(int pid, int signal, const QString& error);
    void peeked(const QString& name, const QString& hexDump, const QString& problem);

private:
    void sample()
    {
        if (!m_watch)
            return;
        auto frame = std::make_shared<WatchFrame>();
        frame->t = std::chrono::duration<double>(Clock::now() - m_origin).count();
        frame->targets = m_watch->targets();
        frame->readings = m_watch->sample();
        emit sampled(m_generation, frame);
        if (m_samples++ % WatchMonitor::UsersEverySamples == 0)
            listUsers(frame->targets);
    }

    void listUsers(const std::vector<ipccore::WatchTarget>& targets)
    {
        const ipccore::SystemListing listing = ipccore::scanSystemIpc();
        const auto now = Clock::now();
        auto users = std::make_shared<WatchUsers>();
        users->processesUnreadable = listing.processesUnreadable;
        std::map<int, WatchedProcess> byPid;
        for (const ipccore::SystemObject& o : listing.objects) {
            if (std::find(targets.begin(), targets.end(), ipccore::WatchTarget { o.kind, o.name }) == targets.end())
                continue;
            for (const ipccore::ObjectUser& u : o.users) {
                if (u.pid == m_self)
                    continue; // IPC Lab itself, holding the queues and semaphores open to read them
                WatchedProcess& p = byPid[u.pid];
                p.pid = u.pid;
                p.info.startTicks = u.startTicks; // as the scan saw it
                p.uses.push_back(o.name);
                if (!u.blockedIn.empty() && p.blockedIn.empty())
                    p.blockedIn = u.blockedIn + " on " + o.name + stateWord(o);
                if (p.elsewhere.empty())
                    p.elsewhere = u.elsewhere;
            }
        }
        const double tick = double(sysconf(_SC_CLK_TCK));
        std::map<int, CpuMark> marks;
        for (auto& [pid, p] : byPid) {
            const std::uint64_t scanned = p.info.startTicks;
            p.info = ipccore::readProcessInfo(pid);
            if (!p.info.exists || p.info.startTicks != scanned)
                continue; // exited since the listing (and maybe left its pid to another process)
            if (!p.blockedIn.empty())
                p.elsewhere.clear();
            const auto last = m_cpu.find(pid);
            if (last != m_cpu.end() && last->second.startTicks == p.info.startTicks && tick > 0
                && p.info.cpuTicks >= last->second.cpuTicks) {
                const double wall = std::chrono::duration<double>(now - last->second.at).count();
                if (wall > 0)
                    p.cpuPercent = 100.0 * double(p.info.cpuTicks - last->second.cpuTicks) / tick / wall;
            }
            marks[pid] = CpuMark { p.info.startTicks, p.info.cpuTicks, now };
            users->processes.push_back(std::move(p));
        }
        m_cpu = std::move(marks); // only the processes listed now: memory stays bounded
        emit usersListed(m_generation, users);
    }

    struct CpuMark {
        std::uint64_t startTicks = 0;
        std::uint64_t cpuTicks = 0;
        Clock::time_point at;
    };

    Clock::time_point m_origin;
    const int m_self = int(getpid());
    std::unique_ptr<ipccore::SystemWatch> m_watch;
    QTimer* m_timer = nullptr;
    int m_generation = 0;
    std::uint64_t m_samples = 0;
    std::map<int, CpuMark> m_cpu;
};

WatchMonitor::WatchMonitor(QObject* parent)
    : QObject(parent)
    , m_sampler(new WatchSampler(Clock::now()))
{
    qRegisterMetaType<std::shared_ptr<const WatchFrame>>();
    qRegisterMetaType<std::shared_ptr<const WatchUsers>>();
    m_thread.setObjectName(QStringLiteral("ipclab-watch"));
    m_sampler->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_sampler, &QObject::deleteLater);
    connect(m_sampler, &WatchSampler::sampled, this, &WatchMonitor::takeFrame, Qt::QueuedConnection);
    connect(m_sampler, &WatchSampler::usersListed, this, &WatchMonitor::takeUsers, Qt::QueuedConnection);
    connect(m_sampler, &WatchSampler::signalled, this, &WatchMonitor::signalled, Qt::QueuedConnection);
    connect(m_sampler, &WatchSampler::peeked, this, &WatchMonitor::peeked, Qt::QueuedConnection);
    connect(
        m_sampler, &WatchSampler::resolved, this,
        [this](const std::string&, const std::vector<ipccore::WatchTarget>& targets, const QString& problem) {
            for (const auto& t : targets)
                watch(t);
            if (targets.empty())
                emit refused(problem);
        },
        Qt::QueuedConnection);
    m_thread.start();
}

WatchMonitor::~WatchMonitor()
{
    m_thread.quit();
    m_thread.wait();
}

bool WatchMonitor::isWatching(const ipccore::WatchTarget& target) const
{
    return std::find(m_targets.begin(), m_targets.end(), target) != m_targets.end();
}

void WatchMonitor::watch(const ipccore::WatchTarget& target)
{
    if (isWatching(target))
        return;
    if (m_targets.size() >= ipccore::MaxWatchTargets) {
        emit refused(tr("At most %1 objects are watched at once: stop watching one first (the ✕ beside its name)")
                         .arg(ipccore::MaxWatchTargets));
        return;
    }
    m_targets.push_back(target);
    m_history.emplace_back();
    restart();
}

void WatchMonitor::watchNamed(const std::string& name)
{
    QMetaObject::invokeMethod(m_sampler, [sampler = m_sampler, name] { sampler->resolve(name); });
}

void WatchMonitor::unwatch(ipccore::WatchTarget target)
{
    const auto found = std::find(m_targets.begin(), m_targets.end(), target);
    if (found == m_targets.end())
        return;
    const auto index = found - m_targets.begin();
    m_targets.erase(m_targets.begin() + index);
    m_history.erase(m_history.begin() + index);
    restart();
}

void WatchMonitor::clear()
{
    m_targets.clear();
    m_history.clear();
    restart();
}

void WatchMonitor::restart()
{
    ++m_generation;
    m_latest.reset();
    m_users.reset();
    // Many changes in one turn of the event loop (several --watch names, a burst of clicks) reach the thread as one:
    // each change of targets opens them all and lists /proc once.
    if (!m_restartPending) {
        m_restartPending = true;
        QMetaObject::invokeMethod(
            this,
            [this] {
                m_restartPending = false;
                QMetaObject::invokeMethod(
                    m_sampler, [sampler = m_sampler, generation = m_generation, targets = m_targets] {
                        sampler->setTargets(generation, targets);
                    });
            },
            Qt::QueuedConnection);
    }
    emit targetsChanged();
}

void WatchMonitor::takeFrame(int generation, const std::shared_ptr<const WatchFrame>& frame)
{
    if (generation != m_generation || frame->readings.size() != m_targets.size())
        return;
    m_latest = frame;
    for (std::size_t i = 0; i < m_targets.size(); ++i) {
        const ipccore::WatchReading& r = frame->readings[i];
        std::optional<double> y;
        if (r.present && r.problem.empty()) {
            switch (m_targets[i].kind) {
            case ipccore::SystemObjectKind::MessageQueue:
                if (r.depth)
                    y = double(*r.depth);
                break;
            case ipccore::SystemObjectKind::Semaphore:
                if (r.value)
                    y = double(*r.value);
                break;
            case ipccore::SystemObjectKind::SharedMemory:
                y = double(r.sizeBytes);
                break;
            }
        }
        std::deque<QPointF>& points = m_history[i];
        if (y)
            points.emplace_back(frame->t, *y);
        else if (!points.empty() && !std::isnan(points.back().y()))
            points.emplace_back(frame->t, std::nan("")); // marks the time it was gone (the chart skips the mark)
        while (!points.empty() && points.front().x() < frame->t - HistorySeconds)
            points.pop_front();
    }
    emit sampled(frame);
}

void WatchMonitor::takeUsers(int generation, const std::shared_ptr<const WatchUsers>& users)
{
    if (generation != m_generation)
        return;
    m_users = users;
    emit usersListed(users);
}

void WatchMonitor::signalProcess(int pid, std::uint64_t startTicks, int signal)
{
    QMetaObject::invokeMethod(
        m_sampler, [sampler = m_sampler, pid, startTicks, signal] { sampler->signalProcess(pid, startTicks, signal); });
}

void WatchMonitor::peekSegment(const std::string& name, std::size_t bytes)
{
    QMetaObject::invokeMethod(m_sampler, [sampler = m_sampler, name, bytes] { sampler->peek(name, bytes); });
}

} // namespace ipcui

#include "watch_monitor.moc"
