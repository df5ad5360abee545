#include "ipccore/cli.h"

#include "ipccore/bench.h"
#include "ipccore/host.h"
#include "ipccore/python_lens.h"
#include "ipccore/runner.h"
#include "ipccore/scenario.h"
#include "ipccore/system_ipc.h"
#include "ipccore/system_watch.h"
#include "ipccore/version.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace ipccore {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void onInterrupt(int)
{
    g_interrupted = 1;
}

constexpr int ExitOk = 0;
constexpr int ExitIntegrity = 1;
constexpr int ExitBadInput = 2;
constexpr int ExitDeadlock = 3; // a run that ended in a deadlock (the report names the cycle)

namespace limits = ScenarioLimits;

// Built from the constants the validation enforces, so the text cannot drift from the code.
const std::string Usage = "Usage:\n"
                          "  ipclab-cli list                          bundled scenarios with their titles\n"
                          "  ipclab-cli show <scenario>               print a scenario as JSON (a start for your own)\n"
                          "  ipclab-cli python <scenario>             print the scenario as a Python multiprocessing "
                          "program\n"
                          "  ipclab-cli run <scenario|file.json> [--duration SECONDS] [--sample-hz HZ]\n"
                          "                 [--json FILE] [--csv FILE] [--trace FILE]\n"
                          "  ipclab-cli cleanup                       remove objects left by crashed runs\n"
                          "  ipclab-cli ls [--json] [--watch SECONDS] [--count N]\n"
                          "                                           every POSIX queue, semaphore and segment on "
                          "this machine, and who uses it\n"
                          "  ipclab-cli watch NAME... [--hz HZ]       read those objects HZ times a second (any "
                          "program's)\n"
                          "  ipclab-cli bench [--transports LIST] [--sizes 64,4096,65536] [--messages N] [--repeat K]\n"
                          "                   [--json FILE]           race the transports (ipclab-cli bench --help)\n"
                          "  ipclab-cli host --keygen NAME | --listen tcp://ADDRESS:PORT | --ping tcp://ADDRESS:PORT\n"
                          "                                           worker hosts: keys, a host, a ping (ipclab-cli "
                          "host --help)\n"
                          "  ipclab-cli <command> --help              one command's options and limits\n"
                          "  ipclab-cli --version                     the version\n"
                          "\n"
                          "A run has at most "
    + std::to_string(limits::MaxWorkers) + " workers and " + std::to_string(limits::MaxObjects)
    + " objects ('ipclab-cli run --help' lists every limit).\n"
      "Exit status: 0 ok (run: integrity exact), 1 integrity failed, 2 bad input, 3 deadlock.\n";

const std::string RunUsage = "Usage: ipclab-cli run <scenario|file.json> [--duration SECONDS] [--sample-hz HZ]\n"
                             "                      [--json FILE] [--csv FILE] [--trace FILE]\n"
                             "\n"
                             "Runs a bundled scenario ('ipclab-cli list') or a scenario file, then prints the workers, "
                             "objects and\nintegrity tables.\n"
                             "  --duration SECONDS  run length, more than 0 and at most "
    + std::to_string(int(limits::MaxDurationS))
    + " (default: the scenario's duration_s)\n"
      "  --sample-hz HZ      sampling rate, 1 to "
    + std::to_string(int(limits::MaxSampleHz))
    + " (default: the scenario's sample_hz)\n"
      "  --json FILE         write the report as JSON, once the run has ended\n"
      "  --csv FILE          write the sampled time series as CSV\n"
      "  --trace FILE        write each process's states and steps, the objects' values and the run's events as\n"
      "                      Chrome trace-event JSON, for https://ui.perfetto.dev or chrome://tracing\n"
      "A run that is refused creates neither FILE and leaves an existing one as it was.\n"
      "\n"
      "Limits (anything beyond is refused with exit status 2 and a message naming the field):\n"
      "  a run has at most "
    + std::to_string(limits::MaxWorkers) + " workers and " + std::to_string(limits::MaxObjects)
    + " objects\n"
      "  a scenario file is a regular file (not a FIFO, directory or device) of at most "
    + std::to_string(limits::MaxFileBytes >> 20)
    + " MiB\n"
      "  one object's message slots (capacity x message_size) take at most "
    + std::to_string(limits::MaxObjectBytes >> 20)
    + " MiB, and all shared-memory\n"
      "    objects together must fit in the free space of /dev/shm\n"
      "  mq: capacity <= /proc/sys/fs/mqueue/msg_max, message_size <= msgsize_max, all queues <= 'ulimit -q'\n"
      "  shm-ring, shm-spsc: capacity 1.."
    + std::to_string(limits::MaxRingCapacity) + "; shm-*: message_size " + std::to_string(limits::MinMessageSize) + ".."
    + std::to_string(limits::MaxShmMessageSize) + "; fifo, socket: message_size "
    + std::to_string(limits::MinMessageSize) + ".." + std::to_string(limits::MaxStreamMessageSize)
    + "\n"
      "  zmq, zmq-tcp, zmq-pub, zmq-pub-tcp: capacity (each side's high-water mark) 1.."
    + std::to_string(limits::MaxRingCapacity) + ", message_size " + std::to_string(limits::MinMessageSize) + ".."
    + std::to_string(limits::MaxStreamMessageSize)
    + ";\n"
      "    several consumers each bind an endpoint, and every producer connects to all of them (an object\n"
      "    between machines: its consumers on hosts); zmq-pub and zmq-pub-tcp give every consumer a copy of\n"
      "    each message (none can join once it has one)\n"
      "\n"
      "A run whose processes deadlock (a cycle of waits none can leave) ends within a second of it, with\n"
      "'deadlock' and the cycle in the report.\n"
      "\n"
      "Exit status: 0 integrity exact, 1 integrity failed, 2 bad input, 3 deadlock.\n";

const char* ShowUsage = "Usage: ipclab-cli show <scenario|file.json>\n"
                        "\n"
                        "Prints a bundled scenario (or checks and prints a file) as JSON: a start for your own.\n";
const char* ListUsage = "Usage: ipclab-cli list\n"
                        "\n"
                        "Lists the bundled scenarios with their titles.\n";
const char* CleanupUsage = "Usage: ipclab-cli cleanup\n"
                           "\n"
                           "Removes the IPC objects and run folders left by runs whose process has died. Runs that "
                           "are still\nalive, and anything another user owns, are never touched. Anything that does "
                           "not look like\nIPC Lab's own (a folder or manifest line someone else may have planted) "
                           "is reported as\n'left alone' and kept.\n\nExit status: 0 nothing was left alone, 1 "
                           "something was (read the lines).\n";

int badInput(const std::string& message)
{
    std::fprintf(stderr, "ipclab-cli: %s\n", message.c_str());
    return ExitBadInput;
}

// A scenario that could not be found or read, said the way a user reads it: "x.json: workers[0].capacity: ...",
// without the "load scenario(...) failed: invalid argument." that Error::message puts first.
int badScenario(const Error& error)
{
    if (error.operation == "load scenario" && !error.hint.empty() && error.sysErrno == 0)
        return badInput(error.object + ": " + error.hint);
    if (error.operation == "find scenario" && error.code == ErrorCode::NotFound)
        return badInput("no scenario '" + error.object + "'. " + error.hint);
    return badInput(error.message());
}

bool isHelp(const char* arg)
{
    return std::strcmp(arg, "--help") == 0 || std::strcmp(arg, "-h") == 0;
}

int printUsage(const std::string& text)
{
    std::fputs(text.c_str(), stdout);
    return ExitOk;
}

// strtod also reads "nan", "inf" and "1e999" (as inf): none of them is a duration or a rate.
bool parseFinite(const char* text, double& out)
{
    // Plain decimal only: strtod would also take "0x10" (16) and "infinity".
    if (std::strspn(text, "0123456789.eE+-") != std::strlen(text))
        return false;
    char* end = nullptr;
    errno = 0;
    out = std::strtod(text, &end);
    return end && *end == '\0' && end != text && errno != ERANGE && std::isfinite(out);
}

// Why a report cannot be written to `path`, checked without creating or truncating anything: a refused run must
// leave no empty file behind and an existing report as it was. Empty when it looks writable.
std::optional<std::string> outputProblem(const std::string& option, const std::string& path)
{
    if (path.empty())
        return option + ": the file name is empty. Example: " + option + " report." + option.substr(2);
    const std::string what = option + ": cannot write '" + path + "': ";
    struct stat st { };
    if (stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return what + "it is a directory. Give a file name inside it, for example '" + path + "/report."
                + option.substr(2) + "'";
        if (access(path.c_str(), W_OK) != 0)
            return what + std::strerror(errno) + ". Choose a file you may write";
        return std::nullopt;
    }
    if (errno != ENOENT)
        return what + std::strerror(errno) + ". Check each directory on the path";
    const std::size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    if (stat(dir.c_str(), &st) != 0)
        return what + "the directory '" + dir + "' " + (errno == ENOENT ? "does not exist" : std::strerror(errno))
            + ". Create it or give another path";
    if (!S_ISDIR(st.st_mode))
        return what + "'" + dir + "' is not a directory. Give another path";
    if (access(dir.c_str(), W_OK | X_OK) != 0)
        return what + "files cannot be created in '" + dir + "' (" + std::strerror(errno)
            + "). Choose a directory you may write";
    return std::nullopt;
}

// A pipe or a character device is written directly: a FIFO or /dev/null, or /dev/stdout, a symlink that root or
// this user made. Anything else goes through a temporary file beside it renamed over the name, so nobody ever sees
// it empty or half-written, and a symlink someone else planted in /tmp is replaced, never followed.
bool writesThroughTemporary(const std::string& path)
{
    struct stat link { };
    if (lstat(path.c_str(), &link) != 0)
        return true;
    const auto isStream = [](const struct stat& st) { return S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode); };
    if (!S_ISLNK(link.st_mode))
        return !isStream(link);
    struct stat target { };
    const bool trustedLink = link.st_uid == geteuid() || link.st_uid == 0;
    return !(trustedLink && stat(path.c_str(), &target) == 0 && isStream(target));
}

// Creates ".<name>.XXXXXX" beside `path` with the mode a plain create would give; empty on failure.
std::string createTemporaryBeside(const std::string& path)
{
    const std::size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    std::string name = dir + "." + base + ".XXXXXX";
    const int fd = mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0)
        return {};
    const mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    close(fd);
    return name;
}

bool writeWholeFile(const std::string& path, const std::string& text)
{
    const bool viaTemporary = writesThroughTemporary(path);
    const std::string target = viaTemporary ? createTemporaryBeside(path) : path;
    if (target.empty())
        return false;
    FILE* out = std::fopen(target.c_str(), "we");
    bool ok = out && std::fwrite(text.data(), 1, text.size(), out) == text.size();
    if (out)
        ok = std::fclose(out) == 0 && ok;
    if (viaTemporary) {
        ok = ok && std::rename(target.c_str(), path.c_str()) == 0;
        if (!ok)
            unlink(target.c_str());
    }
    return ok;
}

int list(int argc, char** argv)
{
    if (argc > 2 && isHelp(argv[2]))
        return printUsage(ListUsage);
    std::size_t width = 0;
    for (const BundledScenario& b : bundledScenarios())
        width = std::max(width, b.name.size());
    for (const BundledScenario& b : bundledScenarios())
        std::printf("%-*s  %s\n", int(width), b.name.c_str(), b.title.c_str());
    return ExitOk;
}

const char* const PythonUsage
    = "Usage: ipclab-cli python <scenario|file.json>\n"
      "\n"
      "Prints the scenario as the Python program a student would write for it: multiprocessing from the standard\n"
      "library, a function per kind of process, a line per step of its program. Run it with\n"
      "'python3 FILE [SECONDS]': it runs for the scenario's duration (or SECONDS), then ends its processes.\n";

// `show` and `python`: one scenario (bundled or a file) printed as `print` renders it.
int printScenario(
    int argc, char** argv, const std::string& command, const char* usage, std::string (*print)(const Scenario&))
{
    if (argc < 3)
        return badInput(command + " needs a scenario name or .json file.\n" + usage);
    if (isHelp(argv[2]))
        return printUsage(usage);
    auto scenario = resolveScenario(argv[2]);
    if (!scenario)
        return badScenario(scenario.error());
    std::fputs(print(*scenario).c_str(), stdout);
    return ExitOk;
}

int show(int argc, char** argv)
{
    return printScenario(argc, argv, "show", ShowUsage, [](const Scenario& s) { return scenarioToJson(s); });
}

int python(int argc, char** argv)
{
    return printScenario(argc, argv, "python", PythonUsage, [](const Scenario& s) { return pythonProgram(s).text; });
}

std::string progressLine(const Snapshot& s)
{
    std::string line = "t=" + std::to_string(int(s.t * 10) / 10) + "." + std::to_string(int(s.t * 10) % 10) + "s  sent "
        + std::to_string(s.ledger.sent) + "  received " + std::to_string(s.ledger.received) + "  "
        + std::to_string(int(s.totalMsgsPerS)) + " msgs/s";
    for (const ObjectStatus& o : s.objects) {
        if (o.depth >= 0 && o.capacity > 0)
            line += "  " + o.name + " " + std::to_string(o.depth) + "/" + std::to_string(o.capacity);
    }
    return line;
}

int run(int argc, char** argv)
{
    if (argc < 3)
        return badInput("run needs a scenario name or .json file.\n" + RunUsage);
    // --help anywhere wins, so 'run --help' is never taken for a scenario named "--help".
    for (int i = 2; i < argc; ++i) {
        if (isHelp(argv[i]))
            return printUsage(RunUsage);
    }
    std::string target = argv[2];
    double duration = -1;
    double sampleHz = 0;
    std::optional<std::string> jsonPath, csvPath, tracePath;
    for (int i = 3; i < argc; ++i) {
        const std::string opt = argv[i];
        const bool hasValue = i + 1 < argc && std::string_view(argv[i + 1]).rfind("--", 0) != 0;
        static const std::pair<const char*, const char*> valued[] = { { "--duration", "SECONDS, e.g. --duration 3" },
            { "--sample-hz", "HZ, e.g. --sample-hz 50" }, { "--json", "FILE, e.g. --json report.json" },
            { "--csv", "FILE, e.g. --csv series.csv" }, { "--trace", "FILE, e.g. --trace run.trace.json" } };
        for (const auto& [name, example] : valued) {
            if (opt == name && !hasValue)
                return badInput(opt + " needs a value: " + example);
        }
        if (opt == "--duration" && hasValue) {
            if (!parseFinite(argv[++i], duration) || !(duration > 0) || duration > limits::MaxDurationS)
                return badInput("--duration: '" + std::string(argv[i]) + "' is not a number of seconds in (0, "
                    + std::to_string(int(limits::MaxDurationS)) + "]. Example: --duration 3");
        } else if (opt == "--sample-hz" && hasValue) {
            if (!parseFinite(argv[++i], sampleHz) || !(sampleHz >= 1 && sampleHz <= limits::MaxSampleHz))
                return badInput("--sample-hz: '" + std::string(argv[i]) + "' is not a rate from 1 to "
                    + std::to_string(int(limits::MaxSampleHz)) + " Hz. Example: --sample-hz 50");
        } else if (opt == "--json" && hasValue)
            jsonPath = argv[++i];
        else if (opt == "--csv" && hasValue)
            csvPath = argv[++i];
        else if (opt == "--trace" && hasValue)
            tracePath = argv[++i];
        else
            return badInput("unknown option or missing value: '" + opt + "'.\n" + RunUsage);
    }
    auto scenario = resolveScenario(target);
    if (!scenario)
        return badScenario(scenario.error());
    // The GUI may start an experiment with no workers and add them live; here nothing would ever move.
    if (scenario->workers.empty())
        return badInput("scenario '" + scenario->name
            + "' has no workers, so nothing would run. Add producers and consumers to its \"workers\" list");
    if (duration > 0)
        scenario->durationS = duration;
    // Check the report files can be written before any IPC object exists, creating nothing yet.
    if (jsonPath)
        if (auto problem = outputProblem("--json", *jsonPath))
            return badInput(*problem);
    if (csvPath)
        if (auto problem = outputProblem("--csv", *csvPath))
            return badInput(*problem);
    if (tracePath)
        if (auto problem = outputProblem("--trace", *tracePath))
            return badInput(*problem);

    RunOptions options;
    options.sampleHz = sampleHz;
    // The runner writes the CSV while it runs; it goes to a temporary file renamed at the end, so a run refused
    // after the file was opened leaves nothing behind.
    std::string csvTemporary;
    if (csvPath) {
        csvTemporary = writesThroughTemporary(*csvPath) ? createTemporaryBeside(*csvPath) : *csvPath;
        if (csvTemporary.empty())
            return badInput("--csv: cannot create a file beside '" + *csvPath + "': " + std::strerror(errno)
                + ". Choose a directory you may write");
        options.csvPath = csvTemporary;
    }
    const bool csvIsTemporary = csvPath && csvTemporary != *csvPath;
    // Before the start, so a signal while objects are being made still ends in stop() and nothing is left; the
    // handler only sets a flag, and exec resets it in the workers.
    struct sigaction sa { };
    sa.sa_handler = onInterrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr); // a closed terminal or dropped ssh: stop and unlink like Ctrl-C
    auto runner = Runner::start(*scenario, options);
    if (!runner) {
        if (csvIsTemporary)
            unlink(csvTemporary.c_str());
        // The runner names the file it opened; the user gave the other name.
        std::string message = runner.error().message();
        if (csvIsTemporary)
            for (std::size_t at; (at = message.find(csvTemporary)) != std::string::npos;)
                message.replace(at, csvTemporary.size(), *csvPath);
        return badInput(message);
    }

    const bool tty = isatty(STDOUT_FILENO);
    // "Running zmq-push-pull: ZeroMQ PUSH/PULL (8.0 s, ...)", or without the title a scenario file may leave out.
    const std::string titled = scenario->title.empty() ? scenario->name : scenario->name + ": " + scenario->title;
    std::printf("Running %s (%.1f s, sampling at %.0f Hz; Ctrl+C stops early)\n", titled.c_str(), scenario->durationS,
        (*runner)->sampleHz());
    std::fflush(stdout);
    const std::uint64_t start = monotonicNs();
    const std::uint64_t period = std::uint64_t(1e9 / (*runner)->sampleHz());
    const std::uint64_t end = start + std::uint64_t(scenario->durationS * 1e9);
    std::uint64_t next = start;
    std::uint64_t nextProgress = start;
    while (!g_interrupted) {
        next += period;
        sleepUntilNs(next);
        const Snapshot snap = (*runner)->sample();
        for (const RunEvent& e : snap.events)
            std::printf("%s[%6.2f s] %s\n", tty ? "\r\033[K" : "", e.t, e.text.c_str());
        if (!snap.events.empty())
            std::fflush(stdout); // told as it happens, also into a pipe or a file
        const std::uint64_t now = monotonicNs();
        if (tty && now >= nextProgress) {
            std::printf("\r\033[K%s", progressLine(snap).c_str());
            std::fflush(stdout);
            nextProgress = now + 250'000'000;
        }
        if (now >= end || (*runner)->allWorkersExited() || (*runner)->deadlocked())
            break;
        if (next + period < now)
            next = now; // fell behind (machine busy): do not try to catch up
    }
    if (tty)
        std::printf("\r\033[K");
    if (g_interrupted)
        std::printf("Interrupted: stopping workers and removing objects.\n");
    const Report report = (*runner)->stop();
    const std::string trace = tracePath ? chromeTraceJson((*runner)->takeTraceLog()) : std::string();
    runner->reset(); // closes the CSV file before it is renamed
    std::fputs(reportToText(report).c_str(), stdout);
    bool written = true;
    if (jsonPath && !writeWholeFile(*jsonPath, reportToJson(report))) {
        std::fprintf(stderr, "ipclab-cli: --json: could not write %s: %s. Choose a folder you may write to\n",
            jsonPath->c_str(), std::strerror(errno));
        written = false;
    }
    if (tracePath && !writeWholeFile(*tracePath, trace)) {
        std::fprintf(stderr, "ipclab-cli: --trace: could not write %s: %s. Choose a folder you may write to\n",
            tracePath->c_str(), std::strerror(errno));
        written = false;
    } else if (tracePath)
        std::printf(
            "Trace written to %s (open it in https://ui.perfetto.dev or chrome://tracing)\n", tracePath->c_str());
    if (csvIsTemporary && std::rename(csvTemporary.c_str(), csvPath->c_str()) != 0) {
        std::fprintf(stderr, "ipclab-cli: could not write %s: %s\n", csvPath->c_str(), std::strerror(errno));
        unlink(csvTemporary.c_str());
        written = false;
    } else if (csvPath)
        std::printf("Time series written to %s\n", csvPath->c_str());
    if (!written)
        return ExitBadInput; // the report the user asked for is missing: not a success
    if (report.deadlock.kind == WaitForVerdict::Kind::Deadlock)
        return ExitDeadlock;
    return report.integrity.exact ? ExitOk : ExitIntegrity;
}

int cleanup(int argc, char** argv)
{
    if (argc > 2 && isHelp(argv[2]))
        return printUsage(CleanupUsage);
    const auto lines = cleanupStaleRuns();
    for (const std::string& line : lines)
        std::printf("%s\n", line.c_str());
    if (lines.empty())
        std::printf("Nothing to remove: no objects of crashed runs in %s\n", runtimeDirectory().c_str());
    // Something planted or odd was kept: a script calling cleanup should notice.
    const bool leftAlone = std::any_of(
        lines.begin(), lines.end(), [](const std::string& line) { return line.rfind("removed ", 0) != 0; });
    return leftAlone ? ExitIntegrity : ExitOk;
}

} // namespace

int runCliMain(int argc, char** argv)
{
    if (argc < 2)
        return badInput("no command given.\n" + Usage);
    const std::string command = argv[1];
    if (command == "--version" || command == "version") {
        std::printf("ipclab-cli %s\n", versionString());
        return ExitOk;
    }
    if (command == "list")
        return list(argc, argv);
    if (command == "show")
        return show(argc, argv);
    if (command == "python")
        return python(argc, argv);
    if (command == "run")
        return run(argc, argv);
    if (command == "bench")
        return runBenchCommand(argc, argv);
    if (command == "cleanup")
        return cleanup(argc, argv);
    if (command == "ls")
        return runLsCommand(argc, argv);
    if (command == "watch")
        return runWatchCommand(argc, argv);
    if (command == "host")
        return runHostCommand(argc, argv);
    if (command == "--help" || command == "-h" || command == "help")
        return printUsage(Usage);
    return badInput("unknown command '" + command + "'.\n" + Usage);
}

} // namespace ipccore
