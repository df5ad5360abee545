#pragma once

// Worker hosts: another machine that runs workers for a controller (`ipclab-cli host`). This part is the link
// itself, which everything else rides on:
//  - key pairs (CURVE, ZeroMQ's elliptic-curve security): writeKeyPair;
//  - a host that listens on one address (never every interface unless asked), proves itself with its secret key and
//    lets in only controllers whose public keys it was given (a ZAP handler refuses every other key): HostServer;
//  - a ping from a controller that proves the link and the keys, and estimates the offset between the two
//    machines' monotonic clocks with its error: pingHost.
//  - a run: the workers of a scenario that name a host run there, under a Runner of the host's own, which streams
//    its snapshots to the controller and sends its report when asked to stop (host_run.cpp, remote_hosts.cpp).
//
// The wire: a controller's DEALER talks to the host's ROUTER over tcp://, one JSON object per message:
//   {"type": "hello", "seq": N[, "run": ID]}        answered {"type": "hello", "seq": N, ...} (see HostHello)
//   {"type": "run", "run": ID, "scenario": {...}, "held": true}   answered {"type": "started"} or
//                                                   {"type": "error", "message", "code"} (code: errorCodeName)
//   then the host sends {"type": "snapshot", "run": ID, "snapshot": {...}, "held": B} about 20 times a second
//   {"type": "go", "run": ID}                       every host has started, and the controller has made its own
//                                                   part: the workers held since the start go
//   {"type": "control", "run": ID, "worker": NAME, "action": "pause", ["value": N]}   not answered while the run
//                                                   runs: its next snapshots show it done, or a warning says why not
//   {"type": "stop", "run": ID}                     answered {"type": "report", "run": ID, "report": {...}}
//   host to controller, when `ipclab-cli host` is stopped (a signal) during a run:
//   {"type": "leaving", "run": ID, "why": TEXT}     the controller holds its producers that feed the part until the
//                                                   part's consumers have what was sent, then sends "stop"
// A host runs one run at a time, and stops it by itself when its controller has sent nothing for
// RunOrphanedAfter (the controller died, or the link stayed down).

#include "ipccore/clock.h"
#include "ipccore/result.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ipccore {

// Writes a new key pair: "<prefix>.key", the secret key (0600; it stays on this machine), and "<prefix>.pub", the
// public key (0644; give it to the other side). Files that exist are never replaced; on failure neither is left.
Status writeKeyPair(const std::string& prefix);

struct HostOptions {
    std::string listen; // "tcp://ADDRESS:PORT"; PORT "*" lets the kernel pick one (see HostServer::endpoint)
    std::string keyFile; // the host's secret key (a .key file of writeKeyPair)
    std::vector<std::string> allowFiles; // files of the controllers' public keys, one per line
    bool allInterfaces = false; // allow a wildcard ADDRESS (*, 0.0.0.0, [::]): every interface of the machine
};

// What a host says about itself when a controller pings it.
struct HostHello {
    std::string name; // its host name
    long pid = 0;
    std::string version; // IPC Lab's
    std::uint64_t monotonicNs = 0; // its CLOCK_MONOTONIC when it answered
};

// A listening host. listen() refuses a wildcard address unless asked, a secret key file others may read, a file of
// keys others may change, and an address it cannot bind, each with the remedy.
class HostServer {
public:
    static Result<std::unique_ptr<HostServer>> listen(const HostOptions& options);
    ~HostServer();
    HostServer(const HostServer&) = delete;
    HostServer& operator=(const HostServer&) = delete;

    const std::string& endpoint() const; // as bound, with the port the kernel picked
    const std::string& publicKey() const; // the host's, for the controllers
    std::size_t allowedKeys() const;

    // A run whose controller has sent nothing (not even a hello) for this long is stopped by the host.
    static constexpr Duration RunOrphanedAfter = std::chrono::seconds(3);

    // A host stopped during a run says "leaving" and waits this long for its controller's "stop" (the controller
    // first lets the part's consumers take what its producers sent); then it stops the run itself.
    static constexpr Duration LeaveAskWait = std::chrono::seconds(5);
    // How long it then waits for the run's report before it gives up and stops the workers at once.
    static constexpr Duration RunStopWait = std::chrono::seconds(15);

    // Answers controllers until `stop` is true (looked at every 100 ms at most), and tells `log` of every controller
    // let in, every key refused and every handshake that failed. Without `stopNow`, serve returns at once then (a run
    // going is stopped as the server is destroyed, its report not sent). With it (`ipclab-cli host`), a run going
    // when `stop` comes is handed back first: no new run is started, its controller is told ("leaving"), and serve
    // returns half a second after the run's report has been sent (at most LeaveAskWait + RunStopWait after `stop`),
    // or at once when `stopNow` is true.
    void serve(const std::atomic<bool>& stop, const std::function<void(const std::string&)>& log,
        const std::atomic<bool>* stopNow = nullptr);

private:
    struct State;
    explicit HostServer(std::unique_ptr<State> state);
    std::unique_ptr<State> m;
};

struct PingOptions {
    std::string endpoint; // "tcp://ADDRESS:PORT" as the host printed it
    std::string keyFile; // this controller's secret key
    std::string hostKeyFile; // the host's public key (its .pub file)
    int count = 5; // round trips, 1..1000
    Duration timeout = std::chrono::seconds(3); // for the first answer, and then for each one
};

struct PingResult {
    HostHello hello;
    std::vector<double> roundTripsUs; // each round trip, in order
    // The host's CLOCK_MONOTONIC minus this machine's, estimated from one round trip: the host read its clock
    // somewhere within that trip, so the true offset lay within half the trip of offsetNs then. errorNs adds what
    // the clocks may have drifted apart since (500 ppm of the trip's age), as of the last answer; the trip is the
    // one with the smallest such error (short, and recent).
    std::int64_t offsetNs = 0;
    std::int64_t errorNs = 0;
};

// Pings a host. Fails with PermissionDenied when the host refused this controller's key or the handshake showed
// that the host's public key is not the one given, TimedOut when nothing answered, each with the remedy.
Result<PingResult> pingHost(const PingOptions& options);

// An object's consumers on one host or several, its producers on this machine: each host's CLOCK_MONOTONIC minus
// this machine's, and the estimate's error (LinkStatus::offsetNs, errorNs).
struct HostClock {
    std::string host;
    std::int64_t offsetNs = 0;
    std::int64_t errorNs = 0;
};
// Which clock such producers stamp their messages in, and what that does to each host's latencies. The stamp is in
// the clock of the host that is furthest behind (the smallest offset), or in this machine's own when no host is
// behind it and that host's is the same within its error, so no host sees a stamp from its future beyond the errors
// (a latency below zero, which a consumer reads as 0). A host whose clock is ahead of the stamp's by more than both
// errors measures latencies high by its shift, which the controller takes off its consumers' latencies; within the
// errors the shift is 0. The offsets are the links' estimates at the run's start.
struct StampClock {
    std::size_t reference = 0; // the host furthest behind (an index into the hosts)
    std::int64_t stampOffsetNs = 0; // what the producers add to their clock: 0, or that host's offset
    std::int64_t stampErrorNs = 0; // that offset's error (0 with this machine's own clock)
    std::vector<std::int64_t> latencyShiftNs; // per host, in order
};
StampClock stampClock(std::span<const HostClock> hosts);

// A time in the unit that keeps it readable: "850 ns", "42.5 µs", "3.25 ms", "12.345678 s"; with `sign`, "+42.5 µs".
std::string readableNs(std::int64_t ns, bool sign = false);
// A clock's offset and the estimate's error: "+14.9 µs ± 233.1 µs", "-5.000012 s ± 180.0 µs".
std::string readableOffset(std::int64_t offsetNs, std::int64_t errorNs);

// A live link's state, as HostLink::status() reads it.
struct LinkStatus {
    enum class State {
        Connecting, // no answer yet
        Up, // answered within LostAfter
        Lost, // answered before, silent for more than LostAfter now (the host died or the link is down)
        Refused, // the keys do not match (problem says which side's); the link has given up
    } state
        = State::Connecting;
    std::optional<Error> refusal; // when Refused: why, with the remedy
    HostHello hello; // from the last answer
    long answers = 0;
    double lastRoundTripUs = 0;
    // As PingResult's, from the best of the last 40 round trips (10 s), as of the last answer.
    std::int64_t offsetNs = 0;
    std::int64_t errorNs = 0;
    std::uint64_t lastAnswerNs = 0; // this machine's CLOCK_MONOTONIC
    std::uint64_t silenceNs = 0; // since the last answer (since the start before the first)
};

// A controller's live link to one host: a hello every HeartbeatInterval on a thread of its own; the host is Lost
// once it has not answered for LostAfter (so a killed host or a cut link shows within LostAfter plus a heartbeat),
// and Up again when it answers. ZeroMQ reconnects by itself; its own heartbeats drop a connection whose peer went
// silent, so a link that comes back is used again.
class HostLink {
public:
    static constexpr Duration HeartbeatInterval = std::chrono::milliseconds(250);
    static constexpr Duration LostAfter = std::chrono::seconds(1);

    // Checks the endpoint and the key files (a refusal returns at once); then the link works in the background.
    static Result<std::unique_ptr<HostLink>> open(const PingOptions& options);
    ~HostLink();
    HostLink(const HostLink&) = delete;
    HostLink& operator=(const HostLink&) = delete;

    LinkStatus status() const;

    // A run's traffic on the same link (remote_hosts.cpp): `message` (one JSON object) is sent as soon as the link
    // is up, in order; what the host sends besides hello answers is kept for takeMessages, oldest first (at most
    // MaxInbox messages and MaxInboxBytes; the oldest go first when more come). Hellos carry `run` once it is set, so
    // the host knows the run's controller is still there, and on which connection.
    static constexpr std::size_t MaxInbox = 4096;
    static constexpr std::size_t MaxInboxBytes = std::size_t(64) << 20;
    void send(std::string message);
    std::vector<std::string> takeMessages();
    void setRun(const std::string& run);

private:
    struct State;
    explicit HostLink(std::unique_ptr<State> state);
    static void run(State& state);
    std::unique_ptr<State> m;
};

// "ipclab-cli host ...": --keygen, --listen, --ping (see the usage text in host_cli.cpp).
int runHostCommand(int argc, char** argv);

} // namespace ipccore
