#include "ipccore/bench.h"

#include "bench_internal.h"
#include "ipccore/clock.h"
#include "ipccore/limits.h"
#include "ipccore/runner.h"
#include "sys_error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <sstream>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace ipccore::detail {
std::string_view benchPythonScript(); // generated from resources/bench/mp_reference.py
} // namespace ipccore::detail

namespace ipccore {

namespace {

std::string fmt(const char* format, double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

constexpr std::uint32_t MaxBenchSize = ScenarioLimits::MaxStreamMessageSize;
constexpr std::uint64_t MinMessages = 100;
constexpr std::uint64_t MaxMessages = 1'000'000'000;
constexpr std::uint32_t MaxRepeat = 100;
// The sampler's CPU is measured as the project's goal states it: 128 workers (64 producer/consumer pairs, the most a
// run takes) on 32 objects (the most a run takes), sampled at 1 kHz.
constexpr std::uint32_t SamplerPairs = ScenarioLimits::MaxWorkers / 2;
constexpr std::uint32_t SamplerObjects = ScenarioLimits::MaxObjects;
constexpr double SamplerPairRate = 250; // messages a second per pair
constexpr double SamplerHz = 1000;

const std::vector<TransportKind>& allTransports()
{
    return benchTransports();
}

// "mq, fifo, ...": the names --transports takes.
std::string benchTransportList()
{
    std::string list;
    for (TransportKind t : benchTransports())
        list += (list.empty() ? "" : ", ") + std::string(transportName(t));
    return list;
}

Error badOption(const std::string& option, const std::string& text)
{
    return detail::makeError(ErrorCode::InvalidArgument, "bench", option, option + ": " + text);
}

// Sizes above 4 KiB move the bytes of `messages` 4 KiB messages, so a 64 KiB pipe run does not take 16x longer.
std::uint64_t messagesFor(const BenchOptions& o, std::uint32_t size)
{
    if (size <= 4096)
        return o.messages;
    return std::max<std::uint64_t>(MinMessages, o.messages * 4096 / size);
}

std::uint64_t pingsFor(const BenchOptions& o)
{
    if (o.pings >= 0)
        return std::uint64_t(o.pings);
    return std::min<std::uint64_t>(o.messages / 10, 10'000);
}

BenchStats statsOf(std::vector<double> v)
{
    BenchStats s;
    if (v.empty())
        return s;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    s.min = v.front();
    s.max = v.back();
    return s;
}

BenchStats scaled(const BenchStats& s, double by)
{
    return { s.median * by, s.min * by, s.max * by };
}

// Median of on[i] / off[i]: runs i were taken back to back, so each ratio sees one state of the machine.
double pairRatio(const std::vector<double>& on, const std::vector<double>& off)
{
    std::vector<double> ratios;
    for (std::size_t i = 0; i < std::min(on.size(), off.size()); ++i) {
        if (off[i] > 0)
            ratios.push_back(on[i] / off[i]);
    }
    return statsOf(ratios).median;
}

std::string firstLine(const std::string& path, const std::string& prefix = {})
{
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (prefix.empty())
            return line;
        if (line.rfind(prefix, 0) == 0) {
            const auto colon = line.find(':');
            return colon == std::string::npos ? line : line.substr(colon + 2);
        }
    }
    return {};
}

std::string machineText()
{
    utsname u {};
    uname(&u);
    std::string cpu = firstLine("/proc/cpuinfo", "model name");
    if (cpu.empty())
        cpu = u.machine;
    return cpu + ", " + std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " cores, " + u.sysname + " " + u.release;
}

std::string loadText()
{
    const std::string line = firstLine("/proc/loadavg");
    std::istringstream in(line);
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

bool cancelled(const std::atomic<bool>* cancel)
{
    return cancel && cancel->load();
}

Error interrupted()
{
    return detail::makeError(ErrorCode::Interrupted, "bench", "", "The bench was cancelled");
}

// ---- Python reference -------------------------------------------------------------------------------------------

struct PythonOutcome {
    std::vector<BenchPython> results;
    std::vector<std::pair<std::string, BenchPython>> systems; // by the script's "system" key
    std::string note;
};

Result<PythonOutcome> runPython(const BenchOptions& o, const std::atomic<bool>* cancel)
{
    PythonOutcome out;
    const std::uint64_t n = std::min<std::uint64_t>(o.messages, 50'000);
    int pipeFds[2];
    if (pipe2(pipeFds, O_CLOEXEC) != 0)
        return detail::sysError("pipe2", "python3", errno);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipeFds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, pipeFds[1], STDERR_FILENO);
    const std::string script(detail::benchPythonScript());
    const std::string count = std::to_string(n);
    std::vector<char*> argv { const_cast<char*>(o.python3.c_str()), const_cast<char*>("-c"),
        const_cast<char*>(script.c_str()), const_cast<char*>(count.c_str()), nullptr };
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, o.python3.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipeFds[1]);
    if (rc != 0) {
        close(pipeFds[0]);
        out.note = "skipped: " + o.python3 + " could not be started (" + std::strerror(rc)
            + "); install python3 to compare with multiprocessing";
        return out;
    }
    std::string text;
    const std::uint64_t deadline = monotonicNs() + 180'000'000'000ull;
    bool killed = false;
    for (;;) {
        pollfd fd { pipeFds[0], POLLIN, 0 };
        if (poll(&fd, 1, 100) > 0) {
            char chunk[4096];
            const ssize_t got = read(pipeFds[0], chunk, sizeof chunk);
            if (got == 0)
                break;
            if (got > 0)
                text.append(chunk, std::size_t(got));
            else if (errno != EINTR)
                break;
        }
        if (cancelled(cancel) || monotonicNs() > deadline) {
            kill(pid, SIGKILL);
            killed = true;
            break;
        }
    }
    close(pipeFds[0]);
    int status = 0;
    detail::retryOnEintr([&] { return waitpid(pid, &status, 0); });
    if (cancelled(cancel))
        return interrupted();
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] != '{')
            continue;
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.contains("name") || !j.contains("msgs_per_s"))
            continue;
        if (!j["name"].is_string() || !j["msgs_per_s"].is_number())
            continue;
        BenchPython result { j["name"].get<std::string>(), j["msgs_per_s"].get<double>() };
        if (j.contains("system") && j["system"].is_string())
            out.systems.emplace_back(j["system"].get<std::string>(), std::move(result));
        else
            out.results.push_back(std::move(result));
    }
    if (killed)
        out.note = "stopped after 180 s; ";
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string tail = text.size() > 300 ? text.substr(text.size() - 300) : text;
        out.note += o.python3 + " failed ("
            + (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status)) : std::string("killed"))
            + "): " + tail;
    } else
        out.note += std::to_string(n) + " messages of 64 B per mechanism, one run";
    return out;
}

// ---- Python's systems through programs ----------------------------------------------------------------------------

// A Manager's dict and Pool.map as the lab runs them (the manager-dict and pool-map scenarios' steps, with one client
// and a trivial f, as the Python script does), each counted by what its client or caller got back.
struct SystemRun {
    const char* key; // the Python script's "system"
    const char* name;
    const char* unit;
    const char* program;
    const char* scenario;
    std::uint64_t (*done)(const Snapshot&);
};

const SystemRun SystemRuns[] = {
    { "manager", "Manager dict get/set", "requests/s",
        "client: request get d[count], request set d[count] +1, to a server over two mqs (as manager-dict)",
        R"({ "name": "bench-manager", "title": "bench: Manager dict get/set", "duration_s": 600,
            "objects": [ { "name": "manager", "transport": "mq", "capacity": 10, "message_size": 256 },
                         { "name": "replies-1", "transport": "mq", "capacity": 10, "message_size": 256 } ],
            "workers": [ { "name": "server", "role": "program", "program": ["serve manager"] },
                         { "name": "client", "role": "program", "program": [
                             "request manager replies-1 get d[count]", "request manager replies-1 set d[count] +1"
                         ] } ] })",
        [](const Snapshot& s) {
            std::uint64_t n = 0;
            for (const WorkerStatus& w : s.workers)
                n += w.name == "client" ? w.requests.repliesIn : 0;
            return n;
        } },
    { "pool", "Pool.map chunksize=1", "tasks/s",
        "caller: map tasks results 256 chunk 1; four pool workers: get tasks, put results (as pool-map)",
        R"({ "name": "bench-pool", "title": "bench: Pool.map chunksize=1", "duration_s": 600,
            "objects": [ { "name": "tasks", "transport": "mq", "capacity": 10, "message_size": 64 },
                         { "name": "results", "transport": "mq", "capacity": 10, "message_size": 64 } ],
            "workers": [ { "name": "caller", "role": "program", "program": ["map tasks results 256 chunk 1"] },
                         { "name": "pool-1", "role": "program", "program": ["get tasks", "put results"] },
                         { "name": "pool-2", "role": "program", "program": ["get tasks", "put results"] },
                         { "name": "pool-3", "role": "program", "program": ["get tasks", "put results"] },
                         { "name": "pool-4", "role": "program", "program": ["get tasks", "put results"] } ] })",
        [](const Snapshot& s) {
            std::uint64_t n = 0;
            for (const WorkerStatus& w : s.workers)
                n += w.name == "caller" ? w.tasks.in : 0;
            return n;
        } },
};

// Runs one system under a Runner (the lab's whole path: workers, telemetry, sampling) and takes its rate over
// max(3, repeat) windows of half a second after a warm-up.
Result<BenchStats> measureSystem(const SystemRun& run, const BenchOptions& o, const std::atomic<bool>* cancel)
{
    auto scenario = parseScenario(run.scenario, run.name);
    if (!scenario)
        return scenario.error();
    RunOptions ro;
    ro.workerPath = o.workerPath;
    auto runner = Runner::start(*scenario, ro);
    if (!runner)
        return runner.error();
    sleepUntilNs(monotonicNs() + 300'000'000ull); // past the workers' start-up
    std::vector<double> rates;
    const std::uint32_t windows = std::max<std::uint32_t>(3, o.repeat);
    for (std::uint32_t k = 0; k < windows && !cancelled(cancel); ++k) {
        const Snapshot first = (*runner)->sample();
        sleepUntilNs(monotonicNs() + 500'000'000ull);
        const Snapshot last = (*runner)->sample();
        if (last.t > first.t)
            rates.push_back(double(run.done(last) - run.done(first)) / (last.t - first.t));
    }
    (void)(*runner)->stop();
    if (cancelled(cancel))
        return interrupted();
    return statsOf(rates);
}

// ---- Observation through a Runner ---------------------------------------------------------------------------------

WorkerSpec workerSpec(const std::string& name, Role role, const std::string& object, double rate)
{
    WorkerSpec w;
    w.name = name;
    w.role = role;
    w.object = object;
    w.rate = rate;
    w.messageSize = 64;
    return w;
}

std::uint64_t consumerMessages(const Snapshot& s)
{
    std::uint64_t total = 0;
    for (const WorkerStatus& w : s.workers) {
        if (w.role == Role::Consumer)
            total += w.messages;
    }
    return total;
}

// Samples at 1 kHz on an absolute schedule until `seconds` have passed; returns the samples taken. A sample that is
// due while the last one is still being taken is dropped, not made up later, as the window's timer and `ipclab-cli
// run` do: so the samples taken over the samples scheduled says how many a user would see.
std::uint64_t sampleAt1kHz(Runner& runner, double seconds, Snapshot& last, const std::atomic<bool>* cancel)
{
    const std::uint64_t period = std::uint64_t(1e9 / SamplerHz);
    const std::uint64_t start = monotonicNs();
    const std::uint64_t end = start + std::uint64_t(seconds * 1e9);
    std::uint64_t next = start;
    std::uint64_t samples = 0;
    while (monotonicNs() < end && !cancelled(cancel)) {
        last = runner.sample();
        ++samples;
        next += period;
        const std::uint64_t now = monotonicNs();
        if (next < now)
            next += (now - next) / period * period + period; // the next tick still ahead
        sleepUntilNs(next);
    }
    return samples;
}

// shm-spsc at 64 B, workers spawned by a Runner, rate over a window with the sampler at 1 kHz and without.
Status measureSamplerRatio(const BenchOptions& o, BenchObservation& obs, const std::atomic<bool>* cancel)
{
    Scenario s;
    s.name = "bench-sampler";
    s.title = "bench: sampler cost";
    s.objects.push_back({ "ring", TransportKind::ShmSpsc, bench::ringCapacity(64), 64 });
    s.workers.push_back(workerSpec("producer", Role::Producer, "ring", 0));
    s.workers.push_back(workerSpec("consumer", Role::Consumer, "ring", 0));
    s.sampleHz = SamplerHz;
    RunOptions ro;
    ro.workerPath = o.workerPath;
    ro.sampleHz = SamplerHz;
    auto runner = Runner::start(s, ro);
    if (!runner)
        return runner.error();
    sleepUntilNs(monotonicNs() + 300'000'000ull); // past the workers' start-up
    // Short adjacent windows, compared pair by pair: the workers' rate jumps when the scheduler moves them between
    // cores, and a pair of neighbouring windows usually sees the same placement.
    constexpr double Window = 0.25;
    const std::uint32_t pairs = std::max<std::uint32_t>(6, 2 * o.repeat);
    std::vector<double> on, off;
    for (std::uint32_t r = 0; r < pairs && !cancelled(cancel); ++r) {
        for (int pass = 0; pass < 2; ++pass) {
            const bool sampled = (pass == 0) == (r % 2 == 0);
            const Snapshot first = (*runner)->sample();
            Snapshot last = first;
            if (sampled)
                sampleAt1kHz(**runner, Window, last, cancel);
            else {
                sleepUntilNs(monotonicNs() + std::uint64_t(Window * 1e9));
                last = (*runner)->sample();
            }
            const double dt = last.t - first.t;
            if (dt > 0)
                (sampled ? on : off).push_back(double(consumerMessages(last) - consumerMessages(first)) / dt);
        }
    }
    (void)(*runner)->stop();
    if (cancelled(cancel))
        return interrupted();
    obs.samplerOnMsgsPerS = statsOf(on).median;
    obs.samplerOffMsgsPerS = statsOf(off).median;
    obs.samplerRatio = pairRatio(on, off);
    obs.samplerMeasured = true;
    return {};
}

// 64 producer/consumer pairs at 250 msgs/s each (16 000 in all, which two cores carry with room to spare; at 1000
// each the workers alone filled both) on 32 objects of every transport, sampled at 1 kHz in this thread: one pair
// on each object, and the other 32 on the objects that take several producers and consumers.
Status measureSamplerCpu(const BenchOptions& o, BenchObservation& obs, const std::atomic<bool>* cancel)
{
    Scenario s;
    s.name = "bench-sampler-cpu";
    s.title = "bench: sampler CPU";
    std::vector<std::string> shared; // objects that take more pairs
    for (std::uint32_t i = 0; i < SamplerObjects; ++i) {
        const TransportKind t = allTransports()[i % allTransports().size()];
        // append, not "o" + to_string: GCC 12 warns falsely (-Wrestrict) on that at -O3.
        const std::string object = std::string("o").append(std::to_string(i));
        const std::uint32_t capacity = t == TransportKind::Mq ? bench::MqDepth : 64;
        s.objects.push_back({ object, t, capacity, 64 });
        // (ZeroMQ objects keep one pair each, as before they could take several consumers: figures stay comparable.)
        if (traits(t).maxProducers == 0 && traits(t).maxConsumers == 0 && !consumersFixedAtStart(t))
            shared.push_back(object);
    }
    for (std::uint32_t i = 0; i < SamplerPairs; ++i) {
        const std::string index = std::to_string(i);
        const std::string& object = i < SamplerObjects ? s.objects[i].name : shared[i % shared.size()];
        s.workers.push_back(workerSpec(std::string("p").append(index), Role::Producer, object, SamplerPairRate));
        s.workers.push_back(workerSpec(std::string("c").append(index), Role::Consumer, object, 0));
    }
    s.sampleHz = SamplerHz;
    RunOptions ro;
    ro.workerPath = o.workerPath;
    ro.sampleHz = SamplerHz;
    auto runner = Runner::start(s, ro);
    if (!runner)
        return runner.error();
    sleepUntilNs(monotonicNs() + 300'000'000ull);
    timespec cpu0 {}, cpu1 {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
    const std::uint64_t wall0 = monotonicNs();
    Snapshot last;
    const std::uint64_t samples = sampleAt1kHz(**runner, o.samplerSeconds, last, cancel);
    const std::uint64_t wall1 = monotonicNs();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1);
    (void)(*runner)->stop();
    if (cancelled(cancel))
        return interrupted();
    const double cpuNs = double(cpu1.tv_sec - cpu0.tv_sec) * 1e9 + double(cpu1.tv_nsec - cpu0.tv_nsec);
    if (samples == 0)
        return detail::makeError(ErrorCode::Unexpected, "bench", "sampler", "No sample was taken");
    obs.samplerUsPerSample = cpuNs / double(samples) / 1e3;
    obs.samplerCpuFraction = obs.samplerUsPerSample * SamplerHz / 1e6;
    obs.samplerHzAchieved = double(samples) / (double(wall1 - wall0) / 1e9);
    obs.samplerWorkers = std::uint32_t(s.workers.size());
    return {};
}

// ---- The schedule -------------------------------------------------------------------------------------------------

enum class StepKind {
    Ipccore,
    Program,
    Bare,
    Memcpy,
    TelemetryOn,
    TelemetryOff,
    EventsOn,
    EventsOff,
    PingPong,
    Python,
    System, // Step::system: the index into SystemRuns
    SamplerRatio,
    SamplerCpu
};

struct Step {
    StepKind kind;
    std::size_t cell = 0; // index into results
    std::uint32_t repeat = 0;
    std::size_t system = 0; // StepKind::System: index into SystemRuns
};

struct Samples {
    std::vector<double> ipccore, program, bare;
};

void evaluateGoals(BenchReport& r)
{
    auto find = [&](TransportKind t, std::uint32_t size) -> const BenchResult* {
        for (const BenchResult& x : r.results) {
            if (x.transport == t && x.size == size && x.applicable && x.msgsPerS.median > 0)
                return &x;
        }
        return nullptr;
    };
    auto add
        = [&](std::string text, bool measured, double value, double target, bool atMost = false, bool noisy = false) {
              BenchGoal g { std::move(text), value, target, atMost, measured, false, measured && noisy };
              g.met = measured && (atMost ? value <= target : value >= target);
              r.goals.push_back(std::move(g));
          };
    // A transport against its own bare loop.
    auto againstBare = [&](TransportKind t, std::uint32_t size, double target) {
        const BenchResult* x = find(t, size);
        add(std::string(transportName(t)) + " >= " + fmt("%.1f", target) + "x " + bench::baselineName(t) + " at "
                + std::to_string(size) + " B",
            x && x->ratio > 0, x ? x->ratio : 0, target, false, x && x->noisy());
    };
    for (TransportKind t :
        { TransportKind::Mq, TransportKind::Fifo, TransportKind::Socket, TransportKind::Zmq, TransportKind::ZmqTcp }) {
        for (std::uint32_t size : { 64u, 4096u })
            againstBare(t, size, 0.9);
    }
    againstBare(TransportKind::ShmSpsc, 64, 0.7);
    againstBare(TransportKind::ShmSpsc, 4096, 0.5);
    againstBare(TransportKind::ShmSpsc, 65536, 0.5);
    againstBare(TransportKind::ShmRing, 64, 0.8);
    againstBare(TransportKind::ShmRing, 4096, 0.5);
    const BenchResult* spsc64 = find(TransportKind::ShmSpsc, 64);
    const BenchResult* mq64 = find(TransportKind::Mq, 64);
    const BenchResult* spsc64k = find(TransportKind::ShmSpsc, 65536);
    const BenchResult* ring64 = find(TransportKind::ShmRing, 64);
    add("shm-spsc >= 20x mq at 64 B", spsc64 && mq64,
        spsc64 && mq64 ? spsc64->msgsPerS.median / mq64->msgsPerS.median : 0, 20, false,
        spsc64 && mq64 && (spsc64->msgsPerS.noisy() || mq64->msgsPerS.noisy()));
    const double memcpy = r.memcpyMbPerS.median;
    add("shm-spsc >= 0.3x memcpy bandwidth at 64 KiB", spsc64k && memcpy > 0,
        spsc64k && memcpy > 0 ? spsc64k->mbPerS.median / memcpy : 0, 0.3, false,
        spsc64k && (spsc64k->mbPerS.noisy() || r.memcpyMbPerS.noisy()));
    add("shm-spsc one-way latency p50 <= 1 us at 64 B", spsc64 && spsc64->p50Us >= 0, spsc64 ? spsc64->p50Us : 0, 1.0,
        true);
    const BenchPython* queue = nullptr;
    for (const BenchPython& p : r.python) {
        if (p.name == "multiprocessing.Queue" && p.msgsPerS > 0)
            queue = &p;
    }
    add("shm-ring >= 30x multiprocessing.Queue at 64 B", ring64 && queue,
        ring64 && queue ? ring64->msgsPerS.median / queue->msgsPerS : 0, 30, false, ring64 && ring64->msgsPerS.noisy());
    add("shm-spsc >= 150x multiprocessing.Queue at 64 B", spsc64 && queue,
        spsc64 && queue ? spsc64->msgsPerS.median / queue->msgsPerS : 0, 150, false,
        spsc64 && spsc64->msgsPerS.noisy());
    for (const BenchSystem& x : r.systems)
        add(x.name + " in the lab >= 10x Python's", x.ratio() > 0, x.ratio(), 10, false, x.lab.noisy());
    if (r.systems.empty()) {
        add("Manager dict get/set in the lab >= 10x Python's", false, 0, 10);
        add("Pool.map chunksize=1 in the lab >= 10x Python's", false, 0, 10);
    }
    // Programs: the slowest transport and size through `put` / `get` against its producer/consumer loops.
    const BenchResult* slowest = nullptr;
    for (const BenchResult& x : r.results) {
        if (x.applicable && x.programRatio > 0 && (!slowest || x.programRatio < slowest->programRatio))
            slowest = &x;
    }
    add(slowest ? "programs no more than 5% slower than the loops (slowest: "
                + std::string(transportName(slowest->transport)) + " " + std::to_string(slowest->size) + " B)"
                : std::string("programs no more than 5% slower than the producer/consumer loops"),
        slowest != nullptr, slowest ? slowest->programRatio : 0, 0.95);
    const BenchObservation& ob = r.observation;
    add("telemetry publishing costs <= 2% (ratio >= 0.98)", ob.telemetryMeasured, ob.telemetryRatio, 0.98);
    add("event rings cost <= 2% on shm-ring 64 B (ratio >= 0.98)", ob.eventsMeasured, ob.eventsRatio, 0.98);
    add("sampler at 1 kHz with 128 workers <= 10% of one core", ob.samplerCpuFraction >= 0, ob.samplerCpuFraction, 0.10,
        true);
    add("sampler at 1 kHz with 128 workers takes >= 95% of its samples", ob.samplerCpuFraction >= 0,
        ob.samplerHzAchieved / SamplerHz, 0.95);
}

} // namespace

const std::vector<TransportKind>& benchTransports()
{
    static const std::vector<TransportKind> all = [] {
        std::vector<TransportKind> kinds;
        // A rendezvous has no queue: its sender waits for each message to be taken, which measures the handshake,
        // not a transport's speed. A broadcast (zmq-pub) with the bench's one consumer takes ZeroMQ's path of zmq.
        for (TransportKind t : queueingTransports()) {
            if (traits(t).capacity != CapacityUnit::None && !traits(t).broadcast)
                kinds.push_back(t);
        }
        return kinds;
    }();
    return all;
}

double BenchStats::spread() const
{
    if (!(median > 0))
        return 0;
    return std::max(median - min, max - median) / median;
}

Status validateBenchOptions(const BenchOptions& o)
{
    for (std::size_t i = 0; i < o.transports.size(); ++i) {
        const TransportKind t = o.transports[i];
        if (!traits(t).consumingReads) {
            std::string choices;
            for (TransportKind k : allTransports())
                choices += (choices.empty() ? "" : ", ") + std::string(transportName(k));
            return badOption("--transports",
                std::string(transportName(t))
                    + " overwrites one slot instead of queueing, so it has no throughput to race; choose from "
                    + choices);
        }
        if (std::find(o.transports.begin(), o.transports.begin() + std::ptrdiff_t(i), t)
            != o.transports.begin() + std::ptrdiff_t(i))
            return badOption("--transports", std::string(transportName(t)) + " is listed twice");
        if (std::find(allTransports().begin(), allTransports().end(), t) == allTransports().end())
            return badOption("--transports",
                std::string(transportName(t)) + " is not one the bench races; choose from " + benchTransportList()
                    + " or all");
    }
    if (o.sizes.empty())
        return badOption("--sizes", "give at least one size, e.g. 64,4096,65536");
    for (std::size_t i = 0; i < o.sizes.size(); ++i) {
        const std::uint32_t s = o.sizes[i];
        if (s < ScenarioLimits::MinMessageSize || s > MaxBenchSize)
            return badOption("--sizes",
                std::to_string(s) + " is outside " + std::to_string(ScenarioLimits::MinMessageSize) + ".."
                    + std::to_string(MaxBenchSize)
                    + " bytes (a frame holds a 32-byte header; 65536 is the stream "
                      "transports' largest frame)");
        if (std::find(o.sizes.begin(), o.sizes.begin() + std::ptrdiff_t(i), s) != o.sizes.begin() + std::ptrdiff_t(i))
            return badOption("--sizes", std::to_string(s) + " is listed twice");
    }
    if (o.messages < MinMessages || o.messages > MaxMessages)
        return badOption("--messages",
            "must be " + std::to_string(MinMessages) + ".." + std::to_string(MaxMessages) + " (got "
                + std::to_string(o.messages) + ")");
    if (o.repeat < 1 || o.repeat > MaxRepeat)
        return badOption("--repeat", "must be 1.." + std::to_string(MaxRepeat));
    if (o.pings < -1 || o.pings > std::int64_t(MaxMessages))
        return badOption("--pings", "must be 0.." + std::to_string(MaxMessages) + " (0 = no latency measurement)");
    if (!(o.samplerSeconds >= 0.1 && o.samplerSeconds <= 600))
        return badOption("samplerSeconds", "must be 0.1..600 seconds");
    if (o.python && o.python3.empty())
        return badOption("python3", "the Python interpreter's name is empty");
    if (o.pin) {
        const bench::CpuPair cpus = bench::twoCpus();
        if (cpus.second < 0)
            return badOption("--pin",
                "needs two CPUs this process may run on, and it may run on " + std::to_string(cpus.allowed)
                    + " (see `taskset -p $$` or the container's CPU limit); leave --pin out on this machine");
    }
    if (!o.workerPath.empty() && access(o.workerPath.c_str(), X_OK) != 0)
        return badOption("--worker",
            "'" + o.workerPath + "' is not an executable file (" + std::strerror(errno)
                + "); give the path of ipclab-worker, or leave the option out to use the one next to ipclab-cli");
    return {};
}

Result<BenchReport> runBench(
    const BenchOptions& options, const BenchProgressCallback& progress, const std::atomic<bool>* cancel)
{
    BenchOptions o = options;
    if (o.transports.empty())
        o.transports = allTransports();
    if (Status st = validateBenchOptions(o); !st)
        return st.error();
    struct ForgetQueues {
        ~ForgetQueues() { bench::forgetQueueNames(); } // every queue is unlinked by then
    } forgetQueues;
    struct Unpin {
        ~Unpin() { bench::setPinning(-1, -1); }
    } unpin;

    const std::uint64_t startNs = monotonicNs();
    BenchReport report;
    report.machine = machineText();
    report.loadBefore = loadText();
    report.repeat = o.repeat;
    if (o.pin) {
        const bench::CpuPair cpus = bench::twoCpus();
        report.producerCpu = cpus.first;
        report.consumerCpu = cpus.second;
        bench::setPinning(cpus.first, cpus.second);
    }
    const MqLimits mq = readMqLimits();

    std::vector<Samples> samples;
    for (std::uint32_t size : o.sizes) {
        for (TransportKind t : o.transports) {
            BenchResult r;
            r.transport = t;
            r.size = size;
            r.messagesPerRun = messagesFor(o, size);
            if (t == TransportKind::Mq && (long(size) > mq.msgsizeMax || mq.msgMax < long(bench::MqDepth))) {
                r.applicable = false;
                r.note = long(size) > mq.msgsizeMax
                    ? "not applicable (msgsize_max " + std::to_string(mq.msgsizeMax) + ")"
                    : "not applicable (msg_max " + std::to_string(mq.msgMax) + " < depth 10)";
            }
            if (o.baselines)
                r.baseline = bench::baselineName(t);
            report.results.push_back(r);
            samples.emplace_back();
        }
    }

    std::vector<Step> steps;
    for (std::uint32_t rep = 0; rep < o.repeat; ++rep) {
        for (std::size_t cell = 0; cell < report.results.size(); ++cell) {
            if (!report.results[cell].applicable)
                continue;
            // Alternate which goes first, so warm-up and drift do not always favour the same one.
            const bool bareFirst = o.baselines && rep % 2 == 1;
            if (bareFirst)
                steps.push_back({ StepKind::Bare, cell, rep });
            // The program run beside its producer/consumer run, each first in turn: their ratio is taken per pair.
            if (o.programs && rep % 2 == 1)
                steps.push_back({ StepKind::Program, cell, rep });
            steps.push_back({ StepKind::Ipccore, cell, rep });
            if (o.programs && rep % 2 == 0)
                steps.push_back({ StepKind::Program, cell, rep });
            if (o.baselines && !bareFirst)
                steps.push_back({ StepKind::Bare, cell, rep });
        }
        if (o.baselines)
            steps.push_back({ StepKind::Memcpy, 0, rep });
        if (o.observation) {
            steps.push_back({ rep % 2 ? StepKind::TelemetryOff : StepKind::TelemetryOn, 0, rep });
            steps.push_back({ rep % 2 ? StepKind::TelemetryOn : StepKind::TelemetryOff, 0, rep });
            steps.push_back({ rep % 2 ? StepKind::EventsOff : StepKind::EventsOn, 0, rep });
            steps.push_back({ rep % 2 ? StepKind::EventsOn : StepKind::EventsOff, 0, rep });
        }
    }
    if (pingsFor(o) > 0) {
        for (std::size_t cell = 0; cell < report.results.size(); ++cell) {
            if (report.results[cell].applicable)
                steps.push_back({ StepKind::PingPong, cell, 0 });
        }
    }
    if (o.python) {
        steps.push_back({ StepKind::Python, 0, 0 });
        for (std::size_t k = 0; k < std::size(SystemRuns); ++k)
            steps.push_back({ StepKind::System, 0, 0, k });
    }
    if (o.observation) {
        steps.push_back({ StepKind::SamplerRatio, 0, 0 });
        steps.push_back({ StepKind::SamplerCpu, 0, 0 });
    }

    std::vector<double> memcpyRates, telemetryOn, telemetryOff, eventsOn, eventsOff;
    std::vector<double> checkRates[std::size(bench::Checks)][std::size(bench::CheckSizes)];
    std::vector<std::string> observationNotes;
    std::vector<std::pair<std::string, BenchPython>> pythonSystems; // Python's side of the System steps
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (cancelled(cancel))
            return interrupted();
        const Step& step = steps[i];
        BenchResult& cell = report.results[step.cell];
        const std::string rep = "repeat " + std::to_string(step.repeat + 1) + "/" + std::to_string(o.repeat) + ": ";
        const std::string cellText
            = std::string(transportName(cell.transport)) + " " + std::to_string(cell.size) + " B";
        std::string what;
        switch (step.kind) {
        case StepKind::Ipccore:
            what = rep + cellText + " through ipccore";
            break;
        case StepKind::Program:
            what = rep + cellText + " through programs (put, get)";
            break;
        case StepKind::Bare:
            what = rep + cellText + " " + cell.baseline;
            break;
        case StepKind::Memcpy:
            what = rep + "memcpy 64 KiB and the integrity checks";
            break;
        case StepKind::TelemetryOn:
        case StepKind::TelemetryOff:
            what = rep + "shm-spsc 64 B, telemetry " + (step.kind == StepKind::TelemetryOn ? "on" : "off");
            break;
        case StepKind::EventsOn:
        case StepKind::EventsOff:
            what = rep + "shm-ring 64 B, event rings " + (step.kind == StepKind::EventsOn ? "on" : "off");
            break;
        case StepKind::PingPong:
            what = "latency: " + cellText + " ping-pong";
            break;
        case StepKind::Python:
            what = "Python multiprocessing reference";
            break;
        case StepKind::System:
            what = std::string(SystemRuns[step.system].name) + " through programs";
            break;
        case StepKind::SamplerRatio:
            what = "observation: sampler at 1 kHz vs off";
            break;
        case StepKind::SamplerCpu:
            what = "observation: sampler CPU with 128 workers at 1 kHz";
            break;
        }
        if (progress)
            progress(BenchProgress { i, steps.size(), what });

        switch (step.kind) {
        case StepKind::Ipccore:
        case StepKind::Program:
        case StepKind::Bare: {
            auto rate = step.kind == StepKind::Bare
                ? bench::measureBare(cell.transport, cell.size, cell.messagesPerRun, cancel)
                : bench::measureIpccore(cell.transport, cell.size, cell.messagesPerRun, true, cancel,
                    step.kind == StepKind::Program ? bench::Loop::Programs : bench::Loop::Roles);
            if (!rate)
                return rate.error();
            Samples& into = samples[step.cell];
            (step.kind == StepKind::Ipccore          ? into.ipccore
                    : step.kind == StepKind::Program ? into.program
                                                     : into.bare)
                .push_back(*rate);
            break;
        }
        case StepKind::Memcpy:
            memcpyRates.push_back(bench::measureMemcpy(65536));
            for (std::size_t c = 0; c < std::size(bench::Checks); ++c) {
                for (std::size_t z = 0; z < std::size(bench::CheckSizes); ++z)
                    checkRates[c][z].push_back(bench::measureCheck(bench::Checks[c], bench::CheckSizes[z]));
            }
            break;
        case StepKind::TelemetryOn:
        case StepKind::TelemetryOff: {
            // At least a million messages (about 0.1-0.2 s on shm-spsc): with the few thousand a quick race uses, a
            // run lasts milliseconds and the on/off ratio is scheduling noise (0.5x to 1.8x was seen).
            constexpr std::uint64_t MinTelemetryMessages = 1'000'000;
            auto rate = bench::measureIpccore(TransportKind::ShmSpsc, 64, std::max(o.messages, MinTelemetryMessages),
                step.kind == StepKind::TelemetryOn, cancel);
            if (!rate)
                return rate.error();
            (step.kind == StepKind::TelemetryOn ? telemetryOn : telemetryOff).push_back(*rate);
            break;
        }
        case StepKind::EventsOn:
        case StepKind::EventsOff: {
            constexpr std::uint64_t MinEventMessages = 1'000'000; // as for telemetry: long enough to compare
            auto rate = bench::measureIpccore(TransportKind::ShmRing, 64, std::max(o.messages, MinEventMessages), true,
                cancel, bench::Loop::Roles, step.kind == StepKind::EventsOn);
            if (!rate)
                return rate.error();
            (step.kind == StepKind::EventsOn ? eventsOn : eventsOff).push_back(*rate);
            break;
        }
        case StepKind::PingPong: {
            auto lat = bench::measurePingPong(cell.transport, cell.size, pingsFor(o), cancel);
            if (!lat)
                return lat.error();
            std::vector<std::uint64_t>& v = *lat;
            std::sort(v.begin(), v.end());
            if (!v.empty()) {
                cell.p50Us = double(v[v.size() / 2]) / 1e3;
                cell.p99Us = double(v[std::min(v.size() - 1, v.size() * 99 / 100)]) / 1e3;
            }
            break;
        }
        case StepKind::Python: {
            auto py = runPython(o, cancel);
            if (!py)
                return py.error();
            report.python = py->results;
            report.pythonNote = py->note;
            pythonSystems = py->systems;
            break;
        }
        case StepKind::System: {
            const SystemRun& run = SystemRuns[step.system];
            BenchSystem system;
            system.name = run.name;
            system.unit = run.unit;
            system.program = run.program;
            for (const auto& [key, result] : pythonSystems) {
                if (key == run.key) {
                    system.python = result.name;
                    system.pythonPerS = result.msgsPerS;
                }
            }
            auto lab = measureSystem(run, o, cancel);
            if (!lab) {
                if (lab.error().code == ErrorCode::Interrupted)
                    return lab.error();
                report.systemsNote
                    += (report.systemsNote.empty() ? "" : "; ") + system.name + " skipped: " + lab.error().message();
                break;
            }
            system.lab = *lab;
            report.systems.push_back(std::move(system));
            break;
        }
        case StepKind::SamplerRatio:
            if (Status st = measureSamplerRatio(o, report.observation, cancel); !st) {
                if (st.error().code == ErrorCode::Interrupted)
                    return st.error();
                observationNotes.push_back("sampler ratio skipped: " + st.error().message());
            }
            break;
        case StepKind::SamplerCpu:
            if (Status st = measureSamplerCpu(o, report.observation, cancel); !st) {
                if (st.error().code == ErrorCode::Interrupted)
                    return st.error();
                observationNotes.push_back("sampler CPU skipped: " + st.error().message());
            }
            break;
        }
    }
    if (cancelled(cancel))
        return interrupted();

    for (std::size_t c = 0; c < report.results.size(); ++c) {
        BenchResult& r = report.results[c];
        if (!r.applicable)
            continue;
        const double mb = double(r.size) / 1e6;
        r.msgsPerS = statsOf(samples[c].ipccore);
        r.mbPerS = scaled(r.msgsPerS, mb);
        if (!samples[c].bare.empty()) {
            r.baselineMsgsPerS = statsOf(samples[c].bare);
            r.baselineMbPerS = scaled(r.baselineMsgsPerS, mb);
            r.ratio = r.baselineMsgsPerS.median > 0 ? r.msgsPerS.median / r.baselineMsgsPerS.median : 0;
        }
        if (!samples[c].program.empty()) {
            r.programMsgsPerS = statsOf(samples[c].program);
            r.programRatio = pairRatio(samples[c].program, samples[c].ipccore);
        }
    }
    report.memcpyMbPerS = scaled(statsOf(memcpyRates), 1e-6);
    for (std::size_t c = 0; c < std::size(bench::Checks); ++c) {
        for (std::size_t z = 0; z < std::size(bench::CheckSizes); ++z) {
            if (!checkRates[c][z].empty())
                report.checks.push_back({ bench::checkName(bench::Checks[c]), bench::CheckSizes[z],
                    scaled(statsOf(checkRates[c][z]), 1e-6) });
        }
    }
    if (o.observation) {
        BenchObservation& ob = report.observation;
        ob.telemetryOnMsgsPerS = statsOf(telemetryOn).median;
        ob.telemetryOffMsgsPerS = statsOf(telemetryOff).median;
        ob.telemetryRatio = pairRatio(telemetryOn, telemetryOff);
        ob.telemetryMeasured = ob.telemetryRatio > 0;
        ob.eventsOnMsgsPerS = statsOf(eventsOn).median;
        ob.eventsOffMsgsPerS = statsOf(eventsOff).median;
        ob.eventsRatio = pairRatio(eventsOn, eventsOff);
        ob.eventsMeasured = ob.eventsRatio > 0;
        for (const std::string& n : observationNotes)
            ob.note += (ob.note.empty() ? "" : "; ") + n;
    } else
        report.observation.note = "not measured (observation off)";
    if (!o.python)
        report.pythonNote = "not measured (python off)";
    evaluateGoals(report);
    report.loadAfter = loadText();
    report.durationS = double(monotonicNs() - startNs) / 1e9;
    return report;
}

// ---- Output -------------------------------------------------------------------------------------------------------

namespace {

// 1234567 -> "1.23 M", 45678 -> "45.7 k"
std::string rateText(double v)
{
    if (v >= 1e6)
        return fmt("%.2f M", v / 1e6);
    if (v >= 1e3)
        return fmt("%.1f k", v / 1e3);
    return fmt("%.0f", v);
}

std::string pad(std::string s, std::size_t width, bool right = false)
{
    if (s.size() >= width)
        return s + " ";
    return right ? std::string(width - s.size(), ' ') + s + " " : s + std::string(width - s.size(), ' ') + " ";
}

nlohmann::json numberOrNull(double v, bool present)
{
    return present ? nlohmann::json(v) : nlohmann::json(nullptr);
}

// "1.4x" below ten, "68x" above: two significant figures are all a noisy ratio deserves.
std::string timesText(double ratio)
{
    return fmt(ratio < 10 ? "%.1fx" : "%.0fx", ratio);
}

// A Manager request is two hops through an mq, one at a time (the client waits for its reply), so mq's one-way
// latency in the same run sets its pace: about 1 / (2 x p50) requests a second (an estimate: the ping-pong sends 64 B,
// the Manager 256 B). Empty without the two figures.
std::string managerBoundText(const BenchReport& r)
{
    double p50Us = -1;
    for (const BenchResult& x : r.results) {
        if (x.transport == TransportKind::Mq && x.size == 64 && x.applicable)
            p50Us = x.p50Us;
    }
    for (const BenchSystem& x : r.systems) {
        if (x.name == "Manager dict get/set" && p50Us > 0 && x.lab.median > 0) {
            const double bound = 1e6 / (2 * p50Us);
            return "  A Manager request is two mq hops (request, reply), one at a time: mq's one-way p50 at 64 B, "
                + fmt("%.1f", p50Us) + " us in this run, allows about " + rateText(bound)
                + " requests/s; the lab reaches " + fmt("%.2f", x.lab.median / bound) + "x of that.\n";
        }
    }
    return {};
}

// "±4%": how far the repeats strayed from the median (BenchStats::spread).
std::string spreadText(const BenchStats& s)
{
    return fmt("+-%.0f%%", s.spread() * 100);
}

} // namespace

std::string benchReportToText(const BenchReport& r)
{
    std::string out;
    out += "IPC Lab bench: " + r.machine + "\n";
    const bool ranges = r.repeat > 1;
    out += "load " + r.loadBefore + " before, " + r.loadAfter + " after; "
        + (ranges ? std::to_string(r.repeat) + " interleaved repeats (median, and +-: how far they strayed from it); "
                  : "one run; ")
        + fmt("%.1f", r.durationS) + " s\n";
    out += r.producerCpu >= 0 ? "pinned: producers on CPU " + std::to_string(r.producerCpu) + ", consumers on CPU "
            + std::to_string(r.consumerCpu) + "\n\n"
                              : "not pinned (--pin puts producer and consumer on two fixed CPUs)\n\n";
    out += pad("transport", 11) + pad("size", 6, true) + pad("msgs/s", 9, true) + pad(ranges ? "+-" : "", 5, true)
        + pad("MB/s", 6, true) + pad("p50 us", 7, true) + pad("p99 us", 7, true) + pad("baseline msgs/s", 16, true)
        + pad(ranges ? "+-" : "", 5, true) + "ratio\n";
    bool anyNoisy = false;
    for (const BenchResult& x : r.results) {
        out += pad(transportName(x.transport), 11) + pad(std::to_string(x.size), 6, true);
        if (!x.applicable) {
            out += x.note + "\n";
            continue;
        }
        const bool base = !x.baseline.empty();
        out += pad(rateText(x.msgsPerS.median), 9, true) + pad(ranges ? spreadText(x.msgsPerS) : "", 5, true)
            + pad(fmt("%.0f", x.mbPerS.median), 6, true) + pad(x.p50Us >= 0 ? fmt("%.1f", x.p50Us) : "-", 7, true)
            + pad(x.p99Us >= 0 ? fmt("%.1f", x.p99Us) : "-", 7, true)
            + pad(base ? rateText(x.baselineMsgsPerS.median) : "-", 16, true)
            + pad(ranges && base ? spreadText(x.baselineMsgsPerS) : "", 5, true)
            + (x.ratio > 0 ? fmt("%.2fx", x.ratio) : "-") + (x.noisy() ? "  noisy" : "") + "\n";
        anyNoisy = anyNoisy || x.noisy();
    }
    if (anyNoisy)
        out += "noisy: a run strayed more than +-" + fmt("%.0f", BenchStats::NoisySpread * 100)
            + "% from its median; its ratio may be far off. Run again on a quieter machine, with more --repeat, or "
              "with --pin.\n";
    out += "\nbaselines: ";
    std::vector<TransportKind> seen;
    for (const BenchResult& x : r.results) {
        if (!x.baseline.empty() && std::find(seen.begin(), seen.end(), x.transport) == seen.end()) {
            out += std::string(seen.empty() ? "" : "; ") + transportName(x.transport) + " <-> " + x.baseline;
            seen.push_back(x.transport);
        }
    }
    out += "\n";
    if (r.memcpyMbPerS.median > 0) {
        out += "memcpy 64 KiB blocks, one core: " + fmt("%.0f", r.memcpyMbPerS.median) + " MB/s"
            + (ranges ? " " + spreadText(r.memcpyMbPerS) + (r.memcpyMbPerS.noisy() ? " (noisy)" : "") : "");
        for (const BenchResult& x : r.results) {
            if (x.transport == TransportKind::ShmSpsc && x.size == 65536 && x.applicable)
                out += "; shm-spsc at 64 KiB moves " + fmt("%.2f", x.mbPerS.median / r.memcpyMbPerS.median) + "x of it";
        }
        out += "\n";
    }
    if (!r.checks.empty()) {
        out += "integrity check of a frame, one core, one block in cache: MB/s (ns per KiB); frames carry xxh3\n";
        std::vector<std::uint32_t> sizes;
        for (const BenchCheck& c : r.checks) {
            if (std::find(sizes.begin(), sizes.end(), c.size) == sizes.end())
                sizes.push_back(c.size);
        }
        out += "  " + pad("check", 14);
        for (std::uint32_t size : sizes)
            out += pad(std::to_string(size) + " B", ranges ? 28 : 20, true);
        out += "\n";
        std::vector<std::string> names;
        for (const BenchCheck& c : r.checks) {
            if (std::find(names.begin(), names.end(), c.name) == names.end())
                names.push_back(c.name);
        }
        for (const std::string& name : names) {
            out += "  " + pad(name, 14);
            for (std::uint32_t size : sizes) {
                std::string cellText = "-";
                for (const BenchCheck& c : r.checks) {
                    if (c.name == name && c.size == size)
                        cellText = fmt("%.0f", c.mbPerS.median) + " (" + fmt("%.1f", c.nsPerKiB()) + ")"
                            + (ranges ? " " + spreadText(c.mbPerS) + (c.mbPerS.noisy() ? " noisy" : "") : "");
                }
                out += pad(cellText, ranges ? 28 : 20, true);
            }
            out += "\n";
        }
    }
    bool programs = false;
    for (const BenchResult& x : r.results)
        programs = programs || (x.applicable && x.programRatio > 0);
    if (programs) {
        out += "\nThe same transfers through programs (a `put q` program and a `get q` program, one step a pass), run "
               "back to back with the producer/consumer loops above; ratio = programs / loops, the median over those "
               "pairs (1 = the same speed; the spread of the rows above is the noise):\n";
        out += "  " + pad("transport", 11) + pad("size", 8, true) + pad("msgs/s", 12, true) + pad("ratio", 9, true)
            + "\n";
        for (const BenchResult& x : r.results) {
            if (x.applicable && x.programRatio > 0)
                out += "  " + pad(transportName(x.transport), 11) + pad(std::to_string(x.size) + " B", 8, true)
                    + pad(rateText(x.programMsgsPerS.median), 12, true) + pad(fmt("%.3f", x.programRatio), 9, true)
                    + "\n";
        }
    }
    out += "\nPython multiprocessing (64 B): ";
    if (r.python.empty())
        out += r.pythonNote + "\n";
    else {
        out += r.pythonNote + "\n  (how many times as many messages per second each transport moved)\n";
        for (const BenchPython& p : r.python) {
            out += "  " + pad(p.name, 28) + pad(rateText(p.msgsPerS), 9, true) + "msgs/s";
            for (const BenchResult& x : r.results) {
                if (x.size == 64 && x.applicable && x.msgsPerS.median > 0)
                    out += "  " + std::string(transportName(x.transport)) + " "
                        + timesText(x.msgsPerS.median / p.msgsPerS);
            }
            out += "\n";
        }
    }
    if (!r.systems.empty() || !r.systemsNote.empty()) {
        out += "\nPython's systems as the lab's programs run them, against the same work in multiprocessing (lab: the "
               "median of half-second windows of one run; ratio = lab / Python):\n";
        for (const BenchSystem& x : r.systems) {
            out += "  " + pad(x.name, 22) + "lab " + pad(rateText(x.lab.median), 9, true)
                + pad(ranges ? spreadText(x.lab) : "", 5, true) + pad(x.unit, 11)
                + (x.pythonPerS > 0 ? "Python " + pad(rateText(x.pythonPerS), 9, true) + timesText(x.ratio())
                                    : std::string("Python not measured"))
                + (x.lab.noisy() ? "  noisy" : "") + "\n    lab: " + x.program + "\n";
        }
        if (!r.systemsNote.empty())
            out += "  " + r.systemsNote + "\n";
        out += managerBoundText(r);
    }
    const BenchObservation& ob = r.observation;
    out += "\nObservation cost (shm-spsc, 64 B, unless named):\n";
    if (ob.telemetryMeasured)
        out += "  telemetry publishing on/off: " + rateText(ob.telemetryOnMsgsPerS) + " / "
            + rateText(ob.telemetryOffMsgsPerS) + " msgs/s = " + fmt("%.3f", ob.telemetryRatio) + "\n";
    if (ob.eventsMeasured)
        out += "  event rings on/off (shm-ring, 64 B): " + rateText(ob.eventsOnMsgsPerS) + " / "
            + rateText(ob.eventsOffMsgsPerS) + " msgs/s = " + fmt("%.3f", ob.eventsRatio) + "\n";
    if (ob.samplerMeasured)
        out += "  runner sampler at 1 kHz on/off: " + rateText(ob.samplerOnMsgsPerS) + " / "
            + rateText(ob.samplerOffMsgsPerS) + " msgs/s = " + fmt("%.3f", ob.samplerRatio) + "\n";
    if (ob.samplerCpuFraction >= 0)
        out += "  sampler CPU, " + std::to_string(ob.samplerWorkers) + " workers at 1 kHz: "
            + fmt("%.1f", ob.samplerCpuFraction * 100) + "% of one core (" + fmt("%.1f", ob.samplerUsPerSample)
            + " us CPU per sample x 1000/s; " + fmt("%.0f", ob.samplerHzAchieved) + " of 1000 samples/s taken)\n";
    if (!ob.note.empty())
        out += "  " + ob.note + "\n";
    out += "\nSpeed goals of the project (see the README; 'not run': that transport, size or part was left out of "
           "this run):\n";
    for (const BenchGoal& g : r.goals) {
        out += std::string("  ") + (!g.measured ? "not run" : g.met ? "met    " : "MISSED ") + "  " + pad(g.text, 52);
        if (g.measured)
            out += fmt("%.3g", g.value) + (g.atMost ? " (<= " : " (>= ") + fmt("%.3g", g.target) + ")"
                + (g.noisy ? " noisy" : "");
        out += "\n";
    }
    return out;
}

std::string benchReportToJson(const BenchReport& r)
{
    using nlohmann::json;
    json j;
    j["machine"] = r.machine;
    j["load_before"] = r.loadBefore;
    j["load_after"] = r.loadAfter;
    j["duration_s"] = r.durationS;
    j["repeat"] = r.repeat;
    j["pinned"] = r.producerCpu >= 0 ? json { { "producer_cpu", r.producerCpu }, { "consumer_cpu", r.consumerCpu } }
                                     : json(nullptr);
    j["noisy_spread"] = BenchStats::NoisySpread;
    json results = json::array();
    for (const BenchResult& x : r.results) {
        json e;
        e["transport"] = transportName(x.transport);
        e["size"] = x.size;
        e["applicable"] = x.applicable;
        if (!x.note.empty())
            e["note"] = x.note;
        e["messages_per_run"] = x.messagesPerRun;
        const bool ok = x.applicable;
        e["msgs_per_s"] = numberOrNull(x.msgsPerS.median, ok);
        e["msgs_per_s_min"] = numberOrNull(x.msgsPerS.min, ok);
        e["msgs_per_s_max"] = numberOrNull(x.msgsPerS.max, ok);
        e["mb_per_s"] = numberOrNull(x.mbPerS.median, ok);
        e["mb_per_s_min"] = numberOrNull(x.mbPerS.min, ok);
        e["mb_per_s_max"] = numberOrNull(x.mbPerS.max, ok);
        e["spread"] = numberOrNull(x.msgsPerS.spread(), ok);
        e["p50_us"] = numberOrNull(x.p50Us, ok && x.p50Us >= 0);
        e["p99_us"] = numberOrNull(x.p99Us, ok && x.p99Us >= 0);
        const bool base = ok && !x.baseline.empty();
        e["baseline"] = base ? json { { "name", x.baseline }, { "msgs_per_s", x.baselineMsgsPerS.median },
            { "msgs_per_s_min", x.baselineMsgsPerS.min }, { "msgs_per_s_max", x.baselineMsgsPerS.max },
            { "mb_per_s", x.baselineMbPerS.median }, { "mb_per_s_min", x.baselineMbPerS.min },
            { "mb_per_s_max", x.baselineMbPerS.max }, { "spread", x.baselineMsgsPerS.spread() } }
                             : json(nullptr);
        e["ratio"] = numberOrNull(x.ratio, base && x.ratio > 0);
        e["noisy"] = ok && x.noisy();
        const bool program = ok && x.programRatio > 0;
        e["program"] = program
            ? json { { "msgs_per_s", x.programMsgsPerS.median }, { "msgs_per_s_min", x.programMsgsPerS.min },
                  { "msgs_per_s_max", x.programMsgsPerS.max }, { "ratio", x.programRatio } }
            : json(nullptr);
        results.push_back(e);
    }
    j["results"] = results;
    const bool memcpy = r.memcpyMbPerS.median > 0;
    j["memcpy"] = { { "size", 65536 }, { "mb_per_s", numberOrNull(r.memcpyMbPerS.median, memcpy) },
        { "mb_per_s_min", numberOrNull(r.memcpyMbPerS.min, memcpy) },
        { "mb_per_s_max", numberOrNull(r.memcpyMbPerS.max, memcpy) },
        { "spread", numberOrNull(r.memcpyMbPerS.spread(), memcpy) } };
    json checks = json::array();
    for (const BenchCheck& c : r.checks)
        checks.push_back(
            { { "name", c.name }, { "size", c.size }, { "mb_per_s", c.mbPerS.median }, { "mb_per_s_min", c.mbPerS.min },
                { "mb_per_s_max", c.mbPerS.max }, { "spread", c.mbPerS.spread() }, { "ns_per_kib", c.nsPerKiB() } });
    j["checks"] = checks;
    json python = json::array();
    for (const BenchPython& p : r.python)
        python.push_back({ { "name", p.name }, { "msgs_per_s", p.msgsPerS } });
    j["python"] = python;
    j["python_note"] = r.pythonNote;
    json systems = json::array();
    for (const BenchSystem& x : r.systems)
        systems.push_back({ { "name", x.name }, { "unit", x.unit }, { "program", x.program }, { "per_s", x.lab.median },
            { "per_s_min", x.lab.min }, { "per_s_max", x.lab.max }, { "spread", x.lab.spread() },
            { "python", x.python }, { "python_per_s", numberOrNull(x.pythonPerS, x.pythonPerS > 0) },
            { "ratio", numberOrNull(x.ratio(), x.ratio() > 0) } });
    j["systems"] = systems;
    j["systems_note"] = r.systemsNote;
    const BenchObservation& ob = r.observation;
    j["observation"] = { { "transport", "shm-spsc" }, { "size", 64 },
        { "telemetry_ratio", numberOrNull(ob.telemetryRatio, ob.telemetryMeasured) },
        { "telemetry_on_msgs_per_s", numberOrNull(ob.telemetryOnMsgsPerS, ob.telemetryMeasured) },
        { "telemetry_off_msgs_per_s", numberOrNull(ob.telemetryOffMsgsPerS, ob.telemetryMeasured) },
        { "events_ratio", numberOrNull(ob.eventsRatio, ob.eventsMeasured) },
        { "events_on_msgs_per_s", numberOrNull(ob.eventsOnMsgsPerS, ob.eventsMeasured) },
        { "events_off_msgs_per_s", numberOrNull(ob.eventsOffMsgsPerS, ob.eventsMeasured) },
        { "sampler_1khz_ratio", numberOrNull(ob.samplerRatio, ob.samplerMeasured) },
        { "sampler_on_msgs_per_s", numberOrNull(ob.samplerOnMsgsPerS, ob.samplerMeasured) },
        { "sampler_off_msgs_per_s", numberOrNull(ob.samplerOffMsgsPerS, ob.samplerMeasured) },
        { "sampler_cpu_fraction", numberOrNull(ob.samplerCpuFraction, ob.samplerCpuFraction >= 0) },
        { "sampler_us_per_sample", numberOrNull(ob.samplerUsPerSample, ob.samplerCpuFraction >= 0) },
        { "sampler_hz_achieved", numberOrNull(ob.samplerHzAchieved, ob.samplerCpuFraction >= 0) },
        { "sampler_workers", ob.samplerWorkers }, { "note", ob.note } };
    json goals = json::array();
    for (const BenchGoal& g : r.goals)
        goals.push_back(
            { { "goal", g.text }, { "measured", g.measured }, { "value", numberOrNull(g.value, g.measured) },
                { "target", g.target }, { "at_most", g.atMost }, { "met", g.met }, { "noisy", g.noisy } });
    j["goals"] = goals;
    return j.dump(2) + "\n";
}

namespace {

// Readers for benchReportFromJson: a missing key or null gives the value the writer leaves out.
double numberAt(const nlohmann::json& j, const char* key, double absent = 0)
{
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : absent;
}
// A whole number as the writer wrote it; anything else (negative, fractional, too large) reads as 0.
std::uint64_t countAt(const nlohmann::json& j, const char* key, std::uint64_t max)
{
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number_unsigned())
        return 0;
    const auto n = it->get<std::uint64_t>();
    return n <= max ? n : 0;
}
std::string textAt(const nlohmann::json& j, const char* key)
{
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
bool flagAt(const nlohmann::json& j, const char* key, bool absent = false)
{
    const auto it = j.find(key);
    return it != j.end() && it->is_boolean() ? it->get<bool>() : absent;
}
const nlohmann::json& objectAt(const nlohmann::json& j, const char* key)
{
    static const nlohmann::json empty = nlohmann::json::object();
    const auto it = j.find(key);
    return it != j.end() && it->is_object() ? *it : empty;
}
const nlohmann::json& arrayAt(const nlohmann::json& j, const char* key)
{
    static const nlohmann::json empty = nlohmann::json::array();
    const auto it = j.find(key);
    return it != j.end() && it->is_array() ? *it : empty;
}
bool isNumber(const nlohmann::json& j, const char* key)
{
    const auto it = j.find(key);
    return it != j.end() && it->is_number();
}
BenchStats statsAt(const nlohmann::json& j, const char* key)
{
    const std::string k = key;
    return { numberAt(j, key), numberAt(j, (k + "_min").c_str()), numberAt(j, (k + "_max").c_str()) };
}
Error badReport(const std::string& why)
{
    return detail::makeError(ErrorCode::Corrupt, "read bench report", "JSON", "The bench report " + why);
}

} // namespace

Result<BenchReport> benchReportFromJson(std::string_view text)
{
    using nlohmann::json;
    const json j = json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return badReport("is not a JSON object");
    if (!j.contains("results") || !j["results"].is_array())
        return badReport("has no \"results\" list");
    BenchReport r;
    r.machine = textAt(j, "machine");
    r.loadBefore = textAt(j, "load_before");
    r.loadAfter = textAt(j, "load_after");
    r.durationS = numberAt(j, "duration_s");
    r.repeat = std::uint32_t(countAt(j, "repeat", UINT32_MAX));
    const json& pinned = objectAt(j, "pinned");
    if (isNumber(pinned, "producer_cpu") && isNumber(pinned, "consumer_cpu")) {
        const std::uint64_t producer = countAt(pinned, "producer_cpu", CPU_SETSIZE);
        const std::uint64_t consumer = countAt(pinned, "consumer_cpu", CPU_SETSIZE);
        r.producerCpu = int(producer);
        r.consumerCpu = int(consumer);
    }
    for (const json& e : arrayAt(j, "results")) {
        if (!e.is_object())
            return badReport("has a result that is not an object");
        BenchResult x;
        const auto transport = parseTransport(textAt(e, "transport"));
        if (!transport)
            return badReport("names an unknown transport '" + textAt(e, "transport") + "'");
        x.transport = *transport;
        x.size = std::uint32_t(countAt(e, "size", UINT32_MAX));
        x.applicable = flagAt(e, "applicable", true);
        x.note = textAt(e, "note");
        x.messagesPerRun = countAt(e, "messages_per_run", UINT64_MAX);
        x.msgsPerS = statsAt(e, "msgs_per_s");
        x.mbPerS = statsAt(e, "mb_per_s");
        x.p50Us = numberAt(e, "p50_us", -1);
        x.p99Us = numberAt(e, "p99_us", -1);
        const json& base = objectAt(e, "baseline");
        x.baseline = textAt(base, "name");
        x.baselineMsgsPerS = statsAt(base, "msgs_per_s");
        x.baselineMbPerS = statsAt(base, "mb_per_s");
        x.ratio = numberAt(e, "ratio");
        const json& program = objectAt(e, "program");
        x.programMsgsPerS = statsAt(program, "msgs_per_s");
        x.programRatio = numberAt(program, "ratio");
        r.results.push_back(std::move(x));
    }
    r.memcpyMbPerS = statsAt(objectAt(j, "memcpy"), "mb_per_s");
    for (const json& c : arrayAt(j, "checks")) {
        if (!c.is_object())
            return badReport("has a check that is not an object");
        r.checks.push_back(
            { textAt(c, "name"), std::uint32_t(countAt(c, "size", UINT32_MAX)), statsAt(c, "mb_per_s") });
    }
    for (const json& p : arrayAt(j, "python"))
        if (p.is_object())
            r.python.push_back({ textAt(p, "name"), numberAt(p, "msgs_per_s") });
    r.pythonNote = textAt(j, "python_note");
    for (const json& x : arrayAt(j, "systems")) {
        if (!x.is_object())
            return badReport("has a system that is not an object");
        r.systems.push_back({ textAt(x, "name"), textAt(x, "unit"), textAt(x, "program"), statsAt(x, "per_s"),
            textAt(x, "python"), numberAt(x, "python_per_s") });
    }
    r.systemsNote = textAt(j, "systems_note");
    const json& ob = objectAt(j, "observation");
    BenchObservation& o = r.observation;
    o.telemetryMeasured = isNumber(ob, "telemetry_ratio");
    o.telemetryRatio = numberAt(ob, "telemetry_ratio");
    o.telemetryOnMsgsPerS = numberAt(ob, "telemetry_on_msgs_per_s");
    o.telemetryOffMsgsPerS = numberAt(ob, "telemetry_off_msgs_per_s");
    o.eventsMeasured = isNumber(ob, "events_ratio");
    o.eventsRatio = numberAt(ob, "events_ratio");
    o.eventsOnMsgsPerS = numberAt(ob, "events_on_msgs_per_s");
    o.eventsOffMsgsPerS = numberAt(ob, "events_off_msgs_per_s");
    o.samplerMeasured = isNumber(ob, "sampler_1khz_ratio");
    o.samplerRatio = numberAt(ob, "sampler_1khz_ratio");
    o.samplerOnMsgsPerS = numberAt(ob, "sampler_on_msgs_per_s");
    o.samplerOffMsgsPerS = numberAt(ob, "sampler_off_msgs_per_s");
    o.samplerCpuFraction = numberAt(ob, "sampler_cpu_fraction", -1);
    o.samplerUsPerSample = numberAt(ob, "sampler_us_per_sample");
    o.samplerHzAchieved = numberAt(ob, "sampler_hz_achieved");
    o.samplerWorkers = std::uint32_t(countAt(ob, "sampler_workers", UINT32_MAX));
    o.note = textAt(ob, "note");
    for (const json& g : arrayAt(j, "goals")) {
        if (!g.is_object())
            return badReport("has a goal that is not an object");
        r.goals.push_back({ textAt(g, "goal"), numberAt(g, "value"), numberAt(g, "target"), flagAt(g, "at_most"),
            flagAt(g, "measured"), flagAt(g, "met"), flagAt(g, "noisy") });
    }
    return r;
}

// ---- Command line -------------------------------------------------------------------------------------------------

namespace {

const char* BenchUsage
    = "Usage: ipclab-cli bench [--transports LIST] [--sizes LIST] [--messages N] [--repeat K] [--json FILE]\n"
      "                        [--pings N] [--no-baselines] [--no-python] [--no-observation] [--no-programs]\n"
      "                        [--pin] [--worker PATH]\n"
      "  --transports  comma-separated from mq,fifo,socket,shm-ring,shm-spsc,pipe,socketpair,zmq,\n"
      "                zmq-tcp (default: all)\n"
      "  --sizes       frame sizes in bytes, 32..65536 (default: 64,4096,65536)\n"
      "  --messages    messages per run at sizes <= 4096, 100..1000000000 (default: 200000); larger sizes move\n"
      "                the same bytes in fewer messages (at 65536: messages/16)\n"
      "  --repeat      interleaved runs per transport and size, 1..100 (default: 5)\n"
      "  --pings       ping-pong round trips for latency, 0 = none (default: min(messages/10, 10000))\n"
      "  --json        also write the report as JSON to FILE; - writes only the JSON, to standard output\n"
      "  --no-baselines  skip the bare system-call loops, memcpy and the integrity checks (no ratios then)\n"
      "  --no-python     skip the Python multiprocessing reference\n"
      "  --no-observation  skip what telemetry, the event rings and the 1 kHz sampler cost (about 8 s)\n"
      "  --no-programs   skip the same transfers through one-step programs (put, get) beside the\n"
      "                  producer and consumer loops\n"
      "  --pin           run each producer on one CPU and each consumer on another (the first two this\n"
      "                  process may use), so the scheduler cannot stack them or move them between runs\n"
      "  --worker      the ipclab-worker for the observation runs (default: next to ipclab-cli)\n";

bool parseUnsigned(const std::string& text, std::uint64_t& out)
{
    if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos)
        return false;
    out = std::stoull(text);
    return true;
}

std::vector<std::string> splitList(const std::string& text)
{
    std::vector<std::string> items;
    std::string item;
    std::istringstream in(text);
    while (std::getline(in, item, ','))
        items.push_back(item);
    if (!text.empty() && text.back() == ',')
        items.push_back({});
    return items;
}

std::atomic<bool> g_benchCancel { false };
static_assert(std::atomic<bool>::is_always_lock_free); // stored from a signal handler

void onBenchSignal(int)
{
    g_benchCancel.store(true);
}

} // namespace

Result<BenchOptions> parseBenchCommandLine(int argc, char** argv, int first, std::string* jsonPath)
{
    BenchOptions o;
    for (int i = first; i < argc; ++i) {
        const std::string opt = argv[i];
        if (opt == "--no-python") {
            o.python = false;
            continue;
        }
        if (opt == "--no-baselines") {
            o.baselines = false;
            continue;
        }
        if (opt == "--no-observation") {
            o.observation = false;
            continue;
        }
        if (opt == "--no-programs") {
            o.programs = false;
            continue;
        }
        if (opt == "--pin") {
            o.pin = true;
            continue;
        }
        const bool known = opt == "--transports" || opt == "--sizes" || opt == "--messages" || opt == "--repeat"
            || opt == "--json" || opt == "--pings" || opt == "--worker";
        if (!known)
            return badOption(opt, "unknown option");
        if (i + 1 >= argc)
            return badOption(opt, "needs a value");
        const std::string value = argv[++i];
        std::uint64_t n = 0;
        if (opt == "--transports") {
            o.transports.clear();
            if (value == "all")
                continue;
            for (const std::string& name : splitList(value)) {
                auto t = parseTransport(name);
                if (!t)
                    return badOption(
                        opt, "'" + name + "' is not a transport; choose from " + benchTransportList() + " or all");
                o.transports.push_back(*t);
            }
            if (o.transports.empty())
                return badOption(opt, "the list is empty");
        } else if (opt == "--sizes") {
            o.sizes.clear();
            for (const std::string& item : splitList(value)) {
                if (!parseUnsigned(item, n) || n > MaxBenchSize)
                    return badOption(opt,
                        "'" + item + "' is not a size in bytes from " + std::to_string(ScenarioLimits::MinMessageSize)
                            + " to " + std::to_string(MaxBenchSize));
                o.sizes.push_back(std::uint32_t(n));
            }
        } else if (opt == "--messages") {
            if (!parseUnsigned(value, n))
                return badOption(opt, "'" + value + "' is not a whole number");
            o.messages = n;
        } else if (opt == "--repeat") {
            if (!parseUnsigned(value, n) || n > MaxRepeat)
                return badOption(opt, "'" + value + "' is not a whole number from 1 to " + std::to_string(MaxRepeat));
            o.repeat = std::uint32_t(n);
        } else if (opt == "--pings") {
            if (!parseUnsigned(value, n) || n > MaxMessages)
                return badOption(opt, "'" + value + "' is not a whole number from 0 to " + std::to_string(MaxMessages));
            o.pings = std::int64_t(n);
        } else if (opt == "--json") {
            if (value.empty())
                return badOption(opt, "needs a file name (or - for standard output)");
            if (jsonPath)
                *jsonPath = value;
        } else if (opt == "--worker") {
            if (value.empty())
                return badOption(opt, "needs the path of ipclab-worker");
            o.workerPath = value;
        }
    }
    if (Status st = validateBenchOptions(o); !st)
        return st.error();
    return o;
}

std::vector<std::string> benchCommandLine(const BenchOptions& o)
{
    auto joined = [](const auto& items, auto text) {
        std::string out;
        for (const auto& item : items)
            out += (out.empty() ? "" : ",") + text(item);
        return out;
    };
    std::vector<std::string> args;
    if (!o.transports.empty())
        args.insert(args.end(),
            { "--transports", joined(o.transports, [](TransportKind t) { return std::string(transportName(t)); }) });
    args.insert(args.end(),
        { "--sizes", joined(o.sizes, [](std::uint32_t n) { return std::to_string(n); }), "--messages",
            std::to_string(o.messages), "--repeat", std::to_string(o.repeat) });
    if (o.pings >= 0)
        args.insert(args.end(), { "--pings", std::to_string(o.pings) });
    if (!o.baselines)
        args.push_back("--no-baselines");
    if (!o.python)
        args.push_back("--no-python");
    if (!o.observation)
        args.push_back("--no-observation");
    if (!o.programs)
        args.push_back("--no-programs");
    if (o.pin)
        args.push_back("--pin");
    if (!o.workerPath.empty())
        args.insert(args.end(), { "--worker", o.workerPath });
    return args;
}

int runBenchCommand(int argc, char** argv)
{
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            std::fputs(BenchUsage, stdout);
            return 0;
        }
    }
    std::string jsonPath;
    auto options = parseBenchCommandLine(argc, argv, 2, &jsonPath);
    if (!options) {
        std::fprintf(stderr, "ipclab-cli bench: %s\n%s", options.error().hint.c_str(), BenchUsage);
        return 2;
    }
    const bool jsonToStdout = jsonPath == "-";
    if (!jsonPath.empty() && !jsonToStdout) {
        // Fail before minutes of measuring, not after: the file must be writable now.
        const bool existed = access(jsonPath.c_str(), F_OK) == 0;
        std::ofstream probe(jsonPath, std::ios::app);
        if (!probe) {
            std::fprintf(
                stderr, "ipclab-cli bench: --json: cannot write '%s': %s\n", jsonPath.c_str(), std::strerror(errno));
            return 2;
        }
        probe.close();
        if (!existed)
            std::remove(jsonPath.c_str());
    }

    // A bench killed before it could unlink (SIGKILL) left its objects; a dead run's likewise.
    for (const std::string& line : cleanupStaleRuns())
        std::fprintf(stderr, "%s\n", line.c_str());

    g_benchCancel.store(false);
    struct sigaction sa {
    }, oldInt {}, oldTerm {}, oldPipe {};
    sa.sa_handler = onBenchSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; // no SA_RESTART: waits return so the bench notices at once
    sigaction(SIGINT, &sa, &oldInt);
    sigaction(SIGTERM, &sa, &oldTerm);
    // Whoever read our output is gone (the GUI that ran us died): cancel cleanly rather than die mid-measurement.
    sigaction(SIGPIPE, &sa, &oldPipe);

    const bool tty = isatty(STDERR_FILENO) != 0;
    auto progress = [tty](const BenchProgress& p) {
        if (tty)
            std::fprintf(stderr, "\r\033[K[%zu/%zu] %s", p.step + 1, p.steps, p.what.c_str());
        else
            std::fprintf(stderr, "[%zu/%zu] %s\n", p.step + 1, p.steps, p.what.c_str());
        std::fflush(stderr);
    };
    auto report = runBench(*options, progress, &g_benchCancel);
    if (tty)
        std::fputs("\r\033[K", stderr);
    sigaction(SIGINT, &oldInt, nullptr);
    sigaction(SIGTERM, &oldTerm, nullptr);
    sigaction(SIGPIPE, &oldPipe, nullptr);

    if (!report) {
        if (report.error().code == ErrorCode::Interrupted) {
            std::fputs("ipclab-cli bench: interrupted; every IPC object was removed\n", stderr);
            return 130;
        }
        std::fprintf(stderr, "ipclab-cli bench: %s\n", report.error().message().c_str());
        return 1;
    }
    if (jsonToStdout) {
        std::fputs(benchReportToJson(*report).c_str(), stdout);
        if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
            std::fprintf(stderr, "ipclab-cli bench: --json -: cannot write the report to standard output: %s\n",
                std::strerror(errno));
            return 1;
        }
        return 0;
    }
    std::fputs(benchReportToText(*report).c_str(), stdout);
    if (!jsonPath.empty()) {
        std::ofstream out(jsonPath, std::ios::trunc);
        out << benchReportToJson(*report);
        if (!out) {
            std::fprintf(stderr, "ipclab-cli bench: --json: cannot write '%s'\n", jsonPath.c_str());
            return 1;
        }
    }
    return 0;
}

} // namespace ipccore
