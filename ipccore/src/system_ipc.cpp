#include "ipccore/system_ipc.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <mqueue.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <tuple>
#include <unistd.h>

namespace ipccore {

const char* systemObjectKindName(SystemObjectKind kind)
{
    switch (kind) {
    case SystemObjectKind::MessageQueue:
        return "queue";
    case SystemObjectKind::Semaphore:
        return "semaphore";
    case SystemObjectKind::SharedMemory:
        return "segment";
    }
    return "?";
}

std::string printableText(std::string_view text)
{
    std::string out;
    const auto escape = [&out](unsigned char c) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02x", c);
        out += hex;
    };
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f) {
            out += char(c);
            ++i;
            continue;
        }
        const std::size_t length = c >= 0xc2 && c <= 0xdf ? 2
            : c >= 0xe0 && c <= 0xef                      ? 3
            : c >= 0xf0 && c <= 0xf4                      ? 4
                                                          : 0;
        bool valid = length > 0 && i + length <= text.size();
        for (std::size_t k = 1; valid && k < length; ++k)
            valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
        if (valid && c == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0)
            valid = false; // U+0080..U+009F, the C1 controls
        if (!valid) {
            escape(c);
            ++i;
            continue;
        }
        out.append(text.substr(i, length));
        i += length;
    }
    return out;
}

std::string systemObjectStateText(const SystemObject& o, const SystemObject* before)
{
    std::string text;
    long now = 0;
    std::optional<long> then;
    if (o.kind == SystemObjectKind::MessageQueue && o.depth) {
        text = std::to_string(*o.depth) + " of " + std::to_string(o.capacity.value_or(0));
        if (o.capacity && *o.depth >= *o.capacity)
            text += " (full)";
        now = *o.depth;
        if (before && before->depth)
            then = *before->depth;
    } else if (o.kind == SystemObjectKind::Semaphore && o.value) {
        text = "value " + std::to_string(*o.value);
        if (o.waiters && *o.waiters > 0)
            text += " (" + std::to_string(*o.waiters) + " waiting)";
        now = long(*o.value);
        if (before && before->value)
            then = long(*before->value);
    } else if (o.permissionDenied)
        return "no permission";
    else if (!o.problem.empty())
        return "?";
    if (then && now != *then)
        text += (now > *then ? " +" : " ") + std::to_string(now - *then);
    return text;
}

std::string systemObjectUsersText(const SystemObject& o, std::size_t shown)
{
    std::string text;
    for (std::size_t i = 0; i < o.users.size() && i < shown; ++i) {
        const ObjectUser& u = o.users[i];
        if (!text.empty())
            text += ", ";
        text += std::to_string(u.pid) + " " + printableText(u.command);
        if (!u.blockedIn.empty())
            text += " (in " + u.blockedIn + ")";
    }
    if (o.users.size() > shown)
        text += ", +" + std::to_string(o.users.size() - shown) + " more";
    return text;
}

namespace systemipc {

std::optional<SemaphoreWord> decodeSemaphore(std::string_view bytes)
{
#if defined(__GLIBC__) && UINTPTR_MAX == UINT64_MAX && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    // glibc's sem_t on a 64-bit machine starts with one 64-bit word: the value in its low 32 bits, the number of
    // threads waiting in its high 32 bits (struct new_sem in glibc's nptl, since glibc 2.21).
    if (bytes.size() < 8)
        return std::nullopt;
    std::uint64_t word = 0;
    std::memcpy(&word, bytes.data(), sizeof word);
    return SemaphoreWord { std::uint32_t(word & 0xffffffffu), std::uint32_t(word >> 32) };
#else
    (void)bytes;
    return std::nullopt;
#endif
}

std::optional<ShmMapping> parseShmMapping(std::string_view line)
{
    // "7f2a1c000000-7f2a1c001000 rw-s 00000000 00:1a 1234    /dev/shm/sem.lock": range, perms, offset, device,
    // inode, path.
    constexpr std::string_view Dir = "/dev/shm/";
    const auto at = line.find(Dir);
    if (at == std::string_view::npos)
        return std::nullopt;
    std::string_view file = line.substr(at + Dir.size());
    while (!file.empty() && (file.back() == '\n' || file.back() == ' '))
        file.remove_suffix(1);
    ShmMapping m;
    constexpr std::string_view Deleted = " (deleted)";
    if (file.size() >= Deleted.size() && file.substr(file.size() - Deleted.size()) == Deleted) {
        file.remove_suffix(Deleted.size());
        m.deleted = true;
    }
    if (file.empty() || file.find('/') != std::string_view::npos)
        return std::nullopt;
    // The five fields before the path, separated by spaces.
    std::string_view fields[5];
    std::string_view rest = line.substr(0, at);
    for (auto& field : fields) {
        while (!rest.empty() && rest.front() == ' ')
            rest.remove_prefix(1);
        const auto space = rest.find(' ');
        if (space == std::string_view::npos)
            return std::nullopt;
        field = rest.substr(0, space);
        rest.remove_prefix(space);
    }
    const auto dash = fields[0].find('-');
    if (dash == std::string_view::npos)
        return std::nullopt;
    const auto parse = [](std::string_view text, std::uint64_t& out, int base) {
        return !text.empty()
            && std::from_chars(text.data(), text.data() + text.size(), out, base).ptr == text.data() + text.size();
    };
    if (!parse(fields[0].substr(0, dash), m.start, 16) || !parse(fields[0].substr(dash + 1), m.end, 16)
        || m.end <= m.start || !parse(fields[4], m.inode, 10))
        return std::nullopt;
    m.file = std::string(file);
    return m;
}

std::optional<SleepingCall> parseSyscallLine(std::string_view text)
{
    // "202 0x7f9c2a4b3000 0x80 0x0 0x0 0x0 0x0 0x7ffd... 0x7f9c..." while in a call; "running"; "-1 sp pc".
    SleepingCall call;
    auto r = std::from_chars(text.data(), text.data() + text.size(), call.number);
    if (r.ec != std::errc() || call.number < 0 || r.ptr == text.data() + text.size() || *r.ptr != ' ')
        return std::nullopt;
    std::string_view rest(r.ptr + 1, std::size_t(text.data() + text.size() - (r.ptr + 1)));
    if (rest.substr(0, 2) != "0x")
        return std::nullopt;
    rest.remove_prefix(2);
    r = std::from_chars(rest.data(), rest.data() + rest.size(), call.arg0, 16);
    if (r.ec != std::errc())
        return std::nullopt;
    return call;
}

std::string syscallName(long number)
{
    switch (number) {
#ifdef SYS_mq_timedsend
    case SYS_mq_timedsend:
        return "mq_timedsend";
#endif
#ifdef SYS_mq_timedreceive
    case SYS_mq_timedreceive:
        return "mq_timedreceive";
#endif
#ifdef SYS_futex
    case SYS_futex:
        return "futex";
#endif
#ifdef SYS_read
    case SYS_read:
        return "read";
#endif
#ifdef SYS_write
    case SYS_write:
        return "write";
#endif
#ifdef SYS_poll
    case SYS_poll:
        return "poll";
#endif
#ifdef SYS_ppoll
    case SYS_ppoll:
        return "ppoll";
#endif
#ifdef SYS_clock_nanosleep
    case SYS_clock_nanosleep:
        return "clock_nanosleep";
#endif
#ifdef SYS_nanosleep
    case SYS_nanosleep:
        return "nanosleep";
#endif
#ifdef SYS_wait4
    case SYS_wait4:
        return "wait4";
#endif
    default:
        return "syscall " + std::to_string(number);
    }
}

} // namespace systemipc

namespace {

using namespace systemipc;

constexpr long MqueueMagic = 0x19800202; // statfs().f_type of the mqueue file system (linux/magic.h)
constexpr std::string_view SemPrefix = "sem.";
constexpr std::size_t SemFileBytes = 32; // sizeof(sem_t) with glibc on a 64-bit machine

class Fd {
public:
    explicit Fd(int fd = -1)
        : m_fd(fd)
    { }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    int get() const { return m_fd; }
    explicit operator bool() const { return m_fd >= 0; }

private:
    int m_fd;
};

// At most `limit` bytes of the file `name` in the directory `dir`, never through a symbolic link; nullopt with
// errno set when it cannot be opened.
std::optional<std::string> readSmallFile(int dir, const char* name, std::size_t limit)
{
    Fd fd(openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd)
        return std::nullopt;
    std::string text;
    char buffer[4096];
    while (text.size() < limit) {
        const ssize_t n = read(fd.get(), buffer, std::min(sizeof buffer, limit - text.size()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        text.append(buffer, std::size_t(n));
    }
    return text;
}

class OwnerNames {
public:
    const std::string& of(uid_t uid)
    {
        auto it = m_names.find(uid);
        if (it == m_names.end()) {
            const passwd* pw = getpwuid(uid);
            it = m_names.emplace(uid, pw && pw->pw_name ? std::string(pw->pw_name) : std::to_string(uid)).first;
        }
        return it->second;
    }

private:
    std::map<uid_t, std::string> m_names;
};

std::string modeText(std::uint32_t mode)
{
    char text[8];
    std::snprintf(text, sizeof text, "%04o", unsigned(mode & 07777));
    return text;
}

void denyPermission(SystemObject& o, const char* what)
{
    o.permissionDenied = true;
    o.problem = std::string("no permission to read ") + what + ": the " + systemObjectKindName(o.kind) + " belongs to "
        + o.owner + " with mode " + modeText(o.mode) + ". Run as " + o.owner + " or as root (sudo ipclab-cli ls)";
}

void fillFromStat(SystemObject& o, const struct stat& st, OwnerNames& owners)
{
    o.uid = st.st_uid;
    o.gid = st.st_gid;
    o.owner = owners.of(st.st_uid);
    o.mode = st.st_mode & 07777;
    o.lab = o.name.rfind("/ipclab-", 0) == 0;
}

// Depth, capacity and message size through a descriptor opened only for reading, closed at once.
void readQueueAttributes(SystemObject& o)
{
    const mqd_t q = mq_open(o.name.c_str(), O_RDONLY);
    if (q == mqd_t(-1)) {
        if (errno == EACCES)
            denyPermission(o, "its depth");
        else if (errno != ENOENT) // ENOENT: removed since it was listed
            o.problem = std::string("could not open it to read its depth: ") + std::strerror(errno);
        return;
    }
    mq_attr attr {};
    if (mq_getattr(q, &attr) == 0) {
        o.depth = attr.mq_curmsgs;
        o.capacity = attr.mq_maxmsg;
        o.messageSize = attr.mq_msgsize;
    }
    mq_close(q);
}

void listQueues(SystemListing& listing, OwnerNames& owners)
{
    struct statfs fs { };
    listing.mqueueMounted = statfs("/dev/mqueue", &fs) == 0 && fs.f_type == MqueueMagic;
    if (!listing.mqueueMounted) {
        listing.notes.push_back("/dev/mqueue is not mounted, so message queues cannot be listed; only those a "
                                "process has open are shown. To list them all, mount it as root: "
                                "mkdir -p /dev/mqueue && mount -t mqueue none /dev/mqueue");
        return;
    }
    Fd dir(open("/dev/mqueue", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    DIR* d = dir ? fdopendir(dup(dir.get())) : nullptr;
    if (!d) {
        listing.notes.push_back(std::string("could not read /dev/mqueue: ") + std::strerror(errno));
        return;
    }
    while (const dirent* e = readdir(d)) {
        struct stat st { };
        if (e->d_name[0] == '.' || fstatat(dir.get(), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        SystemObject o;
        o.kind = SystemObjectKind::MessageQueue;
        o.name = std::string("/") + e->d_name;
        fillFromStat(o, st, owners);
        // "QSIZE:240        NOTIFY:0     SIGNO:0     NOTIFY_PID:0": the bytes queued, readable with the queue.
        if (const auto text = readSmallFile(dir.get(), e->d_name, 256); text && text->rfind("QSIZE:", 0) == 0) {
            std::uint64_t bytes = 0;
            std::from_chars(text->data() + 6, text->data() + text->size(), bytes);
            o.sizeBytes = bytes;
        }
        readQueueAttributes(o);
        listing.objects.push_back(std::move(o));
    }
    closedir(d);
}

// Records each listed file's inode in `inodes` (inode -> object index), to find its mappings by.
void listShm(SystemListing& listing, std::map<std::uint64_t, std::size_t>& inodes, OwnerNames& owners)
{
    Fd dir(open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    DIR* d = dir ? fdopendir(dup(dir.get())) : nullptr;
    if (!d) {
        listing.notes.push_back(std::string("could not read /dev/shm: ") + std::strerror(errno)
            + "; semaphores and segments cannot be listed");
        return;
    }
    while (const dirent* e = readdir(d)) {
        struct stat st { };
        if (e->d_name[0] == '.' || fstatat(dir.get(), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue; // directories, links and devices are not POSIX IPC objects
        const std::string_view file(e->d_name);
        SystemObject o;
        o.sizeBytes = std::uint64_t(st.st_size);
        if (file.rfind(SemPrefix, 0) == 0 && file.size() > SemPrefix.size()) {
            o.kind = SystemObjectKind::Semaphore;
            o.name = "/" + std::string(file.substr(SemPrefix.size()));
            fillFromStat(o, st, owners);
            // pread, not sem_open: see the header. The same file (inode) as listed, or nothing.
            Fd fd(openat(dir.get(), e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
            struct stat opened { };
            if (!fd && errno == EACCES)
                denyPermission(o, "its value");
            else if (!fd)
                o.problem = std::string("could not open it: ") + std::strerror(errno);
            else if (fstat(fd.get(), &opened) == 0 && opened.st_ino == st.st_ino && S_ISREG(opened.st_mode)) {
                char bytes[SemFileBytes];
                const ssize_t n = pread(fd.get(), bytes, sizeof bytes, 0);
                const auto word = n == ssize_t(SemFileBytes) ? decodeSemaphore(std::string_view(bytes, std::size_t(n)))
                                                             : std::nullopt;
                if (word) {
                    o.value = word->value;
                    o.waiters = word->waiters;
                } else if (n >= 0 && n < ssize_t(SemFileBytes))
                    o.problem = "not a semaphore: its file holds " + std::to_string(n) + " bytes, a semaphore's "
                        + std::to_string(SemFileBytes);
                else
                    o.problem = "its value cannot be read on this system (an unknown semaphore layout)";
            }
        } else {
            o.kind = SystemObjectKind::SharedMemory;
            o.name = "/" + std::string(file);
            fillFromStat(o, st, owners);
        }
        inodes[st.st_ino] = listing.objects.size();
        listing.objects.push_back(std::move(o));
    }
    closedir(d);
}

// What one process holds: descriptors (by number) and mappings of each object.
struct ProcessUse {
    std::map<std::size_t, bool> open; // object index -> holds a descriptor
    std::map<int, std::size_t> queueFds; // descriptor -> queue index, for mq_timed* arguments
    std::vector<std::pair<ShmMapping, std::size_t>> mappings; // mapping -> object index
};

class ObjectIndex {
public:
    ObjectIndex(SystemListing& listing, const std::map<std::uint64_t, std::size_t>& shmInodes)
        : m_listing(listing)
        , m_byInode(shmInodes)
    {
        for (std::size_t i = 0; i < listing.objects.size(); ++i)
            m_byKey.emplace(key(listing.objects[i].kind, listing.objects[i].name), i);
    }
    // The semaphore or segment whose file in /dev/shm has this inode.
    std::optional<std::size_t> shmInode(std::uint64_t inode) const
    {
        const auto it = m_byInode.find(inode);
        return it == m_byInode.end() ? std::nullopt : std::optional<std::size_t>(it->second);
    }
    // The object a /dev/shm file name stands for.
    std::optional<std::size_t> shmFile(std::string_view file) const
    {
        if (file.rfind(SemPrefix, 0) == 0)
            return find(SystemObjectKind::Semaphore, "/" + std::string(file.substr(SemPrefix.size())));
        return find(SystemObjectKind::SharedMemory, "/" + std::string(file));
    }
    std::optional<std::size_t> find(SystemObjectKind kind, const std::string& name) const
    {
        const auto it = m_byKey.find(key(kind, name));
        return it == m_byKey.end() ? std::nullopt : std::optional<std::size_t>(it->second);
    }
    std::size_t add(SystemObject o)
    {
        m_byKey.emplace(key(o.kind, o.name), m_listing.objects.size());
        m_listing.objects.push_back(std::move(o));
        return m_listing.objects.size() - 1;
    }

private:
    static std::string key(SystemObjectKind kind, const std::string& name) { return std::to_string(int(kind)) + name; }
    SystemListing& m_listing;
    std::map<std::string, std::size_t> m_byKey;
    std::map<std::uint64_t, std::size_t> m_byInode;
};

// The descriptors of one process. False when they may not be read.
bool readDescriptors(int pid, int procDir, ObjectIndex& index, OwnerNames& owners, ProcessUse& use)
{
    Fd fdDir(openat(procDir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    DIR* d = fdDir ? fdopendir(dup(fdDir.get())) : nullptr;
    if (!d)
        return false;
    char link[PATH_MAX];
    while (const dirent* e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        const ssize_t n = readlinkat(fdDir.get(), e->d_name, link, sizeof link - 1);
        if (n <= 0)
            continue;
        const std::string_view target(link, std::size_t(n));
        if (target.rfind("/dev/shm/", 0) == 0) {
            if (const auto i = index.shmFile(target.substr(9)))
                use.open[*i] = true;
            continue;
        }
        // A queue's descriptor reads "/jobs": one absolute component, on the mqueue file system.
        if (target.size() < 2 || target[0] != '/' || target.find('/', 1) != std::string_view::npos
            || target.find(" (deleted)") != std::string_view::npos)
            continue;
        const std::string path = "/proc/" + std::to_string(pid) + "/fd/" + e->d_name;
        struct statfs fs { };
        if (statfs(path.c_str(), &fs) != 0 || fs.f_type != MqueueMagic)
            continue;
        const std::string name(target);
        auto i = index.find(SystemObjectKind::MessageQueue, name);
        if (!i) { // /dev/mqueue is not mounted: learn the queue from its descriptor
            struct stat st { };
            if (stat(path.c_str(), &st) != 0)
                continue;
            SystemObject o;
            o.kind = SystemObjectKind::MessageQueue;
            o.name = name;
            o.listed = false;
            fillFromStat(o, st, owners);
            readQueueAttributes(o);
            i = index.add(std::move(o));
        }
        use.open[*i] = true;
        int fd = -1;
        std::from_chars(e->d_name, e->d_name + std::strlen(e->d_name), fd);
        use.queueFds[fd] = *i;
    }
    closedir(d);
    return true;
}

// The /dev/shm files a process has mapped. False when its maps may not be read.
bool readMappings(int procDir, const ObjectIndex& index, ProcessUse& use)
{
    const auto maps = readSmallFile(procDir, "maps", 16u << 20);
    if (!maps)
        return false;
    std::string_view rest(*maps);
    while (!rest.empty()) {
        const auto eol = rest.find('\n');
        const std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
        if (auto m = parseShmMapping(line))
            if (const auto i = index.shmInode(m->inode))
                use.mappings.emplace_back(std::move(*m), *i);
    }
    return true;
}

// What each thread of the process sleeps in, matched to the objects it uses: a queue by the descriptor passed
// to mq_timedsend/mq_timedreceive, a semaphore or segment by the futex's address inside its mapping.
void readBlockedCalls(int procDir, const ProcessUse& use, std::map<std::size_t, ObjectUser>& users)
{
    Fd taskDir(openat(procDir, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    DIR* d = taskDir ? fdopendir(dup(taskDir.get())) : nullptr;
    if (!d)
        return;
    while (const dirent* e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        const std::string file = std::string(e->d_name) + "/syscall";
        const auto text = readSmallFile(taskDir.get(), file.c_str(), 512);
        const auto call = text ? parseSyscallLine(*text) : std::nullopt;
        if (!call)
            continue;
        const int tid = std::atoi(e->d_name);
        std::optional<std::size_t> object;
        std::string what = syscallName(call->number);
#if defined(SYS_mq_timedsend) && defined(SYS_mq_timedreceive)
        if (call->number == SYS_mq_timedsend || call->number == SYS_mq_timedreceive) {
            const auto it = use.queueFds.find(int(call->arg0));
            if (it != use.queueFds.end())
                object = it->second;
        }
#endif
#ifdef SYS_futex
        if (call->number == SYS_futex)
            for (const auto& [m, i] : use.mappings)
                if (call->arg0 >= m.start && call->arg0 < m.end) {
                    object = i;
                    if (m.file.rfind(SemPrefix, 0) == 0)
                        what = "sem_wait"; // a futex in a semaphore is sem_wait or sem_timedwait
                    break;
                }
#endif
        if (!object)
            continue;
        const auto it = users.find(*object);
        if (it != users.end() && it->second.blockedIn.empty()) {
            it->second.blockedIn = what;
            it->second.blockedTid = tid;
        }
    }
    closedir(d);
}

void findUsers(SystemListing& listing, const std::map<std::uint64_t, std::size_t>& shmInodes, OwnerNames& owners)
{
    ObjectIndex index(listing, shmInodes);
    Fd proc(open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    DIR* d = proc ? fdopendir(dup(proc.get())) : nullptr;
    if (!d) {
        listing.notes.push_back("could not read /proc: the processes using each object are not shown");
        return;
    }
    const int self = int(getpid());
    while (const dirent* e = readdir(d)) {
        int pid = 0;
        const char* end = e->d_name + std::strlen(e->d_name);
        if (std::from_chars(e->d_name, end, pid).ptr != end || pid <= 0 || pid == self)
            continue;
        Fd procDir(openat(proc.get(), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!procDir)
            continue; // exited meanwhile
        ++listing.processesScanned;
        ProcessUse use;
        const bool fds = readDescriptors(pid, procDir.get(), index, owners, use);
        const bool maps = readMappings(procDir.get(), index, use);
        if (!fds && !maps) {
            // A kernel thread has descriptors nobody may read and empty maps; only a process with a memory map is
            // another user's hidden process.
            ++listing.processesUnreadable;
            continue;
        }
        std::map<std::size_t, ObjectUser> users;
        for (const auto& [i, open] : use.open)
            users[i].hasOpen = open;
        for (const auto& m : use.mappings)
            users[m.second].hasMapped = true;
        if (users.empty())
            continue;
        std::string command = readSmallFile(procDir.get(), "comm", 64).value_or("");
        while (!command.empty() && command.back() == '\n')
            command.pop_back();
        readBlockedCalls(procDir.get(), use, users);
        for (auto& [i, user] : users) {
            user.pid = pid;
            user.command = command;
            listing.objects[i].users.push_back(std::move(user));
        }
    }
    closedir(d);
    if (listing.processesUnreadable > 0)
        listing.notes.push_back(std::to_string(listing.processesUnreadable) + " of "
            + std::to_string(listing.processesScanned)
            + " processes could not be inspected (they belong to other users), so the objects they use may show "
              "fewer users. Run as root (sudo ipclab-cli ls) to see every process");
}

} // namespace

SystemListing scanSystemIpc(const SystemScanOptions& options)
{
    SystemListing listing;
    OwnerNames owners;
    std::map<std::uint64_t, std::size_t> shmInodes;
    listQueues(listing, owners);
    listShm(listing, shmInodes, owners);
    if (options.processes)
        findUsers(listing, shmInodes, owners);
    std::sort(listing.objects.begin(), listing.objects.end(), [](const SystemObject& a, const SystemObject& b) {
        return std::tie(a.kind, a.name) < std::tie(b.kind, b.name);
    });
    for (SystemObject& o : listing.objects)
        std::sort(
            o.users.begin(), o.users.end(), [](const ObjectUser& a, const ObjectUser& b) { return a.pid < b.pid; });
    return listing;
}

} // namespace ipccore
