#pragma once

// A scenario: the IPC objects of an experiment and the workers that use them (producers, consumers, and programs
// of steps), loaded from JSON.
// Every value is validated once here, with the offending field named ("workers[2].rate: ..."), so the runner, the
// CLI and the GUI can trust a Scenario they hold.

#include "ipccore/limits.h"
#include "ipccore/program.h"
#include "ipccore/result.h"
#include "ipccore/telemetry.h"
#include "ipccore/transport.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipccore {

struct ObjectSpec {
    std::string name; // short name, [A-Za-z0-9_-]{1,48}; the OS name gets the run prefix
    TransportKind transport = TransportKind::Mq;
    // messages (mq depth, ring slots), cells (shm-array) or permits (semaphore); ignored by fifo/socket/shm-value
    std::uint32_t capacity = 8;
    std::uint32_t messageSize = 64; // largest frame in bytes, header included
    // shm-ring / shm-value: when a worker dies holding the lock or a slot token, the runner gives them back after
    // checking the ring. false shows the naive behaviour: everyone freezes (the dead-lock-holder lesson).
    bool repair = true;
};

struct WorkerSpec {
    std::string name; // short name, unique in the scenario
    Role role = Role::Producer;
    std::string object; // ObjectSpec::name it uses; empty for a program, whose steps name their objects
    double rate = 0; // messages (programs: passes) per second; 0 = as fast as possible
    std::uint32_t messageSize = 64; // frame bytes (>= 32, <= the object's messageSize)
    std::uint32_t workUs = 0; // simulated work per message (sleeps), microseconds
    std::uint64_t count = 0; // messages to move (programs: passes), then finish; 0 = until stopped
    std::uint32_t priority = 0; // mq only, 0..32767
    // Fault injection for teaching: the worker kills itself (SIGKILL) while holding the lock, the Nth time it
    // takes it (shm-ring workers, shm-value writers). 0 = never.
    std::uint64_t crashInLockAfter = 0;
    ProgramSteps program {}; // Role::Program: the steps it repeats (program.h)
    std::string host {}; // HostSpec::name of the worker host it runs on; empty = this machine
};

// A worker host: another machine running `ipclab-cli host --listen`, which runs the workers that name it (host.h).
// An object lives where its workers run, so every worker of an object names the same host (or none); only a zmq-tcp
// object reaches between machines, its consumers on one host or several and its producers on this machine.
struct HostSpec {
    std::string name; // what workers' "host" names, [A-Za-z0-9_-]{1,48}
    std::string endpoint; // "tcp://ADDRESS:PORT", as the host printed it
    std::string keyFile; // the host's public key (its .pub file); loadScenarioFile reads it from the file's folder
};

// Whose messages count as what got through an object: its consumers', or its producers' when readers only look;
// a program's passes always count.
bool countsThroughput(TransportKind transport, Role role);
// Which workers a run's total throughput adds up, given each one's object's transport and its role: those that
// countsThroughput, except that when any producer or consumer counts, programs do not as well. A pass is not a
// message, and a CSP stage's passes are the very messages its sink takes, so adding both would count them twice.
struct ThroughputParty {
    TransportKind transport = TransportKind::Mq;
    Role role = Role::Producer;
};
std::vector<bool> countedInTotal(const std::vector<ThroughputParty>& workers);
// ObjectSpec::capacity as a person should see it: messages that fit, 1 for a shared value, 0 for a byte stream
// whose kernel buffer is not counted in messages.
std::uint32_t displayedCapacity(const ObjectSpec& o);

// The most workers of a role the object's transport takes (0: no limit of its own), and the sentence refusing one
// more ("a named pipe (FIFO) ('f') can have only one consumer: ..."); empty when `workers` of that role fit.
std::uint32_t maxWorkers(TransportKind transport, Role role);
std::string workerLimitProblem(const ObjectSpec& o, Role role, std::uint32_t workers);

struct Scenario {
    std::string name;
    std::string title;
    std::string description; // a paragraph for students: what to watch
    std::vector<ObjectSpec> objects;
    std::vector<WorkerSpec> workers;
    double durationS = 10; // default run length for the CLI
    double sampleHz = 50; // runner sampling rate, 1..1000
    std::vector<HostSpec> hosts;
    std::string controllerKey; // this controller's secret key file, needed when workers run on hosts
};

// The hosts `scenario`'s workers run on, in the order of Scenario::hosts, without this machine ("").
std::vector<std::string> hostsInUse(const Scenario& scenario);
// The objects whose workers run on more than one machine (zmq-tcp between machines), in the scenario's order.
std::vector<std::string> objectsBetweenMachines(const Scenario& scenario);
// The part of `scenario` that runs on `host` ("" = this machine): the objects its workers use and those workers
// (their "host" cleared), no hosts. Objects no worker uses stay on this machine.
Scenario scenarioPart(const Scenario& scenario, const std::string& host);
// The worker host each of `scenario`'s objects lives on, in its order ("" = this machine), as a run names them: a
// zmq-tcp object between machines is its consumers' hosts', in hostsInUse's order joined by '+' ("lab2+lab3"; no host
// name has a '+').
std::vector<std::string> objectHosts(const Scenario& scenario);

// Ranges the validation enforces (besides the /proc limits for mq).
namespace ScenarioLimits {
constexpr std::uint32_t MinMessageSize = 32; // the frame header
constexpr std::uint32_t MaxStreamMessageSize = 65536; // fifo and socket
constexpr std::uint32_t MaxRecordMessageSize = 65536; // socketpair: one record per message
constexpr std::uint32_t MaxShmMessageSize = 1u << 20;
constexpr std::uint32_t MaxRingCapacity = 4096;
constexpr std::uint32_t MaxArrayCells = 4096;
constexpr std::uint32_t MaxPermits = 65535;
constexpr std::size_t MaxObjects = 32;
constexpr std::size_t MaxWorkers = 128;
constexpr std::size_t MaxHosts = 16;
constexpr double MaxRate = 10'000'000;
constexpr std::uint32_t MaxWorkUs = 1'000'000;
constexpr double MaxDurationS = 24 * 3600;
constexpr double MaxSampleHz = 1000;
// The message slots of one object (capacity x message_size, each shared-memory slot rounded up to 64 bytes; for
// mq the kernel's own accounting) may take at most this much; the header of a few hundred bytes comes on top.
// Without it a typo such as 4096 x 1 MiB only fails when the object is created, named by its OS name.
constexpr std::uint64_t MaxObjectBytes = std::uint64_t(256) << 20;
// A scenario is a small JSON file; more than this is a mistake (or /dev/zero), refused before it fills memory.
constexpr std::size_t MaxFileBytes = std::size_t(1) << 20;
} // namespace ScenarioLimits

// Bytes of message slots an object takes, as compared with ScenarioLimits::MaxObjectBytes (0 for fifo and socket,
// whose buffers live in the kernel's pipe and socket memory).
std::uint64_t objectSlotBytes(const ObjectSpec& object);
// Bytes the object occupies in /dev/shm once created: the region with its header and each of its named semaphores,
// rounded up to whole pages as tmpfs allocates them (0 for mq, fifo and socket).
std::uint64_t objectShmBytes(const ObjectSpec& object);

Status validateObject(const ObjectSpec& object, const MqLimits& limits, std::string_view field = "object");
// A producer or consumer against its object; for a program only the fields that do not depend on objects (see
// validateProgram).
Status validateWorker(const WorkerSpec& worker, const ObjectSpec& object, std::string_view field = "worker");
// A program's steps against the scenario's objects: each names an object that exists and can do that step, cells
// are in range, and every acquire is given back by a release of the same object later in the program.
Status validateProgram(
    const WorkerSpec& worker, const std::vector<ObjectSpec>& objects, std::string_view field = "worker");
// Whole-scenario checks: unique names, references, and per-transport rules (a FIFO has one consumer; a FIFO with
// several producers needs frames <= PIPE_BUF so writes stay atomic; shm-value has one consumer; shm-spsc has at
// most one producer and one consumer). The objects together must fit in the free space of /dev/shm (read now with
// readShmFreeBytes) and their queues in RLIMIT_MSGQUEUE, so a run that cannot be created is refused naming the
// object's capacity instead of failing half-way in shm_open or mq_open.
// The objects a worker's program is bound to, in binding order: those its steps name, then, for a server, the reply
// queue of every request sent to it (the server puts replies there though its own steps do not name them).
std::vector<std::string> workerObjects(const Scenario& scenario, const WorkerSpec& worker);

Status validateScenario(const Scenario& scenario, const MqLimits& limits);
// The same with the free bytes of /dev/shm given (std::nullopt skips that check): for tests and callers that
// already read it.
Status validateScenario(const Scenario& scenario, const MqLimits& limits, std::optional<std::uint64_t> shmFreeBytes);

// Parses and validates. `source` names the file in messages. Text longer than ScenarioLimits::MaxFileBytes is
// refused unread.
Result<Scenario> parseScenario(std::string_view jsonText, std::string_view source = "scenario");
// Reads only a regular file: a FIFO, directory, device (/dev/zero), socket... is refused with what the path is,
// without blocking (the file is opened O_NONBLOCK) and without reading more than ScenarioLimits::MaxFileBytes + 1
// bytes, so neither a pipe without writer nor an endless stream can hang the caller or fill its memory.
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
