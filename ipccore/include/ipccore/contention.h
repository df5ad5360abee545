#pragma once

// Wait statistics: how often and how long processes waited on each object, as `perf lock` and VTune's wait view give
// them for threads. A worker records every wait that ends (WorkerSlot::waitSites: a count, the total, the longest and
// a log-bucket histogram, per step and state); the runner names the object each was on, and contentionOf adds them up
// per object and per worker. Pure: no processes, no clocks.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ipccore {

// Log-spaced buckets over nanoseconds, two per octave ([2^k, 1.5 * 2^k) and [1.5 * 2^k, 2^(k+1))): bucket 0 holds waits
// under 256 ns, the last those of 2^35 ns (34 s) and more.
struct WaitHistogram {
    static constexpr std::size_t Buckets = 56;
    static std::size_t bucketOf(std::uint64_t ns);
    static std::uint64_t lowerNs(std::size_t bucket); // the shortest wait it holds
    static std::uint64_t upperNs(std::size_t bucket); // the first wait beyond it (UINT64_MAX for the last)
};

struct WaitStats {
    std::uint64_t waits = 0;
    std::uint64_t totalNs = 0;
    std::uint64_t maxNs = 0;
    std::array<std::uint64_t, WaitHistogram::Buckets> histogram {};

    void add(std::uint64_t ns);
    void merge(const WaitStats& other);
    double meanNs() const { return waits ? double(totalNs) / double(waits) : 0; }
    // The wait that a fraction p (0..1) of the waits do not exceed: the upper edge of the bucket that holds it, so
    // at most 1.5 times too long, and never beyond the longest wait seen. 0 without waits.
    std::uint64_t percentileNs(double p) const;
};

// What a wait was for: room (BlockedFull), data (BlockedEmpty), a lock (WaitingLock, or an acquire of an array's
// lock), or a permit of a semaphore on its own.
enum class WaitKind : std::uint8_t { Room, Data, Lock, Permit };
const char* waitKindName(WaitKind kind); // "room", "data", "lock", "permit"

// One worker's waits on one object for one thing, as the runner read them from the worker's slot.
struct WaitRecord {
    std::string worker;
    std::string object; // the scenario's object name
    WaitKind kind = WaitKind::Data;
    std::string what; // what it waited for, in the object's words: "buffer: empty slots (sem)"
    bool gaveUp = false; // waits that timed out (a timed acquire, put or get), counted apart
    bool hold = false; // not waits: how long the worker held the lock or permit, acquire to release
    WaitStats stats;
};

struct ObjectContention {
    std::string object;
    WaitKind kind = WaitKind::Data;
    std::string what;
    bool gaveUp = false;
    WaitStats stats;
    std::vector<std::string> waiters; // the workers that waited, in the order first seen
};

struct WorkerContention {
    std::string worker;
    std::uint64_t waits = 0;
    std::uint64_t waitNs = 0; // the sum of its waits that ended
    std::uint64_t blockedNs = 0; // its blocked time as the slot counts it (WorkerSlot::blockedNs), to check against
    std::uint64_t untracked = 0; // waits at more places than a slot records: in blockedNs, in no object's row
};

// How long an object was held, from the end of each acquire to the start of the release paired with it. A hold cut
// short by a stop or a kill is not in it.
struct ObjectHolds {
    std::string object;
    WaitKind kind = WaitKind::Lock; // Lock or Permit
    WaitStats stats; // its "waits" are the holds
    std::vector<std::string> holders; // the workers that held it, in the order first seen
};

struct Contention {
    std::vector<ObjectContention> objects; // most waited-on first (total wait), then by name
    std::vector<WorkerContention> workers; // in the order given
    std::vector<ObjectHolds> holds; // the longest total hold first, then by name
    bool any() const { return !objects.empty(); }
};

// One empty table, shared (Snapshot::contention before any wait).
const std::shared_ptr<const Contention>& noContention();

// Adds up the records per (object, kind, gave up) and per worker, and hold records per object. `blockedNs` and
// `untracked` per worker come with `workers`.
Contention contentionOf(const std::vector<WaitRecord>& records, std::vector<WorkerContention> workers);
// A record kept elsewhere (the runner's, one list per worker) and the index in `workers` of the worker it belongs to:
// two workers may have one name (a worker started again under its old name).
struct WorkerWaitRecord {
    const WaitRecord* record = nullptr;
    std::size_t worker = 0;
};
// The same over records kept elsewhere, without copying them; a record whose index is past `workers` counts for its
// object only.
Contention contentionOfPointers(const std::vector<WorkerWaitRecord>& records, std::vector<WorkerContention> workers);

// Another machine's waits (a worker host's) added to `into`: rows of the same object, kind and giving up are one
// row, holds of the same object one, its workers after these; ordered as contentionOf orders them.
void addContention(Contention& into, const Contention& from);

} // namespace ipccore
