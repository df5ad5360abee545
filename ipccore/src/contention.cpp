#include "ipccore/contention.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <string_view>
#include <tuple>

namespace ipccore {

namespace {
constexpr unsigned FirstOctave = 8; // bucket 0 is everything under 2^8 ns
constexpr std::size_t Last = WaitHistogram::Buckets - 1;
} // namespace

std::size_t WaitHistogram::bucketOf(std::uint64_t ns)
{
    if (ns < (std::uint64_t(1) << FirstOctave))
        return 0;
    const unsigned octave = unsigned(std::bit_width(ns)) - 1; // floor(log2(ns)) >= 8
    const std::size_t half = (ns >> (octave - 1)) & 1; // the upper half of the octave
    return std::min(Last, 1 + 2 * std::size_t(octave - FirstOctave) + half);
}

std::uint64_t WaitHistogram::lowerNs(std::size_t bucket)
{
    if (bucket == 0)
        return 0;
    bucket = std::min(bucket, Last);
    const unsigned octave = FirstOctave + unsigned((bucket - 1) / 2);
    const std::uint64_t half = (bucket - 1) % 2;
    return (std::uint64_t(1) << octave) + half * (std::uint64_t(1) << (octave - 1));
}

std::uint64_t WaitHistogram::upperNs(std::size_t bucket)
{
    return bucket >= Last ? std::numeric_limits<std::uint64_t>::max() : lowerNs(bucket + 1);
}

void WaitStats::add(std::uint64_t ns)
{
    ++waits;
    totalNs += ns;
    maxNs = std::max(maxNs, ns);
    ++histogram[WaitHistogram::bucketOf(ns)];
}

void WaitStats::merge(const WaitStats& other)
{
    waits += other.waits;
    totalNs += other.totalNs;
    maxNs = std::max(maxNs, other.maxNs);
    for (std::size_t b = 0; b < histogram.size(); ++b)
        histogram[b] += other.histogram[b];
}

std::uint64_t WaitStats::percentileNs(double p) const
{
    std::uint64_t counted = 0;
    for (const std::uint64_t n : histogram)
        counted += n;
    if (counted == 0)
        return 0;
    // The rank of the wait asked for, 1-based: p = 0.5 of 4 waits is the 2nd.
    const auto rank = std::max<std::uint64_t>(1, std::uint64_t(std::ceil(std::clamp(p, 0.0, 1.0) * double(counted))));
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < histogram.size(); ++b) {
        seen += histogram[b];
        if (seen >= rank)
            return std::min(WaitHistogram::upperNs(b), maxNs);
    }
    return maxNs;
}

const char* waitKindName(WaitKind kind)
{
    switch (kind) {
    case WaitKind::Room:
        return "room";
    case WaitKind::Data:
        return "data";
    case WaitKind::Lock:
        return "lock";
    case WaitKind::Permit:
        return "permit";
    }
    return "?";
}

const std::shared_ptr<const Contention>& noContention()
{
    static const std::shared_ptr<const Contention> none = std::make_shared<const Contention>();
    return none;
}

Contention contentionOf(const std::vector<WaitRecord>& records, std::vector<WorkerContention> workers)
{
    // Records name their worker: each goes to the first worker of that name, and a name not in `workers` is added
    // when it has waited.
    std::vector<WorkerWaitRecord> indexed;
    indexed.reserve(records.size());
    for (const WaitRecord& r : records) {
        std::size_t at = 0;
        while (at < workers.size() && workers[at].worker != r.worker)
            ++at;
        if (at == workers.size()) {
            if (r.hold || r.stats.waits == 0) {
                indexed.push_back({ &r, std::numeric_limits<std::size_t>::max() });
                continue;
            }
            workers.push_back(WorkerContention { r.worker, 0, 0, 0, 0 });
        }
        indexed.push_back({ &r, at });
    }
    return contentionOfPointers(indexed, std::move(workers));
}

namespace {

// The most waited-on (held) first, by their total; then by name.
void sortRows(Contention& c)
{
    std::stable_sort(c.objects.begin(), c.objects.end(), [](const ObjectContention& a, const ObjectContention& b) {
        if (a.stats.totalNs != b.stats.totalNs)
            return a.stats.totalNs > b.stats.totalNs;
        return a.object < b.object;
    });
    std::stable_sort(c.holds.begin(), c.holds.end(), [](const ObjectHolds& a, const ObjectHolds& b) {
        if (a.stats.totalNs != b.stats.totalNs)
            return a.stats.totalNs > b.stats.totalNs;
        return a.object < b.object;
    });
}

} // namespace

Contention contentionOfPointers(const std::vector<WorkerWaitRecord>& records, std::vector<WorkerContention> workers)
{
    Contention c;
    // The runner adds up 128 workers' records about 50 times a second, so rows are found through a map whose keys view
    // the records' strings, and each record comes with the index of its worker.
    c.objects.reserve(records.size());
    std::map<std::tuple<std::string_view, WaitKind, bool>, std::size_t> rowAt;
    std::map<std::string_view, std::size_t> holdsAt;
    for (const auto& [record, worker] : records) {
        const WaitRecord& r = *record;
        if (r.stats.waits == 0)
            continue;
        if (r.hold) {
            auto [at, added] = holdsAt.try_emplace(r.object, c.holds.size());
            if (added)
                c.holds.push_back(ObjectHolds { r.object, r.kind, {}, {} });
            ObjectHolds& h = c.holds[at->second];
            h.stats.merge(r.stats);
            if (std::find(h.holders.begin(), h.holders.end(), r.worker) == h.holders.end())
                h.holders.push_back(r.worker);
            continue;
        }
        auto [rowIt, rowAdded] = rowAt.try_emplace({ r.object, r.kind, r.gaveUp }, c.objects.size());
        if (rowAdded)
            c.objects.push_back(ObjectContention { r.object, r.kind, r.what, r.gaveUp, {}, {} });
        ObjectContention& row = c.objects[rowIt->second];
        row.stats.merge(r.stats);
        if (std::find(row.waiters.begin(), row.waiters.end(), r.worker) == row.waiters.end())
            row.waiters.push_back(r.worker);
        if (worker < workers.size()) {
            workers[worker].waits += r.stats.waits;
            workers[worker].waitNs += r.stats.totalNs;
        }
    }
    sortRows(c);
    c.workers = std::move(workers);
    return c;
}

void addContention(Contention& into, const Contention& from)
{
    const auto addName = [](std::vector<std::string>& names, const std::string& name) {
        if (std::find(names.begin(), names.end(), name) == names.end())
            names.push_back(name);
    };
    for (const ObjectContention& row : from.objects) {
        auto same = std::find_if(into.objects.begin(), into.objects.end(), [&](const ObjectContention& r) {
            return r.object == row.object && r.kind == row.kind && r.gaveUp == row.gaveUp;
        });
        if (same == into.objects.end()) {
            into.objects.push_back(row);
            continue;
        }
        same->stats.merge(row.stats);
        for (const std::string& w : row.waiters)
            addName(same->waiters, w);
    }
    for (const ObjectHolds& hold : from.holds) {
        auto same = std::find_if(
            into.holds.begin(), into.holds.end(), [&](const ObjectHolds& h) { return h.object == hold.object; });
        if (same == into.holds.end()) {
            into.holds.push_back(hold);
            continue;
        }
        same->stats.merge(hold.stats);
        for (const std::string& w : hold.holders)
            addName(same->holders, w);
    }
    into.workers.insert(into.workers.end(), from.workers.begin(), from.workers.end());
    sortRows(into);
}

} // namespace ipccore
