#pragma once

// Private to the bench: the measurement primitives. Each returns msgs/s (or latencies) of one run of one producer
// process and one consumer process, forked and released together from a barrier; every object a run creates is
// removed before it returns.

#include "ipccore/result.h"
#include "ipccore/scenario.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace ipccore::bench {

// Unique per process and call, and unpredictable: "/ipclab-b<pid>-<random>-<n>-<tag>" (POSIX names) or
// <runtime dir>/ipclab-b<pid>-<random>-<n>-<tag>. The random part (64 bits) keeps another user from taking the
// names first; creation retries under a fresh one if a name is taken all the same.
std::string objectName(const std::string& tag);
Result<std::string> pathName(const std::string& tag);
// objectName for a message queue, written first to <runtime dir>/ipclab-b<pid>.queues: where /dev/mqueue is not
// mounted, queues cannot be listed, and cleanupStaleRuns() finds a killed bench's queues there. forgetQueueNames()
// removes that list once every queue is gone (runBench calls it on every way out).
std::string queueName(const std::string& tag);
void forgetQueueNames();

// From now on every pair's first process (producer, pinger) runs only on producerCpu and its second (consumer,
// ponger) only on consumerCpu; -1, -1: where the scheduler likes (BenchOptions::pin; runBench sets it for its length).
void setPinning(int producerCpu, int consumerCpu);
// The first two CPUs this process may run on (sched_getaffinity), or how many it may run on when fewer than two.
struct CpuPair {
    int first = -1, second = -1;
    int allowed = 0;
};
CpuPair twoCpus();

// Slots per ring for a message size: the same for shm-ring, shm-spsc and both bare rings, so they compare.
std::uint32_t ringCapacity(std::uint32_t size);
constexpr std::uint32_t MqDepth = 10;

// Which worker loop moves the messages: the producer and consumer loops, or programs of one step (`put`, `get`).
enum class Loop { Roles, Programs };

// Through ipccore: runWorker in both processes (framing, checksum, telemetry as set).
// `events`: record state changes in the slots' event rings (telemetry.h), as a run does.
Result<double> measureIpccore(TransportKind transport, std::uint32_t size, std::uint64_t messages, bool telemetry,
    const std::atomic<bool>* cancel, Loop loop = Loop::Roles, bool events = true);

// The bare loop a transport is compared with, and its name in the report.
const char* baselineName(TransportKind transport);
Result<double> measureBare(
    TransportKind transport, std::uint32_t size, std::uint64_t messages, const std::atomic<bool>* cancel);

// One-way latencies (ns) of a ping-pong through two channels of the transport, via ipccore's endpoints and frames.
Result<std::vector<std::uint64_t>> measurePingPong(
    TransportKind transport, std::uint32_t size, std::uint64_t pings, const std::atomic<bool>* cancel);

// Bytes per second memcpy moves in blocks of `size` on one core.
double measureMemcpy(std::uint32_t size);

// The integrity checks BenchCheck reports, and bytes per second one of them checks in one block of `size` bytes in
// cache on one core (50 ms of it).
enum class Check { Xxh3, Crc32c3Way, Crc32c };
constexpr Check Checks[] = { Check::Xxh3, Check::Crc32c3Way, Check::Crc32c };
constexpr std::uint32_t CheckSizes[] = { 64, 4096, 65536 };
const char* checkName(Check check);
double measureCheck(Check check, std::uint32_t size);

} // namespace ipccore::bench
