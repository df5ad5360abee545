#include "ipccore/system_ipc.h"

#include "ipccore/system_process.h"

#include "file_kind.h"
#include "json_file.h"
#include "system_files.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <mqueue.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
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

namespace {

// The length of the well-formed UTF-8 sequence at text[i] (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF) and its code point; 0 when the bytes there are not one.
std::size_t utf8Sequence(std::string_view text, std::size_t i, char32_t& point)
{
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
    const unsigned char c = byte(0);
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xbf; // the allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf)
        length = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        length = 3;
        low = c == 0xe0 ? 0xa0 : 0x80;
        high = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        length = 4;
        low = c == 0xf0 ? 0x90 : 0x80;
        high = c == 0xf4 ? 0x8f : 0xbf;
    }
    if (length == 0 || i + length > text.size() || byte(1) < low || byte(1) > high)
        return 0;
    point = c & (length == 2 ? 0x1f : length == 3 ? 0x0f : 0x07);
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(k) & 0xc0) != 0x80)
            return 0;
        point = (point << 6) | (byte(k) & 0x3f);
    }
    return length;
}

// Characters that are printable but can make one name look like another: C1 controls, the bidirectional overrides
// and isolates, zero-width characters, line and paragraph separators, the byte-order mark.
bool isDeceptive(char32_t c)
{
    return (c >= 0x80 && c <= 0x9f) || c == 0x061c || (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e)
        || (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

} // namespace

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
        char32_t point = 0;
        const std::size_t length = c >= 0x80 ? utf8Sequence(text, i, point) : 0;
        if (length == 0) {
            escape(c);
            ++i;
            continue;
        }
        for (std::size_t k = 0; k < length; ++k)
            if (isDeceptive(point))
                escape(static_cast<unsigned char>(text[i + k]));
            else
                out += text[i + k];
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

std::string systemObjectUsersText(const SystemObject& o, std::size_t shown, bool someHidden, bool whatOthersDo)
{
    if (o.users.empty())
        return someHidden ? "none seen" : "none";
    std::vector<const ObjectUser*> users;
    for (const ObjectUser& u : o.users)
        users.push_back(&u);
    // Those waiting on the object first: they are what a table cut at `shown` must not hide.
    std::stable_partition(users.begin(), users.end(), [](const ObjectUser* u) { return !u->blockedIn.empty(); });
    std::string text;
    for (std::size_t i = 0; i < users.size() && i < shown; ++i) {
        const ObjectUser& u = *users[i];
        if (!text.empty())
            text += ", ";
        text += std::to_string(u.pid) + " " + printableText(u.command);
        if (!u.blockedIn.empty())
            text += " (in " + u.blockedIn + ")";
        else if (whatOthersDo && u.elsewhere == "running")
            text += " (running)";
        else if (whatOthersDo && !u.elsewhere.empty())
            text += " (elsewhere: " + u.elsewhere + ")";
    }
    if (users.size() > shown)
        text += ", +" + std::to_string(users.size() - shown) + " more";
    return text;
}

std::string systemObjectModeText(const SystemObject& o)
{
    return detail::fileModeText(o.mode);
}

std::string systemObjectSizeText(const SystemObject& o)
{
    if (o.kind == SystemObjectKind::MessageQueue && (!o.listed || o.permissionDenied))
        return {};
    const std::string full = detail::byteCountText(o.sizeBytes); // "4 KiB (4096 bytes)" or "32 bytes"
    return full.substr(0, full.find(" ("));
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
    // inode, then the path after spaces.
    std::string_view fields[5];
    std::string_view rest = line;
    for (auto& field : fields) {
        while (!rest.empty() && rest.front() == ' ')
            rest.remove_prefix(1);
        const auto space = rest.find(' ');
        if (space == std::string_view::npos || space == 0)
            return std::nullopt;
        field = rest.substr(0, space);
        rest.remove_prefix(space);
    }
    while (!rest.empty() && rest.front() == ' ')
        rest.remove_prefix(1);
    constexpr std::string_view Dir = "/dev/shm/";
    if (rest.substr(0, Dir.size()) != Dir)
        return std::nullopt;
    std::string_view file = rest.substr(Dir.size());
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
    const auto dash = fields[0].find('-');
    if (dash == std::string_view::npos)
        return std::nullopt;
    const auto parse = [](std::string_view text, std::uint64_t& out, int base) {
        return !text.empty()
            && std::from_chars(text.data(), text.data() + text.size(), out, base).ptr == text.data() + text.size();
    };
    if (!parse(fields[0].substr(0, dash), m.start, 16) || !parse(fields[0].substr(dash + 1), m.end, 16)
        || m.end <= m.start || !parse(fields[4], m.inode, 10) || fields[3].find(':') == std::string_view::npos)
        return std::nullopt;
    m.device = std::string(fields[3]);
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

using detail::Fd;
using detail::MqueueMagic;
using detail::readSmallFile;
using detail::SemFileBytes;
using detail::SemPrefix;

// A directory read entry by entry; the DIR owns its descriptor (close-on-exec: the lab forks workers meanwhile).
class Dir {
public:
    Dir(int at, const char* name)
    {
        const int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0 && !(m_dir = fdopendir(fd))) {
            const int saved = errno;
            ::close(fd);
            errno = saved;
        }
    }
    Dir(const Dir&) = delete;
    Dir& operator=(const Dir&) = delete;
    ~Dir()
    {
        if (m_dir)
            closedir(m_dir);
    }
    explicit operator bool() const { return m_dir != nullptr; }
    int fd() const { return dirfd(m_dir); }
    // The next entry other than "." and "..", or nullptr at the end.
    const dirent* next()
    {
        const dirent* e;
        while ((e = readdir(m_dir)) && e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            ;
        return e;
    }

private:
    DIR* m_dir = nullptr;
};

// The value of "key:\tNUMBER" in /proc's "key: value" text, or nullopt.
std::optional<std::uint64_t> procField(std::string_view text, std::string_view key)
{
    for (std::size_t at = 0; at < text.size();) {
        const auto eol = std::min(text.find('\n', at), text.size());
        const std::string_view line = text.substr(at, eol - at);
        at = eol + 1;
        if (line.size() <= key.size() || line.substr(0, key.size()) != key || line[key.size()] != ':')
            continue;
        std::string_view value = line.substr(key.size() + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
            value.remove_prefix(1);
        std::uint64_t n = 0;
        if (std::from_chars(value.data(), value.data() + value.size(), n).ec == std::errc())
            return n;
    }
    return std::nullopt;
}

// The mount and inode of an open file, from /proc/PID/fdinfo/N: read about the descriptor itself, so nothing is
// followed into the file's own file system (where a stalled FUSE or NFS server could hang a stat()).
struct FdIdentity {
    std::uint64_t mountId = 0;
    std::uint64_t inode = 0;
};
std::optional<FdIdentity> fdIdentity(int fdinfoDir, const char* fd)
{
    const auto text = fdinfoDir >= 0 ? readSmallFile(fdinfoDir, fd, 4096) : std::nullopt;
    if (!text)
        return std::nullopt;
    const auto mount = procField(*text, "mnt_id");
    const auto inode = procField(*text, "ino"); // old kernels do not print it: no descriptor is matched then
    if (!mount || !inode)
        return std::nullopt;
    return FdIdentity { *mount, *inode };
}

class OwnerNames {
public:
    const std::string& of(uid_t uid)
    {
        auto it = m_names.find(uid);
        if (it == m_names.end()) {
            std::string name = detail::accountName(uid);
            it = m_names.emplace(uid, name.empty() ? std::to_string(uid) : std::move(name)).first;
        }
        return it->second;
    }

private:
    std::map<uid_t, std::string> m_names;
};

void denyPermission(SystemObject& o, const char* what)
{
    o.permissionDenied = true;
    o.problem = std::string("no permission to read ") + what + ": the " + systemObjectKindName(o.kind) + " belongs to "
        + o.owner + " with mode " + detail::fileModeText(o.mode) + ". Run as "
        + (o.owner == "root" ? std::string() : o.owner + " or as ") + "root (sudo ipclab-cli ls)";
}

void fillFromStat(SystemObject& o, const struct stat& st, OwnerNames& owners)
{
    o.uid = st.st_uid;
    o.gid = st.st_gid;
    o.inode = std::uint64_t(st.st_ino);
    o.owner = owners.of(st.st_uid);
    o.mode = st.st_mode & 07777;
    o.lab = o.name.rfind("/ipclab-", 0) == 0;
}

// Depth, capacity and message size through a descriptor opened only for reading, closed at once; only when it is
// the queue of inode `inode` (one put in its place since it was listed is not read).
void readQueueAttributes(SystemObject& o, std::uint64_t inode)
{
    const mqd_t q = mq_open(o.name.c_str(), O_RDONLY);
    if (q == mqd_t(-1)) {
        if (errno == EACCES)
            denyPermission(o, "its depth");
        else if (errno != ENOENT) // ENOENT: removed since it was listed
            o.problem = std::string("could not open it to read its depth: ") + std::strerror(errno);
        return;
    }
    struct stat st { };
    mq_attr attr {};
    if (fstat(q, &st) == 0 && std::uint64_t(st.st_ino) == inode && mq_getattr(q, &attr) == 0) {
        o.depth = attr.mq_curmsgs;
        o.capacity = attr.mq_maxmsg;
        o.messageSize = attr.mq_msgsize;
    }
    mq_close(q);
}

// What the scan found, with what it needs to match processes' descriptors and mappings to the objects.
struct Found {
    SystemListing listing;
    std::map<std::uint64_t, std::size_t> queueInodes; // inode in /dev/mqueue -> object index
    std::map<std::uint64_t, std::size_t> shmInodes; // inode in /dev/shm -> object index
    dev_t shmDevice = 0; // /dev/shm's st_dev, which /proc/PID/maps prints as MAJOR:MINOR
    bool shmListed = false;
    OwnerNames owners;
};

void listQueues(Found& found)
{
    SystemListing& listing = found.listing;
    struct statfs fs { };
    listing.mqueueMounted = statfs("/dev/mqueue", &fs) == 0 && fs.f_type == MqueueMagic;
    if (!listing.mqueueMounted) {
        listing.notes.push_back("/dev/mqueue is not mounted, so message queues cannot be listed; only those a "
                                "process has open are shown. To list them all, mount it as root: "
                                "mkdir -p /dev/mqueue && mount -t mqueue none /dev/mqueue");
        return;
    }
    Dir dir(AT_FDCWD, "/dev/mqueue");
    if (!dir) {
        listing.notes.push_back(std::string("could not read /dev/mqueue: ") + std::strerror(errno));
        return;
    }
    while (const dirent* e = dir.next()) {
        struct stat st { };
        if (fstatat(dir.fd(), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        SystemObject o;
        o.kind = SystemObjectKind::MessageQueue;
        o.name = std::string("/") + e->d_name;
        fillFromStat(o, st, found.owners);
        // "QSIZE:240        NOTIFY:0     SIGNO:0     NOTIFY_PID:0": the bytes queued, readable with the queue.
        if (const auto text = readSmallFile(dir.fd(), e->d_name, 256); text && text->rfind("QSIZE:", 0) == 0) {
            std::uint64_t bytes = 0;
            std::from_chars(text->data() + 6, text->data() + text->size(), bytes);
            o.sizeBytes = bytes;
        }
        readQueueAttributes(o, st.st_ino);
        found.queueInodes[st.st_ino] = listing.objects.size();
        listing.objects.push_back(std::move(o));
    }
}

// A semaphore's value and waiters with pread, never sem_open (see the header); only from the listed file (inode).
void readSemaphore(SystemObject& o, int dir, const char* file, const struct stat& listed)
{
    Fd fd(openat(dir, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat opened { };
    if (!fd && errno == EACCES)
        return denyPermission(o, "its value");
    if (!fd) {
        if (errno != ENOENT)
            o.problem = std::string("could not open it: ") + std::strerror(errno);
        return;
    }
    if (fstat(fd.get(), &opened) != 0 || opened.st_ino != listed.st_ino || !S_ISREG(opened.st_mode))
        return; // replaced since it was listed
    if (opened.st_size != off_t(SemFileBytes)) {
        o.problem = "not a semaphore: its file holds " + std::to_string(opened.st_size) + " bytes, a semaphore's "
            + std::to_string(SemFileBytes);
        return;
    }
    char bytes[SemFileBytes];
    const ssize_t n = pread(fd.get(), bytes, sizeof bytes, 0);
    if (n < 0) {
        o.problem = std::string("could not read it: ") + std::strerror(errno);
        return;
    }
    const auto word = decodeSemaphore(std::string_view(bytes, std::size_t(n)));
    if (!word) {
        o.problem = "its value cannot be read on this system (a semaphore layout this build does not know)";
        return;
    }
    o.value = word->value;
    o.waiters = word->waiters;
}

void listShm(Found& found)
{
    SystemListing& listing = found.listing;
    Dir dir(AT_FDCWD, "/dev/shm");
    struct stat self { };
    if (!dir || fstat(dir.fd(), &self) != 0) {
        listing.notes.push_back(std::string("could not read /dev/shm: ") + std::strerror(errno)
            + "; semaphores and segments cannot be listed");
        return;
    }
    found.shmDevice = self.st_dev;
    found.shmListed = true;
    while (const dirent* e = dir.next()) {
        struct stat st { };
        if (fstatat(dir.fd(), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue; // directories, links and devices are not POSIX IPC objects
        const std::string_view file(e->d_name);
        SystemObject o;
        o.sizeBytes = std::uint64_t(st.st_size);
        if (file.rfind(SemPrefix, 0) == 0 && file.size() > SemPrefix.size()) {
            o.kind = SystemObjectKind::Semaphore;
            o.name = "/" + std::string(file.substr(SemPrefix.size()));
            fillFromStat(o, st, found.owners);
            readSemaphore(o, dir.fd(), e->d_name, st);
        } else {
            o.kind = SystemObjectKind::SharedMemory;
            o.name = "/" + std::string(file);
            fillFromStat(o, st, found.owners);
        }
        found.shmInodes[st.st_ino] = listing.objects.size();
        listing.objects.push_back(std::move(o));
    }
}

// What one process holds: descriptors and mappings of each object.
struct ProcessUse {
    std::map<std::size_t, bool> open; // object index -> holds a descriptor
    std::map<int, std::size_t> queueFds; // descriptor -> queue index, for mq_timed* arguments
    std::vector<std::pair<ShmMapping, std::size_t>> mappings; // mapping -> object index
};

std::optional<std::size_t> findIndex(const std::map<std::uint64_t, std::size_t>& inodes, std::uint64_t inode)
{
    const auto it = inodes.find(inode);
    return it == inodes.end() ? std::nullopt : std::optional<std::size_t>(it->second);
}

// A queue seen only through a descriptor of process `pid` (/dev/mqueue is not mounted). Whether the descriptor is
// a queue at all can then only be learnt by statfs through /proc/PID/fd/N, which follows the link; a descriptor of
// a stalled FUSE or NFS file named "/x" could block here. With /dev/mqueue mounted this is never needed.
std::optional<std::size_t> unlistedQueue(
    Found& found, int pid, const char* fd, const std::string& name, std::optional<FdIdentity> identity)
{
    const std::string path = "/proc/" + std::to_string(pid) + "/fd/" + fd;
    struct statfs fs { };
    struct stat st { };
    if (statfs(path.c_str(), &fs) != 0 || fs.f_type != MqueueMagic || stat(path.c_str(), &st) != 0)
        return std::nullopt;
    if (const auto i = findIndex(found.queueInodes, st.st_ino))
        return i;
    SystemObject o;
    o.kind = SystemObjectKind::MessageQueue;
    o.name = name;
    o.listed = false;
    fillFromStat(o, st, found.owners);
    // By name in this process' IPC namespace: read only if it is the very queue the descriptor holds.
    readQueueAttributes(o, identity ? identity->inode : std::uint64_t(st.st_ino));
    const std::size_t i = found.listing.objects.size();
    found.queueInodes[st.st_ino] = i;
    found.listing.objects.push_back(std::move(o));
    return i;
}

// The descriptors of one process, matched to the objects by name and inode. False (errno set) when they may not
// be read.
bool readDescriptors(int pid, int procDir, Found& found, ProcessUse& use)
{
    Dir fds(procDir, "fd");
    if (!fds)
        return false;
    Fd fdinfo(openat(procDir, "fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    char link[PATH_MAX];
    while (const dirent* e = fds.next()) {
        const ssize_t n = readlinkat(fds.fd(), e->d_name, link, sizeof link - 1);
        if (n <= 0)
            continue;
        const std::string_view target(link, std::size_t(n));
        std::optional<std::size_t> object;
        constexpr std::string_view ShmDir = "/dev/shm/";
        if (target.rfind(ShmDir, 0) == 0) {
            // The same inode as a listed file, and the same name: a container's own /dev/shm is another file system
            // whose files only share names with ours.
            const auto identity = fdIdentity(fdinfo.get(), e->d_name);
            const auto i = identity ? findIndex(found.shmInodes, identity->inode) : std::nullopt;
            const std::string_view file = target.substr(ShmDir.size());
            if (i) {
                const SystemObject& o = found.listing.objects[*i];
                const std::string listedFile = o.kind == SystemObjectKind::Semaphore
                    ? std::string(SemPrefix) + o.name.substr(1)
                    : o.name.substr(1);
                if (file == listedFile)
                    object = i;
            }
            if (object)
                use.open[*object] = true;
            continue;
        }
        // A queue's descriptor reads "/jobs": one absolute component.
        if (target.size() < 2 || target[0] != '/' || target.find('/', 1) != std::string_view::npos
            || target.find(" (deleted)") != std::string_view::npos)
            continue;
        const auto identity = fdIdentity(fdinfo.get(), e->d_name);
        if (found.listing.mqueueMounted) {
            // Listed in /dev/mqueue under this name and inode, or not one of this namespace's queues.
            const auto i = identity ? findIndex(found.queueInodes, identity->inode) : std::nullopt;
            if (i && found.listing.objects[*i].name == target)
                object = i;
        } else
            object = unlistedQueue(found, pid, e->d_name, std::string(target), identity);
        if (!object)
            continue;
        use.open[*object] = true;
        int fd = -1;
        std::from_chars(e->d_name, e->d_name + std::strlen(e->d_name), fd);
        use.queueFds[fd] = *object;
    }
    return true;
}

// The /dev/shm files a process has mapped, by device and inode. False (errno set) when its maps may not be read.
bool readMappings(int procDir, const Found& found, ProcessUse& use)
{
    const auto maps = readSmallFile(procDir, "maps", 16u << 20);
    if (!maps)
        return false;
    char device[32];
    std::snprintf(device, sizeof device, "%02x:%02x", major(found.shmDevice), minor(found.shmDevice));
    std::string_view rest(*maps);
    while (!rest.empty()) {
        const auto eol = rest.find('\n');
        const std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
        if (auto m = parseShmMapping(line); m && m->device == device)
            if (const auto i = findIndex(found.shmInodes, m->inode))
                use.mappings.emplace_back(std::move(*m), *i);
    }
    return true;
}

// What each thread of the process sleeps in, matched to the objects it uses: a queue by the descriptor passed
// to mq_timedsend/mq_timedreceive, a semaphore or segment by the futex's address inside its mapping. Returns false
// when some thread's call could not be read for want of permission.
bool readBlockedCalls(
    int pid, int procDir, const Found& found, const ProcessUse& use, std::map<std::size_t, ObjectUser>& users)
{
    Dir tasks(procDir, "task");
    if (!tasks)
        return true;
    bool permitted = true;
    std::string mainThread; // what the main thread does: "running" or the call it sleeps in
    while (const dirent* e = tasks.next()) {
        const std::string file = std::string(e->d_name) + "/syscall";
        const auto text = readSmallFile(tasks.fd(), file.c_str(), 512);
        if (!text && (errno == EACCES || errno == EPERM))
            permitted = false;
        const auto call = text ? parseSyscallLine(*text) : std::nullopt;
        const int tid = std::atoi(e->d_name);
        if (tid == pid && text && !call && text->rfind("running", 0) == 0)
            mainThread = "running";
        if (!call)
            continue;
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
                    if (found.listing.objects[i].kind == SystemObjectKind::Semaphore)
                        what = "sem_wait"; // a futex in a semaphore is sem_wait or sem_timedwait
                    break;
                }
#endif
        if (tid == pid) // "sem_wait on /buffer.empty", or just the call when it is on none of these objects
            mainThread = object ? what + " on " + found.listing.objects[*object].name : what;
        if (!object)
            continue;
        const auto it = users.find(*object);
        if (it != users.end() && it->second.blockedIn.empty()) {
            it->second.blockedIn = what;
            it->second.blockedTid = tid;
        }
    }
    for (auto& [i, user] : users)
        if (user.blockedIn.empty())
            user.elsewhere = mainThread;
    return permitted;
}

void findUsers(Found& found)
{
    SystemListing& listing = found.listing;
    Dir proc(AT_FDCWD, "/proc");
    if (!proc) {
        listing.notes.push_back("could not read /proc: the processes using each object are not shown");
        return;
    }
    bool callsHidden = false;
    while (const dirent* e = proc.next()) {
        int pid = 0;
        const char* end = e->d_name + std::strlen(e->d_name);
        // This process is listed too: in the window it is the controller of the lab's own runs.
        if (std::from_chars(e->d_name, end, pid).ptr != end || pid <= 0)
            continue;
        Fd procDir(openat(proc.fd(), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!procDir)
            continue; // exited meanwhile
        ++listing.processesScanned;
        ProcessUse use;
        const bool fds = readDescriptors(pid, procDir.get(), found, use);
        const int fdsErrno = errno;
        const bool maps = found.shmListed ? readMappings(procDir.get(), found, use) : false;
        const int mapsErrno = errno;
        const auto denied = [](int error) { return error == EACCES || error == EPERM; };
        if (!fds && !maps && denied(fdsErrno) && denied(mapsErrno)) {
            // Another user's process (or one that is not dumpable). A process that exited meanwhile (ENOENT,
            // ESRCH) is simply gone; a kernel thread has empty maps.
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
        if (!readBlockedCalls(pid, procDir.get(), found, use, users))
            callsHidden = true;
        // The start time read through the same /proc/PID descriptor: a process that exited and left its pid to
        // another since cannot lend its use of the objects to the newcomer.
        ProcessInfo stat;
        const auto statText = readSmallFile(procDir.get(), "stat", 1024);
        if (!statText || !parseProcessStat(*statText, stat))
            continue; // gone meanwhile
        for (auto& [i, user] : users) {
            user.pid = pid;
            user.startTicks = stat.startTicks;
            user.command = command;
            listing.objects[i].users.push_back(std::move(user));
        }
    }
    if (listing.processesUnreadable > 0)
        listing.notes.push_back(std::to_string(listing.processesUnreadable) + " of "
            + std::to_string(listing.processesScanned)
            + " processes could not be inspected (other users' processes, or ones that forbid it), so the objects "
              "they use may show fewer users. Run as root (sudo ipclab-cli ls) to see every process");
    if (callsHidden)
        listing.notes.push_back("the call some processes sleep in could not be read (/proc/PID/task/TID/syscall needs "
                                "the right to trace them; kernel.yama.ptrace_scope may allow that only for your own "
                                "child processes). Run as root (sudo ipclab-cli ls) to see it");
}

} // namespace

SystemListing scanSystemIpc(const SystemScanOptions& options)
{
    Found found;
    listQueues(found);
    listShm(found);
    if (options.processes)
        findUsers(found);
    SystemListing& listing = found.listing;
    std::sort(listing.objects.begin(), listing.objects.end(), [](const SystemObject& a, const SystemObject& b) {
        return std::tie(a.kind, a.name, a.inode) < std::tie(b.kind, b.name, b.inode);
    });
    for (SystemObject& o : listing.objects)
        std::sort(
            o.users.begin(), o.users.end(), [](const ObjectUser& a, const ObjectUser& b) { return a.pid < b.pid; });
    return std::move(listing);
}

} // namespace ipccore
