#include "ipccore/system_watch.h"

#include "cli_args.h"
#include "json_file.h"
#include "system_files.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <mqueue.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <thread>
#include <unistd.h>

namespace ipccore {

namespace {

using detail::MqueueMagic;
using detail::SemFileBytes;
const char* const NoPermission = "no permission: run as its owner or as root";

} // namespace

SystemWatch::SystemWatch(std::vector<WatchTarget> targets)
    : m_targets(std::move(targets))
    , m_held(m_targets.size())
{
    m_shmDir = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct statfs fs { };
    if (statfs("/dev/mqueue", &fs) == 0 && fs.f_type == MqueueMagic)
        m_mqueueDir = open("/dev/mqueue", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

SystemWatch::~SystemWatch()
{
    for (std::size_t i = 0; i < m_held.size(); ++i)
        release(i);
    if (m_shmDir >= 0)
        close(m_shmDir);
    if (m_mqueueDir >= 0)
        close(m_mqueueDir);
}

void SystemWatch::release(std::size_t i)
{
    Held& h = m_held[i];
    if (h.fd >= 0) {
        if (m_targets[i].kind == SystemObjectKind::MessageQueue)
            mq_close(h.fd);
        else
            close(h.fd);
    }
    h = Held {};
}

std::vector<WatchReading> SystemWatch::sample()
{
    std::vector<WatchReading> readings;
    readings.reserve(m_targets.size());
    for (std::size_t i = 0; i < m_targets.size(); ++i) {
        switch (m_targets[i].kind) {
        case SystemObjectKind::MessageQueue:
            readings.push_back(readQueue(i));
            break;
        case SystemObjectKind::Semaphore:
            readings.push_back(readSemaphore(i));
            break;
        case SystemObjectKind::SharedMemory:
            readings.push_back(readSegment(i));
            break;
        }
    }
    return readings;
}

WatchReading SystemWatch::readQueue(std::size_t i)
{
    WatchReading r;
    const std::string& name = m_targets[i].name;
    Held& h = m_held[i];
    if (m_mqueueDir >= 0) {
        struct stat st { };
        if (fstatat(m_mqueueDir, name.c_str() + 1, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
            release(i);
            return r; // gone
        }
        if (h.fd >= 0 && h.inode != std::uint64_t(st.st_ino))
            release(i); // removed and made again under the same name
    } else
        release(i); // no way to check the name: open it again at every sample
    r.present = true;
    if (h.fd < 0) {
        const mqd_t q = mq_open(name.c_str(), O_RDONLY);
        struct stat st { };
        if (q == mqd_t(-1)) {
            r.present = errno != ENOENT;
            if (errno == EACCES)
                r.problem = NoPermission;
            else if (r.present)
                r.problem = std::strerror(errno);
            return r;
        }
        h.fd = q;
        h.inode = fstat(q, &st) == 0 ? std::uint64_t(st.st_ino) : 0;
    }
    mq_attr attr {};
    if (mq_getattr(h.fd, &attr) == 0) {
        r.depth = attr.mq_curmsgs;
        r.capacity = attr.mq_maxmsg;
    }
    return r;
}

WatchReading SystemWatch::readSemaphore(std::size_t i)
{
    WatchReading r;
    Held& h = m_held[i];
    const std::string file = "sem." + m_targets[i].name.substr(1);
    struct stat st { };
    if (m_shmDir < 0 || fstatat(m_shmDir, file.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
        release(i);
        return r;
    }
    r.present = true;
    if (h.fd >= 0 && h.inode != std::uint64_t(st.st_ino))
        release(i);
    if (h.fd < 0) {
        const int fd = openat(m_shmDir, file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            r.problem = errno == EACCES ? NoPermission : std::strerror(errno);
            return r;
        }
        struct stat opened { };
        if (fstat(fd, &opened) != 0 || !S_ISREG(opened.st_mode) || opened.st_ino != st.st_ino) {
            close(fd);
            return r; // replaced between the two calls: read at the next sample
        }
        h.fd = fd;
        h.inode = std::uint64_t(opened.st_ino);
    }
    if (st.st_size != SemFileBytes) {
        r.problem = "not a semaphore (its file holds " + std::to_string(st.st_size) + " bytes)";
        return r;
    }
    char bytes[SemFileBytes];
    const ssize_t n = pread(h.fd, bytes, sizeof bytes, 0);
    const auto word
        = n == ssize_t(sizeof bytes) ? systemipc::decodeSemaphore(std::string_view(bytes, sizeof bytes)) : std::nullopt;
    if (word) {
        r.value = word->value;
        r.waiters = word->waiters;
    } else
        r.problem = n < 0 ? std::string(std::strerror(errno)) : "unknown semaphore layout";
    return r;
}

WatchReading SystemWatch::readSegment(std::size_t i)
{
    WatchReading r;
    struct stat st { };
    if (m_shmDir >= 0 && fstatat(m_shmDir, m_targets[i].name.c_str() + 1, &st, AT_SYMLINK_NOFOLLOW) == 0
        && S_ISREG(st.st_mode)) {
        r.present = true;
        r.sizeBytes = std::uint64_t(st.st_size);
    }
    return r;
}

std::optional<std::string> readSegmentStart(const std::string& name, std::size_t count, std::string& problem)
{
    if (name.size() < 2 || name[0] != '/' || name.find('/', 1) != std::string::npos) {
        problem = "'" + printableText(name) + "' is not a segment's name: one '/' and then a name without '/'";
        return std::nullopt;
    }
    detail::Fd dir(open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    detail::Fd fd(
        dir ? openat(dir.get(), name.c_str() + 1, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) : -1);
    struct stat st { };
    if (!fd || fstat(fd.get(), &st) != 0) {
        const int error = errno;
        if (error == EACCES)
            problem = "no permission to read segment " + printableText(name) + ": run as its owner or as root";
        else if (error == ENOENT)
            problem = "segment " + printableText(name) + " no longer exists";
        else if (error == ELOOP)
            problem = "/dev/shm" + printableText(name)
                + " is a symbolic link, not a segment: it is not followed (someone may have planted it)";
        else
            problem = "cannot open segment " + printableText(name) + ": " + std::strerror(error);
        return std::nullopt;
    }
    if (!S_ISREG(st.st_mode)) {
        problem = "/dev/shm" + printableText(name) + " is not a shared-memory segment";
        return std::nullopt;
    }
    std::string bytes(std::min({ count, MaxSegmentPeek, std::size_t(st.st_size) }), '\0');
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = pread(fd.get(), bytes.data() + done, bytes.size() - done, off_t(done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; // shrunk meanwhile: what was there
        done += std::size_t(n);
    }
    bytes.resize(done);
    return bytes;
}

std::string hexDumpText(std::string_view bytes)
{
    std::string out;
    char cell[24];
    for (std::size_t line = 0; line < bytes.size(); line += 16) {
        std::snprintf(cell, sizeof cell, "%08zx ", line);
        out += cell;
        std::string ascii;
        for (std::size_t i = line; i < line + 16; ++i) {
            if (i % 8 == 0)
                out += ' ';
            if (i < bytes.size()) {
                const auto byte = static_cast<unsigned char>(bytes[i]);
                std::snprintf(cell, sizeof cell, "%02x ", byte);
                out += cell;
                ascii += byte >= 0x20 && byte < 0x7f ? char(byte) : '.';
            } else {
                out += "   ";
            }
        }
        out += " |" + ascii + "|\n";
    }
    return out;
}

std::string watchReadingText(const WatchTarget& target, const WatchReading& reading)
{
    if (!reading.present)
        return "gone";
    if (!reading.problem.empty())
        return reading.problem.rfind("no permission", 0) == 0 ? "no permission" : "?";
    switch (target.kind) {
    case SystemObjectKind::MessageQueue:
        return reading.depth ? std::to_string(*reading.depth) + " of " + std::to_string(reading.capacity.value_or(0))
                             : "?";
    case SystemObjectKind::Semaphore:
        if (!reading.value)
            return "?";
        return "value " + std::to_string(*reading.value)
            + (reading.waiters.value_or(0) > 0 ? " (" + std::to_string(*reading.waiters) + " waiting)" : "");
    case SystemObjectKind::SharedMemory: {
        const std::string full = detail::byteCountText(reading.sizeBytes);
        return full.substr(0, full.find(" ("));
    }
    }
    return "?";
}

namespace {

constexpr int ExitOk = 0;
constexpr int ExitBadInput = 2;
constexpr double MaxHz = 1000;
constexpr double MaxSeconds = 86400;

volatile std::sig_atomic_t g_stop = 0;
void onStop(int)
{
    g_stop = 1;
}

const char* const WatchUsage
    = "Usage: ipclab-cli watch NAME... [--hz HZ] [--seconds S] [--json]\n"
      "\n"
      "Reads the named queues, semaphores and segments (any program's: names as `ipclab-cli ls` prints them, such as\n"
      "/jobs) HZ times a second and prints one line per sample: a queue's depth, a semaphore's value and waiters, a\n"
      "segment's size. Each name must exist when the watch starts; if it is removed later, it reads 'gone' until it\n"
      "is made again, and is then followed again. A name that stands for several kinds (a queue and a semaphore\n"
      "both called /jobs) watches each. Nothing is disturbed: nothing is received, posted, waited on, created or\n"
      "removed.\n"
      "  --hz HZ        samples per second, more than 0 and at most 1000 (default 10)\n"
      "  --seconds S    stop after S seconds, at most 86400 (default: until Ctrl+C)\n"
      "  --json         one JSON object per sample, on one line\n";

int badInput(const std::string& message)
{
    std::fprintf(stderr, "ipclab-cli watch: %s\n(ipclab-cli watch --help lists the options)\n", message.c_str());
    return ExitBadInput;
}

bool parseNumber(const char* text, double& out)
{
    char* end = nullptr;
    out = std::strtod(text, &end);
    return end != text && *end == '\0' && std::isfinite(out);
}

} // namespace

int runWatchCommand(int argc, char** argv)
{
    std::vector<std::string> names;
    double hz = 10;
    std::optional<double> seconds;
    bool json = false;
    for (int i = 2; i < argc; ++i) {
        const auto [arg, attached] = detail::splitCliArg(argv[i]);
        if (arg == "--help" || arg == "-h") {
            std::fputs(WatchUsage, stdout);
            return ExitOk;
        }
        if (arg == "--json" && !attached) {
            json = true;
            continue;
        }
        if (arg == "--hz" || arg == "--seconds") {
            if (!attached && i + 1 >= argc)
                return badInput(arg + " needs a value");
            double value = 0;
            const std::string given = attached ? *attached : std::string(argv[++i]);
            const char* text = given.c_str();
            const double max = arg == "--hz" ? MaxHz : MaxSeconds;
            if (!parseNumber(text, value) || value <= 0 || value > max)
                return badInput(
                    arg + ": '" + text + "' is not a number more than 0 and at most " + std::to_string(int(max)));
            if (arg == "--hz")
                hz = value;
            else
                seconds = value;
            continue;
        }
        if (arg.rfind("-", 0) == 0)
            return badInput("unknown option '" + arg + "'" + detail::didYouMeanJson(arg));
        if (arg.size() < 2 || arg[0] != '/' || arg.find('/', 1) != std::string::npos)
            return badInput("'" + arg
                + "' is not an object's name: give it as `ipclab-cli ls` prints it, such as "
                  "/jobs");
        names.push_back(arg);
    }
    if (names.empty())
        return badInput("name at least one queue, semaphore or segment to watch (ipclab-cli ls lists them)");
    if (names.size() > MaxWatchTargets)
        return badInput("at most " + std::to_string(MaxWatchTargets) + " names at once");

    SystemScanOptions options;
    options.processes = false;
    const SystemListing listing = scanSystemIpc(options);
    std::vector<WatchTarget> targets;
    for (const std::string& name : names) {
        const std::size_t before = targets.size();
        for (const SystemObject& o : listing.objects)
            if (o.name == name)
                targets.push_back({ o.kind, o.name });
        if (targets.size() == before)
            return badInput("no queue, semaphore or segment is named " + printableText(name)
                + " on this machine now. Start the program that makes it first, or check the name with ipclab-cli ls"
                + (listing.mqueueMounted ? "" : " (which lists queues only once /dev/mqueue is mounted)"));
    }

    std::signal(SIGINT, onStop);
    std::signal(SIGTERM, onStop);
    SystemWatch watch(targets);
    // Each column as wide as its header, at least 24.
    std::vector<std::string> headers;
    std::vector<int> widths;
    for (const WatchTarget& t : targets) {
        headers.push_back(std::string(systemObjectKindName(t.kind)) + " " + printableText(t.name));
        widths.push_back(std::max(24, int(headers.back().size())));
    }
    if (!json) {
        std::printf("%8s", "TIME (s)");
        for (std::size_t i = 0; i < targets.size(); ++i)
            std::printf("  %-*s", i + 1 < targets.size() ? widths[i] : 0, headers[i].c_str());
        std::printf("\n");
    }
    bool told = false; // the objects this user may not read, said once
    const auto start = std::chrono::steady_clock::now();
    const auto period
        = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(1.0 / hz));
    auto next = start;
    while (!g_stop) {
        const auto now = std::chrono::steady_clock::now();
        const double t = std::chrono::duration<double>(now - start).count();
        if (seconds && t > *seconds)
            break;
        const std::vector<WatchReading> readings = watch.sample();
        for (std::size_t i = 0; i < targets.size() && !told; ++i)
            if (readings[i].problem == NoPermission)
                std::fprintf(stderr, "ipclab-cli watch: %s: no permission to read it; run as its owner or as root\n",
                    headers[i].c_str());
        told = true;
        if (json) {
            nlohmann::json objects = nlohmann::json::array();
            for (std::size_t i = 0; i < targets.size(); ++i) {
                const WatchReading& r = readings[i];
                nlohmann::json o { { "kind", systemObjectKindName(targets[i].kind) }, { "name", targets[i].name },
                    { "present", r.present } };
                if (r.depth)
                    o["depth"] = *r.depth;
                if (r.capacity)
                    o["capacity"] = *r.capacity;
                if (r.value)
                    o["value"] = *r.value;
                if (r.waiters)
                    o["waiters"] = *r.waiters;
                if (targets[i].kind == SystemObjectKind::SharedMemory && r.present)
                    o["size_bytes"] = r.sizeBytes;
                if (!r.problem.empty())
                    o["problem"] = r.problem;
                objects.push_back(std::move(o));
            }
            const nlohmann::json line { { "t", std::round(t * 1e6) / 1e6 }, { "objects", std::move(objects) } };
            std::printf("%s\n", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        } else {
            std::printf("%8.3f", t);
            for (std::size_t i = 0; i < targets.size(); ++i)
                std::printf("  %-*s", i + 1 < targets.size() ? widths[i] : 0,
                    watchReadingText(targets[i], readings[i]).c_str());
            std::printf("\n");
        }
        std::fflush(stdout);
        next += period;
        const auto after = std::chrono::steady_clock::now();
        if (next < after)
            next = after; // a sample slower than the period (a busy machine): no catching up
        // Sleep in slices, so Ctrl+C ends a slow watch at once.
        while (!g_stop && std::chrono::steady_clock::now() < next)
            std::this_thread::sleep_until(
                std::min(next, std::chrono::steady_clock::now() + std::chrono::milliseconds(100)));
    }
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    return ExitOk;
}

} // namespace ipccore
