#pragma once

// Every POSIX message queue, named semaphore and shared-memory segment on this machine, whoever made it, and the
// processes that use each one: what `ipclab-cli ls` prints.
//
// Reading never disturbs what it reads:
//  - a queue is opened O_RDONLY only for mq_getattr (its depth) and closed; no message is ever received;
//  - a semaphore's value is read with pread() from its file in /dev/shm. It is never sem_open()ed: that maps the
//    file, and a file its owner shrinks meanwhile would kill the reader with SIGBUS. It is never waited on or
//    posted;
//  - a segment is only fstat()ed;
//  - nothing is created or unlinked, and no file is followed through a symbolic link (O_NOFOLLOW).
//
// Objects this user may not read are listed with their owner and mode and a `problem` that says so and what would
// help, never as an error. Processes this user may not inspect (another user's, unless root) are counted, not
// shown. scanSystemIpc() blocks on /proc and /dev reads only; call it off any GUI thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipccore {

enum class SystemObjectKind { MessageQueue, Semaphore, SharedMemory };

// "queue", "semaphore", "segment": the words of the CLI's table and JSON.
const char* systemObjectKindName(SystemObjectKind kind);

// A process using an object, and what it is doing with it right now.
struct ObjectUser {
    int pid = 0;
    std::string command; // /proc/PID/comm, e.g. "python3"
    bool hasOpen = false; // holds a descriptor on it (queues always; a segment between shm_open and close)
    bool hasMapped = false; // has it mapped (semaphores, segments)
    // The system call a thread of this process sleeps in on this object, e.g. "mq_timedsend" or "sem_wait", and
    // the thread's id; empty when none does (or /proc/PID/task/TID/syscall could not be read).
    std::string blockedIn;
    int blockedTid = 0;
    // When no thread of it waits on this object: "running", or the call its main thread sleeps in elsewhere
    // ("clock_nanosleep": a consumer taking its time; "sem_wait on /lock": another of the listed objects); empty
    // when that could not be read.
    std::string elsewhere;
    // When it started, in clock ticks since boot (/proc/PID/stat), read in the same scan: with the pid, it names this
    // process and no later holder of its pid (readProcessInfo, signalProcess in system_process.h).
    std::uint64_t startTicks = 0;
};

struct SystemObject {
    SystemObjectKind kind = SystemObjectKind::SharedMemory;
    std::string name; // as the program passed it to mq_open, sem_open or shm_open: "/jobs"
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::string owner; // the user name, or the uid as text when it has none
    // Its inode in /dev/shm or /dev/mqueue. Two objects of one kind and name (queues of two IPC namespaces, seen
    // through descriptors while /dev/mqueue is not mounted) differ by it.
    std::uint64_t inode = 0;
    std::uint32_t mode = 0; // permission bits, e.g. 0600
    // Queue: the bytes of the messages in it (QSIZE); semaphore: its file's size; segment: its size.
    std::uint64_t sizeBytes = 0;

    // Read where this user may: a queue's depth, capacity and message size (mq_getattr), a semaphore's value and
    // the number of threads waiting on it (glibc keeps both in the semaphore's first 8 bytes).
    std::optional<long> depth;
    std::optional<long> capacity;
    std::optional<long> messageSize;
    std::optional<std::uint32_t> value;
    std::optional<std::uint32_t> waiters;

    // Why what is missing above could not be read, with the remedy; empty when nothing is missing.
    std::string problem;
    bool permissionDenied = false; // the problem is that this user may not read it (EACCES)
    bool lab = false; // one of IPC Lab's own objects (its name starts with "/ipclab-")
    // Listed through /dev/mqueue or /dev/shm; false for a queue seen only through a process' descriptor because
    // /dev/mqueue is not mounted.
    bool listed = true;
    std::vector<ObjectUser> users; // by pid
};

struct SystemListing {
    std::vector<SystemObject> objects; // queues, then semaphores, then segments, each by name (then inode)
    bool mqueueMounted = false;
    int processesScanned = 0;
    int processesUnreadable = 0; // their descriptors or maps could not be read (another user's, unless root)
    // Sentences for the user about the listing as a whole: /dev/mqueue is not mounted (and how to mount it),
    // processes that could not be inspected.
    std::vector<std::string> notes;
};

struct SystemScanOptions {
    bool processes = true; // look through /proc for the users of each object (the slow part)
};

SystemListing scanSystemIpc(const SystemScanOptions& options = {});

// The words of the CLI's table and the window's System tab, one wording for both:
// "10 of 10 (full)", "value 0 (2 waiting)", "no permission", "?" (see `problem`), or "" (a segment). With
// `before` (the same object in the last listing), the change follows: "value 3 +2".
std::string systemObjectStateText(const SystemObject& object, const SystemObject* before = nullptr);
// "8917 python3 (in mq_timedsend), 8874 python3 (elsewhere: clock_nanosleep), +3 more": the first `shown` users,
// those waiting on the object first. With no user: "none", or "none seen" when `someHidden` (processes that could
// not be inspected may use it). Without `whatOthersDo`, users not waiting on the object get no "(elsewhere: ...)" or
// "(running)" (the System tab says it in its details instead, where there is room).
std::string systemObjectUsersText(
    const SystemObject& object, std::size_t shown, bool someHidden, bool whatOthersDo = true);
// "4 KiB", "32 bytes"; "" for a queue whose bytes could not be read.
std::string systemObjectSizeText(const SystemObject& object);
// "0644": the permission bits in octal.
std::string systemObjectModeText(const SystemObject& object);
// Names and commands come from other users' files and processes: one holding terminal escape sequences must not
// drive a terminal, nor pose as another name. Control characters (C0, DEL, C1), bytes that are not well-formed
// UTF-8, and bidirectional overrides, zero-width characters and the like become \xNN, one per byte.
std::string printableText(std::string_view text);

// The listing as `ipclab-cli ls` prints it: a table, and the notes. With `before` (the previous listing of
// `--watch`), each depth and value shows its change, new objects are marked and vanished ones are named.
std::string systemListingToText(const SystemListing& listing, const SystemListing* before = nullptr);
// The listing as one JSON object (`ipclab-cli ls --json`), on one line.
std::string systemListingToJson(const SystemListing& listing);

// `ipclab-cli ls [--json] [--watch SECONDS] [--count N]`; returns the exit status.
int runLsCommand(int argc, char** argv);

// The pure parts of the scan, public so tests can feed them text and bytes.
namespace systemipc {

// A semaphore's value and waiters from the first bytes of its /dev/shm file (glibc's layout on a 64-bit
// machine); nullopt when fewer than 8 bytes are given or the layout is not known for this build.
struct SemaphoreWord {
    std::uint32_t value = 0;
    std::uint32_t waiters = 0;
};
std::optional<SemaphoreWord> decodeSemaphore(std::string_view bytes);

// One line of /proc/PID/maps that maps a file in /dev/shm: its address range, device ("00:1a", as maps prints it),
// inode and name there ("sem.lock", "stats"; " (deleted)" removed). nullopt for every other line, including a path
// that only contains "/dev/shm/" further on. The scan matches mappings to objects by device and inode, not by name:
// glibc's sem_open(O_CREAT) maps a temporary file that it then links to the semaphore's name and deletes, so a
// creator's mapping reads "/dev/shm/sem.Xa9kQ2 (deleted)".
struct ShmMapping {
    std::uint64_t start = 0;
    std::uint64_t end = 0;
    std::string device;
    std::uint64_t inode = 0;
    std::string file;
    bool deleted = false;
};
std::optional<ShmMapping> parseShmMapping(std::string_view mapsLine);

// The contents of /proc/PID/task/TID/syscall of a sleeping thread: the call's number and first argument.
// nullopt for "running", for a thread outside any system call ("-1 ..."), and for text that does not parse.
struct SleepingCall {
    long number = 0;
    std::uint64_t arg0 = 0;
};
std::optional<SleepingCall> parseSyscallLine(std::string_view text);

// "mq_timedsend", "futex", ... for the calls a process waiting on IPC sleeps in; "syscall N" for the others.
std::string syscallName(long number);

} // namespace systemipc

} // namespace ipccore
