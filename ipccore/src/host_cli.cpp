// ipclab-cli host: make keys, run a worker host, ping one (see host.h).

#include "cli_args.h"
#include "ipccore/host.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

namespace ipccore {

namespace {

constexpr int ExitOk = 0;
constexpr int ExitLinkFailed = 1;
constexpr int ExitBadInput = 2;

const char* HostUsage
    = "Usage: ipclab-cli host --keygen NAME\n"
      "       ipclab-cli host --listen tcp://ADDRESS:PORT --key NAME.key --allow FILE [--allow FILE...]\n"
      "                       [--all-interfaces]\n"
      "       ipclab-cli host --ping tcp://ADDRESS:PORT --key NAME.key --host-key HOST.pub [--count N]\n"
      "                       [--timeout SECONDS] [--watch] [--json]\n"
      "\n"
      "A worker host is another machine that runs workers for a controller, over ZeroMQ with CURVE keys on both\n"
      "sides. A scenario lists it under \"hosts\" and names it in the workers that run there (see the README:\n"
      "'Another machine'); 'ipclab-cli run' then runs those workers on the host and shows them with the rest.\n"
      "Pings prove the link and the keys, measure the round trip and the clock offset between the machines,\n"
      "and (--watch) show a host that died or was cut off (LOST, within about 1.25 s).\n"
      "\n"
      "  --keygen NAME       write a key pair: NAME.key (secret, mode 0600: keep it on this machine) and NAME.pub\n"
      "                      (public: give it to the other side). Existing files are never replaced.\n"
      "  --listen ENDPOINT   run a host on one address of this machine, tcp://ADDRESS:PORT (PORT * picks a free\n"
      "                      one and prints it). Until Ctrl-C (or SIGTERM): a run going is first handed back to\n"
      "                      its controller, with its books; Ctrl-C again stops without that. Every controller\n"
      "                      let in or refused, and every run started and ended, is printed. One run at a time.\n"
      "  --key FILE          this side's secret key (a .key file of --keygen: yours, mode 0600)\n"
      "  --allow FILE        the host lets in only controllers whose public key is in FILE (one key per line, as\n"
      "                      in .pub files; FILE must not be writable by others). May be given more than once.\n"
      "  --all-interfaces    allow ADDRESS * or 0.0.0.0 (every interface); refused without it\n"
      "  --ping ENDPOINT     connect to a host as a controller and time COUNT round trips (default 5, at most\n"
      "                      1000), each waiting at most --timeout SECONDS (default 3)\n"
      "  --host-key FILE     the host's public key (its NAME.pub)\n"
      "  --watch             keep the link up until Ctrl-C: a heartbeat every 250 ms, a line every second, the\n"
      "                      host shown LOST after 1 s without an answer and up again when it answers\n"
      "  --json              print the ping's result as JSON (with --watch: one JSON object per line)\n"
      "\n"
      "Example, host 192.168.1.20 and this machine as the controller:\n"
      "  there: ipclab-cli host --keygen host      here: ipclab-cli host --keygen controller\n"
      "  (copy controller.pub there and host.pub here)\n"
      "  there: ipclab-cli host --listen tcp://192.168.1.20:5555 --key host.key --allow controller.pub\n"
      "  here:  ipclab-cli host --ping tcp://192.168.1.20:5555 --key controller.key --host-key host.pub\n"
      "\n"
      "Exit status: 0 ok (ping: the host answered), 1 the host refused or did not answer, 2 bad input.\n";

// Set by SIGINT, SIGTERM and SIGHUP (a lock-free atomic may be stored to in a signal handler): the first asks a host
// to hand its run back to its controller and then stop (HostServer::serve), a second to stop without handing it back.
std::atomic<bool> g_stop { false };
std::atomic<bool> g_stopNow { false };
static_assert(std::atomic<bool>::is_always_lock_free);
void onStop(int)
{
    if (g_stop.exchange(true))
        g_stopNow = true;
}

void installStopHandlers()
{
    struct sigaction sa { };
    sa.sa_handler = onStop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
}

int fail(const std::string& message, int status = ExitBadInput)
{
    std::fprintf(stderr, "ipclab-cli host: %s\n", message.c_str());
    return status;
}

// An error as one line: a refused option as "--listen tcp://*:1: <why and the remedy>", others as Error::message.
int fail(const Error& error, int status = ExitBadInput)
{
    if (error.code == ErrorCode::InvalidArgument && error.operation.starts_with("--"))
        return fail(error.operation + " " + error.object + ": " + error.hint, status);
    return fail(error.message(), status);
}

std::string clockNow()
{
    const std::time_t now = std::time(nullptr);
    char text[16] = {};
    std::tm local {};
    localtime_r(&now, &local);
    std::strftime(text, sizeof text, "%H:%M:%S", &local);
    return text;
}

int listen(const HostOptions& options)
{
    auto server = HostServer::listen(options);
    if (!server)
        return fail(server.error());
    installStopHandlers();
    std::printf("listening on %s (CURVE; %zu controller key%s allowed)\n", (*server)->endpoint().c_str(),
        (*server)->allowedKeys(), (*server)->allowedKeys() == 1 ? "" : "s");
    std::printf(
        "host public key %s (controllers name its .pub file with --host-key)\n", (*server)->publicKey().c_str());
    std::printf(
        "Stop with Ctrl-C (a run going is handed back to its controller first; Ctrl-C again stops without that).\n");
    std::fflush(stdout);
    (*server)->serve(
        g_stop,
        [](const std::string& line) {
            std::printf("%s %s\n", clockNow().c_str(), line.c_str());
            std::fflush(stdout);
        },
        &g_stopNow);
    std::printf("stopped\n");
    return ExitOk;
}

int ping(const PingOptions& options, bool json)
{
    auto result = pingHost(options);
    if (!result) {
        // The link failed when connecting or waiting for an answer; anything before (options, key files) is input.
        const std::string& operation = result.error().operation;
        const bool badInput = operation != "connect" && operation != "receive";
        return fail(result.error(), badInput ? ExitBadInput : ExitLinkFailed);
    }
    std::vector<double> sorted = result->roundTripsUs;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted[sorted.size() / 2];
    if (json) {
        const nlohmann::json out
            = { { "endpoint", options.endpoint }, { "host", result->hello.name }, { "pid", result->hello.pid },
                  { "version", result->hello.version }, { "round_trips_us", result->roundTripsUs },
                  { "round_trip_min_us", sorted.front() }, { "round_trip_median_us", median },
                  { "clock_offset_ns", result->offsetNs }, { "clock_offset_error_ns", result->errorNs } };
        std::printf("%s\n", out.dump(2).c_str());
        return ExitOk;
    }
    std::printf("host          %s (pid %ld, IPC Lab %s) at %s\n", result->hello.name.c_str(), result->hello.pid,
        result->hello.version.c_str(), options.endpoint.c_str());
    std::printf("round trips   %zu: fastest %s, median %s, slowest %s (the first includes the CURVE handshake)\n",
        sorted.size(), readableNs(std::int64_t(sorted.front() * 1000)).c_str(),
        readableNs(std::int64_t(median * 1000)).c_str(), readableNs(std::int64_t(sorted.back() * 1000)).c_str());
    std::printf("clock offset  %s (the host's monotonic clock minus this machine's, from the best round "
                "trip:\n              half that trip, and 500 ppm of drift since)\n",
        readableOffset(result->offsetNs, result->errorNs).c_str());
    return ExitOk;
}

const char* stateName(LinkStatus::State state)
{
    switch (state) {
    case LinkStatus::State::Connecting:
        return "connecting";
    case LinkStatus::State::Up:
        return "up";
    case LinkStatus::State::Lost:
        return "lost";
    case LinkStatus::State::Refused:
        return "refused";
    }
    return "?";
}

// A live link, one line a second and one at every change of state, until a signal.
int watch(const PingOptions& options, bool json)
{
    auto link = HostLink::open(options);
    if (!link)
        return fail(link.error());
    installStopHandlers();
    LinkStatus::State shown = LinkStatus::State::Connecting;
    std::uint64_t lastLineNs = 0;
    std::uint64_t lostSinceNs = 0;
    while (!g_stop) {
        const LinkStatus st = (*link)->status();
        const std::uint64_t now = monotonicNs();
        if (st.state == LinkStatus::State::Refused)
            return fail(*st.refusal, ExitLinkFailed);
        const bool changed = st.state != shown;
        if (changed || now - lastLineNs >= 1'000'000'000ull) {
            if (json) {
                const nlohmann::json line = { { "time", clockNow() }, { "state", stateName(st.state) },
                    { "silence_ms", double(st.silenceNs) / 1e6 }, { "answers", st.answers },
                    { "round_trip_us", st.lastRoundTripUs }, { "clock_offset_ns", st.offsetNs },
                    { "clock_offset_error_ns", st.errorNs }, { "host", st.hello.name }, { "pid", st.hello.pid } };
                std::printf("%s\n", line.dump().c_str());
            } else if (st.state == LinkStatus::State::Up && changed && shown == LinkStatus::State::Lost) {
                std::printf("%s up again after %.1f s without an answer\n", clockNow().c_str(),
                    double(now - lostSinceNs + std::uint64_t(HostLink::LostAfter.count())) / 1e9);
            } else if (st.state == LinkStatus::State::Up) {
                std::printf("%s up    round trip %s, clock offset %s (host %s, pid %ld)\n", clockNow().c_str(),
                    readableNs(std::int64_t(st.lastRoundTripUs * 1000)).c_str(),
                    readableOffset(st.offsetNs, st.errorNs).c_str(), st.hello.name.c_str(), st.hello.pid);
            } else if (st.state == LinkStatus::State::Lost) {
                std::printf("%s LOST  no answer for %.1f s: the host died or the link is down (still trying)\n",
                    clockNow().c_str(), double(st.silenceNs) / 1e9);
            } else if (st.silenceNs < 1'000'000'000ull) {
                std::printf("%s connecting to %s\n", clockNow().c_str(), options.endpoint.c_str());
            } else {
                std::printf("%s connecting to %s (no answer for %.1f s)\n", clockNow().c_str(),
                    options.endpoint.c_str(), double(st.silenceNs) / 1e9);
            }
            std::fflush(stdout);
            if (changed && st.state == LinkStatus::State::Lost)
                lostSinceNs = now;
            shown = st.state;
            lastLineNs = now;
        }
        sleepUntilNs(now + 50'000'000ull);
    }
    return ExitOk;
}

} // namespace

int runHostCommand(int argc, char** argv)
{
    enum class Mode { None, Keygen, Listen, Ping } mode = Mode::None;
    std::string keygen;
    HostOptions host;
    PingOptions pingOptions;
    bool json = false;
    bool watchLink = false;
    std::string keyFile;
    int modes = 0;
    std::vector<std::string> given; // every option named, in order
    for (int i = 2; i < argc; ++i) {
        const detail::CliArg arg = detail::splitCliArg(argv[i]);
        if (arg.name == "--help" || arg.name == "-h") {
            std::fputs(HostUsage, stdout);
            return ExitOk;
        }
        if (arg.name != "--allow" && std::find(given.begin(), given.end(), arg.name) != given.end())
            return fail(arg.name + " is given twice; give it once.");
        given.push_back(arg.name);
        if (arg.name == "--all-interfaces") {
            host.allInterfaces = true;
            continue;
        }
        if (arg.name == "--json") {
            json = true;
            continue;
        }
        if (arg.name == "--watch") {
            watchLink = true;
            continue;
        }
        const bool takesValue = arg.name == "--keygen" || arg.name == "--listen" || arg.name == "--ping"
            || arg.name == "--key" || arg.name == "--allow" || arg.name == "--host-key" || arg.name == "--count"
            || arg.name == "--timeout";
        if (!takesValue)
            return fail("unknown option '" + arg.name + "'. See 'ipclab-cli host --help'.");
        if (!arg.attached && i + 1 >= argc)
            return fail(arg.name + " needs a value. See 'ipclab-cli host --help'.");
        const std::string value = arg.attached ? *arg.attached : argv[++i];
        if (arg.name == "--keygen") {
            keygen = value;
            mode = Mode::Keygen;
            ++modes;
        } else if (arg.name == "--listen") {
            host.listen = value;
            mode = Mode::Listen;
            ++modes;
        } else if (arg.name == "--ping") {
            pingOptions.endpoint = value;
            mode = Mode::Ping;
            ++modes;
        } else if (arg.name == "--key") {
            keyFile = value;
        } else if (arg.name == "--allow") {
            host.allowFiles.push_back(value);
        } else if (arg.name == "--host-key") {
            pingOptions.hostKeyFile = value;
        } else if (arg.name == "--count") {
            char* end = nullptr;
            const long n = std::strtol(value.c_str(), &end, 10);
            if (value.empty() || *end != '\0' || n < 1 || n > 1000)
                return fail("--count must be a whole number from 1 to 1000, not '" + value + "'.");
            pingOptions.count = int(n);
        } else { // --timeout
            char* end = nullptr;
            const double s = std::strtod(value.c_str(), &end);
            if (value.empty() || *end != '\0' || !(s > 0) || s > 60)
                return fail("--timeout must be a number of seconds above 0 and at most 60, not '" + value + "'.");
            pingOptions.timeout = Duration(std::int64_t(s * 1e9));
        }
    }
    if (modes != 1)
        return fail("give exactly one of --keygen, --listen and --ping. See 'ipclab-cli host --help'.");
    // Options that do nothing in this mode are refused: a user who gave them expected something of them.
    const std::vector<std::string> fits = mode == Mode::Keygen ? std::vector<std::string> { "--keygen" }
        : mode == Mode::Listen ? std::vector<std::string> { "--listen", "--key", "--allow", "--all-interfaces" }
        : watchLink
        ? std::vector<std::string> { "--ping", "--key", "--host-key", "--watch", "--json" }
        : std::vector<std::string> { "--ping", "--key", "--host-key", "--count", "--timeout", "--watch", "--json" };
    for (const std::string& option : given)
        if (std::find(fits.begin(), fits.end(), option) == fits.end())
            return fail(option + " does not go with " + fits.front()
                + (mode == Mode::Ping && watchLink ? " --watch" : "") + ". See 'ipclab-cli host --help'.");
    // The two kinds of key file side by side are easy to swap, and a secret key must never be handed over.
    const auto endsWith = [](const std::string& text, const char* tail) { return text.ends_with(tail); };
    if (mode == Mode::Keygen) {
        if (keygen.empty() || keygen.front() == '-' || endsWith(keygen, ".key") || endsWith(keygen, ".pub"))
            return fail("--keygen takes a NAME without .key or .pub (and not starting with -): --keygen NAME writes "
                        "NAME.key and NAME.pub.");
    }
    if (endsWith(keyFile, ".pub"))
        return fail("--key " + keyFile + " is a public key file: --key takes this side's secret .key file.");
    for (const std::string& file : host.allowFiles)
        if (endsWith(file, ".key"))
            return fail("--allow " + file
                + " is a secret key file: give the controller's .pub file (a secret key never leaves its machine).");
    if (endsWith(pingOptions.hostKeyFile, ".key"))
        return fail("--host-key " + pingOptions.hostKeyFile
            + " is a secret key file: give the host's .pub file (a secret key never leaves its machine).");
    if (mode == Mode::Keygen) {
        if (Status st = writeKeyPair(keygen); !st)
            return fail(st.error());
        std::printf("wrote %s.key (secret key, mode 0600: keep it on this machine)\n", keygen.c_str());
        std::printf("wrote %s.pub (public key: give it to the other side)\n", keygen.c_str());
        return ExitOk;
    }
    if (keyFile.empty())
        return fail("name this side's secret key with --key FILE (made by 'ipclab-cli host --keygen NAME').");
    if (mode == Mode::Listen) {
        if (host.allowFiles.empty())
            return fail("name the file of the controllers' public keys with --allow FILE: a host lets in only the "
                        "keys it was given.");
        host.keyFile = keyFile;
        return listen(host);
    }
    if (pingOptions.hostKeyFile.empty())
        return fail("name the host's public key with --host-key FILE (the .pub file of its key pair).");
    pingOptions.keyFile = keyFile;
    return watchLink ? watch(pingOptions, json) : ping(pingOptions, json);
}

} // namespace ipccore
