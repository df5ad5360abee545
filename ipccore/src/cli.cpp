#include "ipccore/cli.h"

#include "ipccore/bench.h"
#include "ipccore/runner.h"
#include "ipccore/scenario.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
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

const char* Usage = "Usage:\n"
                    "  ipclab-cli list                          bundled scenarios with their titles\n"
                    "  ipclab-cli show <scenario>               print a scenario as JSON (a start for your own)\n"
                    "  ipclab-cli run <scenario|file.json> [--duration SECONDS] [--sample-hz HZ]\n"
                    "                 [--json FILE] [--csv FILE]\n"
                    "  ipclab-cli cleanup                       remove objects left by crashed runs\n"
                    "  ipclab-cli bench [--transports LIST] [--sizes 64,4096,65536] [--messages N] [--repeat K]\n"
                    "                   [--json FILE]           race the transports (ipclab-cli bench --help)\n"
                    "\n"
                    "Exit status: 0 ok (run: integrity exact), 1 integrity failed, 2 bad input.\n";

int badInput(const std::string& message)
{
    std::fprintf(stderr, "ipclab-cli: %s\n", message.c_str());
    return ExitBadInput;
}

bool parseDouble(const char* text, double& out)
{
    char* end = nullptr;
    out = std::strtod(text, &end);
    return end && *end == '\0' && end != text;
}

int list()
{
    std::size_t width = 0;
    for (const BundledScenario& b : bundledScenarios())
        width = std::max(width, b.name.size());
    for (const BundledScenario& b : bundledScenarios())
        std::printf("%-*s  %s\n", int(width), b.name.c_str(), b.title.c_str());
    return ExitOk;
}

int show(int argc, char** argv)
{
    if (argc < 3)
        return badInput("show needs a scenario name or .json file.\n" + std::string(Usage));
    auto scenario = resolveScenario(argv[2]);
    if (!scenario)
        return badInput(scenario.error().message());
    std::fputs(scenarioToJson(*scenario).c_str(), stdout);
    return ExitOk;
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
        return badInput("run needs a scenario name or .json file.\n" + std::string(Usage));
    std::string target = argv[2];
    double duration = -1;
    double sampleHz = 0;
    std::string jsonPath, csvPath;
    for (int i = 3; i < argc; ++i) {
        const std::string opt = argv[i];
        const bool hasValue = i + 1 < argc;
        if (opt == "--duration" && hasValue) {
            if (!parseDouble(argv[++i], duration) || !(duration > 0) || duration > ScenarioLimits::MaxDurationS)
                return badInput("--duration: '" + std::string(argv[i])
                    + "' is not a number of seconds in (0, 86400]. Example: --duration 3");
        } else if (opt == "--sample-hz" && hasValue) {
            if (!parseDouble(argv[++i], sampleHz) || sampleHz < 1 || sampleHz > ScenarioLimits::MaxSampleHz)
                return badInput("--sample-hz: '" + std::string(argv[i]) + "' is not a rate from 1 to 1000 Hz");
        } else if (opt == "--json" && hasValue)
            jsonPath = argv[++i];
        else if (opt == "--csv" && hasValue)
            csvPath = argv[++i];
        else
            return badInput("unknown option or missing value: '" + opt + "'.\n" + std::string(Usage));
    }
    auto scenario = resolveScenario(target);
    if (!scenario)
        return badInput(scenario.error().message());
    // The GUI may start an experiment with no workers and add them live; here nothing would ever move.
    if (scenario->workers.empty())
        return badInput("scenario '" + scenario->name
            + "' has no workers, so nothing would run. Add producers and consumers to its \"workers\" list");
    if (duration > 0)
        scenario->durationS = duration;
    // Check the report files can be written before any IPC object exists.
    for (const std::string& path : { jsonPath }) {
        if (path.empty())
            continue;
        std::ofstream probe(path, std::ios::app);
        if (!probe)
            return badInput("--json: cannot write '" + path + "': " + std::strerror(errno)
                + ". Check the directory exists and is writable");
    }

    RunOptions options;
    options.sampleHz = sampleHz;
    options.csvPath = csvPath;
    auto runner = Runner::start(*scenario, options);
    if (!runner)
        return badInput(runner.error().message());

    struct sigaction sa { };
    sa.sa_handler = onInterrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    const bool tty = isatty(STDOUT_FILENO);
    std::printf("Running %s: %s (%.1f s, sampling at %.0f Hz; Ctrl+C stops early)\n", scenario->name.c_str(),
        scenario->title.c_str(), scenario->durationS, (*runner)->sampleHz());
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
        const std::uint64_t now = monotonicNs();
        if (tty && now >= nextProgress) {
            std::printf("\r\033[K%s", progressLine(snap).c_str());
            std::fflush(stdout);
            nextProgress = now + 250'000'000;
        }
        if (now >= end || (*runner)->allWorkersExited())
            break;
        if (next + period < now)
            next = now; // fell behind (machine busy): do not try to catch up
    }
    if (tty)
        std::printf("\r\033[K");
    if (g_interrupted)
        std::printf("Interrupted: stopping workers and removing objects.\n");
    const Report report = (*runner)->stop();
    std::fputs(reportToText(report).c_str(), stdout);
    if (!jsonPath.empty()) {
        std::ofstream out(jsonPath, std::ios::trunc);
        out << reportToJson(report);
        if (!out)
            std::fprintf(stderr, "ipclab-cli: could not write %s\n", jsonPath.c_str());
    }
    if (!csvPath.empty())
        std::printf("Time series written to %s\n", csvPath.c_str());
    return report.integrity.exact ? ExitOk : ExitIntegrity;
}

int cleanup()
{
    const auto lines = cleanupStaleRuns();
    for (const std::string& line : lines)
        std::printf("%s\n", line.c_str());
    if (lines.empty())
        std::printf("Nothing to remove: no objects of crashed runs in %s\n", runtimeDirectory().c_str());
    return ExitOk;
}

} // namespace

int runCliMain(int argc, char** argv)
{
    if (argc < 2)
        return badInput("no command given.\n" + std::string(Usage));
    const std::string command = argv[1];
    if (command == "list")
        return list();
    if (command == "show")
        return show(argc, argv);
    if (command == "run")
        return run(argc, argv);
    if (command == "bench")
        return runBenchCommand(argc, argv);
    if (command == "cleanup")
        return cleanup();
    if (command == "--help" || command == "-h" || command == "help") {
        std::fputs(Usage, stdout);
        return ExitOk;
    }
    return badInput("unknown command '" + command + "'.\n" + std::string(Usage));
}

} // namespace ipccore
