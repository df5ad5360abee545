#pragma once

// A scenario: the IPC objects of an experiment and the producer/consumer workers that use them, loaded from JSON.
// Every value is validated once here, with the offending field named ("workers[2].rate: ..."), so the runner, the
// CLI and the GUI can trust a Scenario they hold.

#include "ipccore/limits.h"
#include "ipccore/result.h"
#include "ipccore/telemetry.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipccore {

enum class TransportKind : std::uint32_t {
    Mq = 0, // POSIX message queue
    Fifo, // named pipe
    Socket, // Unix domain stream socket
    ShmRing, // bounded buffer in shared memory guarded by three named semaphores (empty, full, mutex)
    ShmValue, // one shared slot that each write overwrites (multiprocessing.Value)
    ShmSpsc, // lock-free single-producer single-consumer ring in shared memory; sleeps on a futex only when idle
};

const char* transportName(TransportKind kind); // "mq", "fifo", "socket", "shm-ring", "shm-value", "shm-spsc"
std::optional<TransportKind> parseTransport(std::string_view text);
// True when consumers take messages out (everything but shm-value, whose readers only look).
bool transportConsumes(TransportKind kind);

struct ObjectSpec {
    std::string name; // short name, [A-Za-z0-9_-]{1,48}; the OS name gets the run prefix
    TransportKind transport = TransportKind::Mq;
    std::uint32_t capacity = 8; // messages (mq depth, ring slots); ignored by fifo/socket/shm-value
    std::uint32_t messageSize = 64; // largest frame in bytes, header included
    // shm-ring / shm-value: when a worker dies holding the lock or a slot token, the runner gives them back after
    // checking the ring. false shows the naive behaviour: everyone freezes (the dead-lock-holder lesson).
    bool repair = true;
};

struct WorkerSpec {
    std::string name; // short name, unique in the scenario
    Role role = Role::Producer;
    std::string object; // ObjectSpec::name it uses
    double rate = 0; // messages per second; 0 = as fast as possible
    std::uint32_t messageSize = 64; // frame bytes (>= 32, <= the object's messageSize)
    std::uint32_t workUs = 0; // simulated work per message (sleeps), microseconds
    std::uint64_t count = 0; // messages to move, then finish; 0 = until stopped
    std::uint32_t priority = 0; // mq only, 0..32767
    // Fault injection for teaching: the worker kills itself (SIGKILL) while holding the lock, the Nth time it
    // takes it (shm-ring workers, shm-value writers). 0 = never.
    std::uint64_t crashInLockAfter = 0;
};

struct Scenario {
    std::string name;
    std::string title;
    std::string description; // a paragraph for students: what to watch
    std::vector<ObjectSpec> objects;
    std::vector<WorkerSpec> workers;
    double durationS = 10; // default run length for the CLI
    double sampleHz = 50; // runner sampling rate, 1..1000
};

// Ranges the validation enforces (besides the /proc limits for mq).
namespace ScenarioLimits {
constexpr std::uint32_t MinMessageSize = 32; // the frame header
constexpr std::uint32_t MaxStreamMessageSize = 65536; // fifo and socket
constexpr std::uint32_t MaxShmMessageSize = 1u << 20;
constexpr std::uint32_t MaxRingCapacity = 4096;
constexpr std::size_t MaxObjects = 32;
constexpr std::size_t MaxWorkers = 128;
constexpr double MaxRate = 10'000'000;
constexpr std::uint32_t MaxWorkUs = 1'000'000;
constexpr double MaxDurationS = 24 * 3600;
constexpr double MaxSampleHz = 1000;
} // namespace ScenarioLimits

Status validateObject(const ObjectSpec& object, const MqLimits& limits, std::string_view field = "object");
Status validateWorker(const WorkerSpec& worker, const ObjectSpec& object, std::string_view field = "worker");
// Whole-scenario checks: unique names, references, and per-transport rules (a FIFO has one consumer; a FIFO with
// several producers needs frames <= PIPE_BUF so writes stay atomic; shm-value has one consumer; shm-spsc has at
// most one producer and one consumer).
Status validateScenario(const Scenario& scenario, const MqLimits& limits);

// Parses and validates. `source` names the file in messages.
Result<Scenario> parseScenario(std::string_view jsonText, std::string_view source = "scenario");
Result<Scenario> loadScenarioFile(const std::string& path);
std::string scenarioToJson(const Scenario& scenario);
Status saveScenarioFile(const Scenario& scenario, const std::string& path);

struct BundledScenario {
    std::string name;
    std::string title;
    std::string description;
    std::string json;
};
// The scenarios compiled into the binaries from resources/scenarios/*.json.
const std::vector<BundledScenario>& bundledScenarios();
constexpr const char* DefaultScenarioName = "bounded-buffer-3x2";
// A bundled scenario's name, or a path to a .json file.
Result<Scenario> resolveScenario(const std::string& nameOrPath);

} // namespace ipccore
