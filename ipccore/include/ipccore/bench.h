#pragma once

// The bench: races every transport, through exactly the path the lab runs (runWorker: endpoints, framing, checksum,
// telemetry), against bare system-call loops, the machine's memcpy and Python multiprocessing, and measures what
// observing costs. One producer process and one consumer process per measurement, both forked from the calling
// thread and released together from a barrier, so process start-up is outside the timed window. Repeats are
// interleaved across transports and sizes so that drift of the machine hits every transport alike.
//
// Blocking: runBench() blocks for the whole bench (seconds to minutes); it reports progress through the callback (on
// the calling thread) and stops soon after *cancel becomes true. It forks from the calling thread, and the children
// go on running ipccore code (allocating) without exec(); that is sound only in a single-threaded process. So the
// GUI does not call it: it runs `ipclab-cli bench --json -` as a child process and reads the report back with
// benchReportFromJson (ui/model/bench_runner.h). The calling thread must outlive the call (PR_SET_PDEATHSIG).
//
// Ownership: every IPC object gets a unique "/ipclab-b<pid>-<n>-" name and is unlinked before the call returns, on
// success, on error and on cancel. runBench installs no signal handlers; runBenchCommand installs SIGINT, SIGTERM
// and SIGPIPE handlers that cancel the bench cleanly. A bench killed outright (SIGKILL) leaves the objects of the
// measurement in progress; cleanupStaleRuns() removes them once its pid is gone (ipclab-cli bench calls it at start).

#include "ipccore/result.h"
#include "ipccore/scenario.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ipccore {

struct BenchOptions {
    std::vector<TransportKind> transports; // empty = every queueing transport (all but shm-value)
    std::vector<std::uint32_t> sizes { 64, 4096, 65536 }; // frame bytes, 32..65536
    std::uint64_t messages = 200'000; // per run at sizes <= 4096; larger sizes move the same bytes (fewer messages)
    std::uint32_t repeat = 5; // runs per transport and size (median, min, max)
    std::int64_t pings = -1; // ping-pong round trips per transport and size; -1 = min(messages / 10, 10000), 0 = off
    bool baselines = true; // bare system-call loops and memcpy
    bool python = true; // the Python multiprocessing reference (skipped with a note when python3 is absent)
    bool observation = true; // telemetry on/off, sampler at 1 kHz on/off, sampler CPU with 128 workers
    // Each transport and size also through programs of one step (`put`, `get`), beside the producer and consumer
    // loops in the same repeat: what running a program costs against the loops the lab had before programs.
    bool programs = true;
    // Pin the producer to one CPU and the consumer to another (the first two this process may run on), so the
    // scheduler cannot put both on one core or move them between runs. Refused where fewer than two are allowed.
    bool pin = false;
    double samplerSeconds = 2.0; // how long the 32-worker sampler CPU measurement samples
    std::string workerPath; // ipclab-worker for the runner-based observation parts; empty = as RunOptions
    std::string python3 = "python3";
};

// Checks every field; the message names the field (as the command-line option).
Status validateBenchOptions(const BenchOptions& options);
// The transports the bench can race, in table order: those that carry messages and consume them, except a
// rendezvous, which has no queue (each send waits for its receiver). The anonymous ones (pipe, socketpair) are
// inherited by the bench's forked processes.
const std::vector<TransportKind>& benchTransports();

struct BenchStats {
    double median = 0;
    double min = 0;
    double max = 0;
    // How far the repeats strayed from the median, as a fraction of it: the larger of (median - min) and
    // (max - median), over median. 0 for one run.
    double spread() const;
    // A figure whose repeats strayed more than NoisySpread (±15 %): a ratio or verdict drawn from it is not to be
    // trusted; run again on a quieter machine, with more --repeat, or --pin.
    bool noisy() const { return spread() > NoisySpread; }
    static constexpr double NoisySpread = 0.15;
};

// One transport at one message size.
struct BenchResult {
    TransportKind transport = TransportKind::Mq;
    std::uint32_t size = 0;
    bool applicable = true;
    std::string note; // why not applicable, e.g. "not applicable (msgsize_max 8192)"
    std::uint64_t messagesPerRun = 0;
    BenchStats msgsPerS; // through ipccore
    BenchStats mbPerS; // 1 MB = 1e6 bytes
    double p50Us = -1; // one-way latency from the ping-pong; -1 when not measured
    double p99Us = -1;
    std::string baseline; // "bare mq_send/mq_receive", ... (empty when baselines are off)
    BenchStats baselineMsgsPerS;
    BenchStats baselineMbPerS;
    double ratio = 0; // median msgs/s through ipccore / median of its baseline
    BenchStats programMsgsPerS; // through programs `put` / `get`; all 0 when not measured
    double programRatio = 0; // programs / producer-consumer loops: median over the pairs run back to back
    // Its ratio is not to be trusted: the run through ipccore or its baseline was noisy.
    bool noisy() const { return msgsPerS.noisy() || baselineMsgsPerS.noisy(); }
};

struct BenchPython {
    std::string name; // "multiprocessing.Queue", "multiprocessing.Pipe", "multiprocessing.Value+Lock"
    double msgsPerS = 0;
};

// A system of Python's that the lab runs as programs (a Manager's dict, Pool.map), against the same work through
// Python's multiprocessing. Measured only with the Python reference (BenchOptions::python).
struct BenchSystem {
    std::string name; // "Manager dict get/set"
    std::string unit; // "requests/s", "tasks/s"
    std::string program; // what the lab runs: "a client's request get/set d[count] to a server, over two mqs"
    BenchStats lab; // through the lab's programs: over max(3, repeat) windows of half a second
    std::string python; // "multiprocessing.Manager dict get/set"
    double pythonPerS = 0; // 0 when Python was not measured
    double ratio() const { return pythonPerS > 0 && lab.median > 0 ? lab.median / pythonPerS : 0; }
};

struct BenchObservation {
    bool telemetryMeasured = false;
    double telemetryOnMsgsPerS = 0, telemetryOffMsgsPerS = 0;
    double telemetryRatio = 0; // median of on/off over back-to-back run pairs, shm-spsc at 64 B
    bool eventsMeasured = false;
    double eventsOnMsgsPerS = 0, eventsOffMsgsPerS = 0;
    double eventsRatio = 0; // the same for the event rings (state changes recorded or not), shm-ring at 64 B
    bool samplerMeasured = false;
    double samplerOffMsgsPerS = 0, samplerOnMsgsPerS = 0;
    double samplerRatio = 0; // median of sampled-at-1-kHz / unsampled over adjacent 0.25 s windows, via a Runner
    // Of one core, sampling samplerWorkers workers at exactly 1 kHz: the CPU time of this thread per sample x 1000.
    // (On a loaded machine the loop misses ticks; CPU time over wall time would then understate the cost.)
    double samplerCpuFraction = -1; // -1 when not measured
    double samplerUsPerSample = 0;
    // Samples taken per second of the 1000 scheduled: a tick due while a sample is still being taken is dropped.
    double samplerHzAchieved = 0;
    std::uint32_t samplerWorkers = 0;
    std::string note; // why a part was skipped
};

struct BenchGoal {
    std::string text; // "shm-spsc >= 0.7x bare SPSC ring at 64 B"
    double value = 0;
    double target = 0;
    bool atMost = false; // target is an upper bound
    bool measured = false;
    bool met = false;
    bool noisy = false; // drawn from a noisy figure (BenchStats::noisy): the verdict may flip on the next run
};

// What checking a frame costs (checksum.h): the frame check and the two CRC-32C forms it was chosen over, each on
// one block in cache, one core. Measured with the baselines.
struct BenchCheck {
    std::string name; // "xxh3" (the frame check), "crc32c 3-way", "crc32c"
    std::uint32_t size = 0;
    BenchStats mbPerS;
    // Nanoseconds per KiB at the median: what the check adds to each side of a transfer.
    double nsPerKiB() const { return mbPerS.median > 0 ? 1024.0 * 1000.0 / mbPerS.median : 0; }
};

struct BenchReport {
    std::string machine; // CPU model, cores, kernel
    std::string loadBefore, loadAfter; // /proc/loadavg
    double durationS = 0;
    std::uint32_t repeat = 0;
    // The CPUs the producer and the consumer were pinned to (BenchOptions::pin); -1 when not pinned.
    int producerCpu = -1, consumerCpu = -1;
    std::vector<BenchResult> results;
    BenchStats memcpyMbPerS; // 64 KiB blocks, one core; all 0 when baselines are off
    std::vector<BenchCheck> checks; // empty when baselines are off
    std::vector<BenchPython> python;
    std::string pythonNote; // why Python was skipped, or how it ran
    std::vector<BenchSystem> systems; // with Python: Manager and Pool through programs against Python's
    std::string systemsNote; // why a system was not measured
    BenchObservation observation;
    std::vector<BenchGoal> goals; // issue 4's goals, evaluated on this run
};

struct BenchProgress {
    std::size_t step = 0; // 0-based index of the step starting now
    std::size_t steps = 0;
    std::string what; // "repeat 2/5: shm-spsc 4096 B (ipccore)"
};

using BenchProgressCallback = std::function<void(const BenchProgress&)>;

// Runs the whole bench. Errors: InvalidArgument for bad options, Interrupted when cancelled, otherwise the first
// failure of a transport (the run stops there). progress and cancel may be empty/null.
Result<BenchReport> runBench(
    const BenchOptions& options, const BenchProgressCallback& progress = {}, const std::atomic<bool>* cancel = nullptr);

std::string benchReportToText(const BenchReport& report);
std::string benchReportToJson(const BenchReport& report);
// Reads what benchReportToJson wrote (the GUI reads `ipclab-cli bench --json -` this way); Corrupt if it is not a
// report. benchReportToJson(*benchReportFromJson(benchReportToJson(r))) == benchReportToJson(r).
Result<BenchReport> benchReportFromJson(std::string_view json);

// The options as `ipclab-cli bench` arguments (after "bench"); parseBenchCommandLine reads them back unchanged,
// except samplerSeconds and python3, which have no option (the command line keeps their defaults).
std::vector<std::string> benchCommandLine(const BenchOptions& options);

// Parses the bench's command-line options (argv[first..]); messages name the option.
Result<BenchOptions> parseBenchCommandLine(int argc, char** argv, int first, std::string* jsonPath);

// `ipclab-cli bench ...` (argv[1] == "bench"). Exit status: 0 done, 1 a measurement failed, 2 bad input,
// 130 interrupted.
int runBenchCommand(int argc, char** argv);

} // namespace ipccore
