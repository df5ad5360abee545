// A worker host's side of the link (see host.h), and key pairs. CURVE over tcp://: the host is a ROUTER that lets in
// only known controller keys (its ZAP handler), the controller a DEALER (host_link.cpp). ZeroMQ's guide, chapter 5
// ("Ironhouse"), is the pattern: both sides have key pairs, the client must know the server's public key, and the
// server checks the client's public key against a list.

#include "ipccore/host.h"

#include "host_run.h"
#include "host_wire.h"
#include "ipccore/system_ipc.h"
#include "ipccore/version.h"
#include "key_files.h"
#include "sys_error.h"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <optional>
#include <set>

namespace ipccore {

namespace {

using detail::KeyChars;
using detail::makeError;
using detail::MonitorEvent;
using detail::receiveFrames;
using detail::sendFrames;
using detail::setInt;
using detail::setOption;
using detail::zmqError;

// How long the host gives a connection to finish the CURVE handshake.
constexpr int HandshakeMs = 2000;
// The ZAP domain the host's sockets name (ZeroMQ requires one for its handler to be asked about every connection).
constexpr const char* ZapDomain = "ipclab-host";

// Whether binding `address` (as --listen wrote it) would listen on every interface. Parsed as libzmq's resolver
// parses it (glibc's numeric forms), so "0", "0x0" and "000.0.0.0" are 0.0.0.0 too, and decided before the bind.
bool isWildcard(const std::string& address)
{
    if (address == "*")
        return true;
    in_addr v4 {};
    if (inet_aton(address.c_str(), &v4) != 0)
        return v4.s_addr == INADDR_ANY;
    std::string v6 = address;
    if (v6.size() >= 2 && v6.front() == '[' && v6.back() == ']')
        v6 = v6.substr(1, v6.size() - 2);
    in6_addr a6 {};
    if (inet_pton(AF_INET6, v6.c_str(), &a6) != 1)
        return false; // a name: libzmq binds interface names, never resolves a host name to "every interface"
    static const std::uint8_t mappedAny[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0 };
    return IN6_IS_ADDR_UNSPECIFIED(&a6) || std::memcmp(&a6, mappedAny, sizeof mappedAny) == 0;
}

std::string hostName()
{
    char name[HOST_NAME_MAX + 1] = {};
    if (gethostname(name, sizeof name - 1) != 0)
        return "?";
    return name;
}

std::string z85(const std::uint8_t* key)
{
    char text[KeyChars + 1] = {};
    zmq_z85_encode(text, key, 32);
    return text;
}

} // namespace

Status writeKeyPair(const std::string& prefix)
{
    if (prefix.empty())
        return makeError(ErrorCode::InvalidArgument, "--keygen", prefix,
            "Name the key pair: --keygen NAME writes NAME.key and NAME.pub");
    char publicKey[KeyChars + 1] = {};
    char secretKey[KeyChars + 1] = {};
    if (zmq_curve_keypair(publicKey, secretKey) != 0)
        return zmqError("zmq_curve_keypair", prefix, errno,
            "This libzmq was built without CURVE (libsodium or its tweetnacl); Debian's libzmq5 has it");
    const std::string secretFile = prefix + ".key";
    const std::string publicFile = prefix + ".pub";
    if (Status st = detail::writeNewFile(secretFile, std::string(secretKey) + "\n", 0600); !st)
        return st;
    if (Status st = detail::writeNewFile(publicFile, std::string(publicKey) + "\n", 0644); !st) {
        ::unlink(secretFile.c_str());
        return st;
    }
    return {};
}

struct HostServer::State {
    detail::ZmqContext context; // first, so it is destroyed last
    void* router = nullptr;
    void* zap = nullptr;
    void* monitor = nullptr;
    std::string endpoint;
    std::string publicKey;
    std::set<std::string> allowed; // Z85
    // The run a controller asked for (one at a time): the controller's public key (only it may see or stop the
    // run), the routing id of the connection its messages came on last, and when (its hellos keep it fresh).
    std::string runKey;
    std::string runController;
    std::uint64_t runHeardNs = 0;
    bool runOrphaned = false;
    bool runStopAsked = false; // by the controller, or by this host (orphaned, or leaving)
    // This host is being stopped (serve's `stop`): it starts no run, and hands the one going back to its controller
    // ("leaving", once the run's first message has gone out, and again with each hello until "stop" comes).
    bool stopping = false;
    bool leaveSent = false;
    // The run that ended last, and its last message (the report), for its controller to fetch if the stream did
    // not reach it (the host stopped the run while the link was down).
    std::string lastRunId, lastRunKey, lastRunMessage;
    std::string runLastMessage; // the last message of the current run sent so far
    std::unique_ptr<detail::HostRun> run; // last, so the run is stopped before the sockets close

    // This host is being stopped (a signal) while a run goes: its controller is told, to hold what feeds the part and
    // then ask for its report (serve waits up to LeaveAskWait for that, then stops the run itself).
    void leave(std::uint64_t sinceNs, const std::function<void(const std::string&)>& log);
    nlohmann::json leavingMessage() const;
    nlohmann::json answerRun(const nlohmann::json& request, const std::string& routingId, const std::string& key,
        const std::function<void(const std::string&)>& log);
    void forwardRun(const std::function<void(const std::string&)>& log);
};

// Whether `id` looks like a run id a controller makes (Runner: "<pid>-<hex>"), so it can go into the host's log.
bool isRunId(const std::string& id)
{
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    });
}

// A "run", "stop", "control", or a hello naming a run, from the controller with public key `key`: see host.h's wire.
nlohmann::json HostServer::State::answerRun(const nlohmann::json& request, const std::string& routingId,
    const std::string& key, const std::function<void(const std::string&)>& log)
{
    using nlohmann::json;
    const std::string type = request["type"].get<std::string>();
    const std::string id = request["run"].get<std::string>();
    // A refusal: its text, and the kind of problem (errorCodeName) so the controller says it as the host saw it.
    // A refused run is logged too, so the host's terminal says why a run did not start.
    const auto error = [&](const std::string& message, ErrorCode code = ErrorCode::InvalidArgument) {
        if (type == "run")
            log("refused a run" + (isRunId(id) ? " (" + id + ")" : std::string()) + ": " + printableText(message));
        return json { { "type", "error" }, { "run", id }, { "message", message }, { "code", errorCodeName(code) } };
    };
    const auto failed = [&](const Error& e) { return error(e.hint.empty() ? e.message() : e.hint, e.code); };
    if (!isRunId(id))
        return error("not a run id (letters, digits and '-', at most 64)");
    if (type == "run" && stopping && !(run && run->id() == id && runKey == key))
        return error("this host is stopping ('ipclab-cli host' there was asked to stop); start it again, or use "
                     "another host",
            ErrorCode::PeerGone);
    if (type == "run") {
        // The same request again (the controller asks again when its first may have been lost with a connection).
        if (run && run->id() == id && runKey == key)
            return json();
        if (!run && id == lastRunId && key == lastRunKey && !lastRunMessage.empty())
            return json::parse(lastRunMessage);
        if (run && runKey == key)
            return error("this host is still running an earlier run of this controller; a host runs one at a time. "
                         "Stop that run (or wait for it to end), or use another host",
                ErrorCode::LimitReached);
        if (run)
            return error("this host is running another controller's run; a host runs one at a time. Stop that one, "
                         "or use another host",
                ErrorCode::LimitReached);
        if (!request.contains("scenario") || !request["scenario"].is_object())
            return error("the run request carries no scenario");
        auto part = parseScenario(request["scenario"].dump(), "the controller's scenario");
        if (!part)
            return failed(part.error());
        if (!part->hosts.empty())
            return error("a host runs the workers it is given itself; the scenario it is sent names no hosts");
        // The zmq-tcp objects whose producers run on the controller's machine: their consumers listen on this
        // host's own address, where the controller reaches it.
        RunOptions options;
        options.ownProcessGroups = true; // a Ctrl-C here is for the host, which hands the run back (serve)
        // Its workers wait until the controller says "go": every host of the run has started its part by then.
        options.startHeld = request.contains("held") && request["held"] == true;
        if (request.contains("serve")) {
            // Each: a zmq-tcp object of the part that its consumers use here and no producer here does.
            const json& serve = request["serve"];
            if (!serve.is_array() || serve.size() > part->objects.size())
                return error("\"serve\" must be a list of the part's objects");
            for (const json& entry : serve) {
                const std::string name = entry.is_object() && entry.contains("name") && entry["name"].is_string()
                    ? entry["name"].get<std::string>()
                    : std::string();
                const auto object = std::find_if(part->objects.begin(), part->objects.end(),
                    [&](const ObjectSpec& o) { return !name.empty() && o.name == name; });
                const auto uses = [&](Role role) {
                    return std::any_of(part->workers.begin(), part->workers.end(),
                        [&](const WorkerSpec& w) { return w.object == name && w.role == role; });
                };
                const std::uint32_t producers = entry.contains("producers") && entry["producers"].is_number_unsigned()
                    ? std::uint32_t(std::min<std::uint64_t>(entry["producers"].get<std::uint64_t>(), 1u << 16))
                    : 0;
                if (object == part->objects.end() || object->transport != TransportKind::ZmqTcp || !uses(Role::Consumer)
                    || uses(Role::Producer))
                    return error("\"serve\" names something that is not a zmq-tcp object whose consumers run here and "
                                 "producers elsewhere");
                options.servedObjects.push_back({ name, producers });
            }
            auto where = detail::parseTcpEndpoint(endpoint, false, "--listen");
            if (!where)
                return failed(where.error());
            // Its consumers bind this address (IPv4, or [IPv6] with ZMQ_IPV6 on their sockets).
            options.servedAddress = where->address;
        }
        log("run " + id + ": starting " + std::to_string(part->workers.size()) + " worker"
            + (part->workers.size() == 1 ? "" : "s") + " of '" + part->name + "' for a controller");
        run = std::make_unique<detail::HostRun>(id, std::move(*part), std::move(options));
        runKey = key;
        runController = routingId;
        runHeardNs = monotonicNs();
        runOrphaned = false;
        runStopAsked = false;
        return json(); // "started" or "error" comes from the run itself
    }
    if (!run || run->id() != id || runKey != key) {
        // A run that ended while its controller could not hear: its report again (the controller asks until it
        // has it). Any other: gone, so the controller stops waiting for it.
        if (id == lastRunId && key == lastRunKey && !lastRunMessage.empty())
            return json::parse(lastRunMessage);
        json gone = error("no run " + id + " of this controller on this host (it ended, or the host restarted)");
        gone["gone"] = true;
        return gone;
    }
    runController = routingId; // a controller that reconnected comes on a new connection
    runHeardNs = monotonicNs();
    if (type == "stop") {
        log("run " + id + ": stopping, as the controller asked");
        run->requestStop();
        runStopAsked = true;
    }
    if (type == "go" && run->release())
        log("run " + id + ": every host of the run has started its part; its workers go");
    if (type == "control") {
        // Applied by the run (a refusal comes back among its events); one not understood changes nothing.
        if (auto control = detail::controlFromJson(request))
            run->control(std::move(*control));
        else if (run->controlNotUnderstood()) // logged once a run
            log("run " + id + ": a control of a worker this host does not understand, ignored");
    }
    // A "leaving" the controller may have missed (sent while it reconnected) is said again until it asks to stop.
    if (type == "hello" && leaveSent && !runStopAsked)
        return leavingMessage();
    return json();
}

// Sends what the run made to its controller, stops a run whose controller went silent, and forgets a run that ended.
void HostServer::State::forwardRun(const std::function<void(const std::string&)>& log)
{
    if (!run)
        return;
    // Read before taking its messages: a run that has finished has made its last one by then.
    const bool finished = run->finished();
    for (std::string& message : run->takeMessages()) {
        runLastMessage = message;
        sendFrames(router, { runController, std::move(message) });
    }
    const std::uint64_t silence = monotonicNs() - runHeardNs;
    if (!runOrphaned && silence > std::uint64_t(RunOrphanedAfter.count())) {
        runOrphaned = true;
        const std::string why = "the controller sent nothing for " + std::to_string(silence / 1'000'000'000ull)
            + " s (it died, or the link is down): this host stopped its workers";
        log("run " + run->id() + ": " + why);
        run->requestStop(why);
        runStopAsked = true;
    }
    if (finished) {
        lastRunMessage = runLastMessage; // the report (or the error that ended it)
        lastRunId = run->id();
        lastRunKey = runKey;
        const std::uint64_t received = run->received();
        if (run->started())
            log("run " + run->id() + ": ended, objects removed; its workers here received " + std::to_string(received)
                + " message" + (received == 1 ? "" : "s"));
        else
            log("run " + run->id() + ": could not start: " + printableText(run->startError())
                + " (its controller was told); nothing is left of it");
        run.reset();
    }
}

nlohmann::json HostServer::State::leavingMessage() const
{
    return { { "type", "leaving" }, { "run", run->id() },
        { "why", "'ipclab-cli host' there was asked to stop (Ctrl-C, SIGTERM or SIGHUP)" } };
}

void HostServer::State::leave(std::uint64_t sinceNs, const std::function<void(const std::string&)>& log)
{
    const auto seconds
        = [](Duration d) { return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s"; };
    if (!stopping) {
        stopping = true;
        log(runStopAsked ? "this host is stopping once the run's report is sent"
                         : "this host is stopping; its run goes back to its controller first (or is stopped here "
                           "after "
                    + seconds(HostServer::LeaveAskWait) + "; signal again to stop without that)");
    }
    const std::uint64_t now = monotonicNs();
    if (!leaveSent && !runStopAsked && !runLastMessage.empty()) {
        // Its "started" (or "error") has gone out, so the controller knows the run this is about.
        leaveSent = true;
        sendFrames(router, { runController, leavingMessage().dump() });
        log("run " + run->id() + ": asked the controller to take the run's books back");
    } else if (!runStopAsked && now - sinceNs > std::uint64_t(HostServer::LeaveAskWait.count())) {
        const std::string why = "this host was stopped, and its controller did not ask for the run's report within "
            + seconds(HostServer::LeaveAskWait);
        log("run " + run->id() + ": " + why + "; stopping it");
        run->requestStop(why);
        runStopAsked = true;
    }
}

HostServer::HostServer(std::unique_ptr<State> state)
    : m(std::move(state))
{ }
HostServer::~HostServer() = default;

const std::string& HostServer::endpoint() const
{
    return m->endpoint;
}
const std::string& HostServer::publicKey() const
{
    return m->publicKey;
}
std::size_t HostServer::allowedKeys() const
{
    return m->allowed.size();
}

Result<std::unique_ptr<HostServer>> HostServer::listen(const HostOptions& options)
{
    auto where = detail::parseTcpEndpoint(options.listen, true, "--listen");
    if (!where)
        return where.error();
    if (isWildcard(where->address) && !options.allInterfaces)
        return makeError(ErrorCode::InvalidArgument, "--listen", options.listen,
            "That address is every interface of this machine; give the one address controllers reach this host on "
            "(see 'ip -brief address'), or add --all-interfaces if you mean it");
    auto secretKey = detail::readKeyFile(options.keyFile);
    if (!secretKey)
        return secretKey.error();
    if (options.allowFiles.empty())
        return makeError(ErrorCode::InvalidArgument, "--allow", "",
            "Name the file of the controllers' public keys (--allow FILE): a host lets in only the keys it was given");
    auto state = std::make_unique<State>();
    for (const std::string& file : options.allowFiles) {
        auto keys = detail::readPublicKeys(file);
        if (!keys)
            return keys.error();
        state->allowed.insert(keys->begin(), keys->end());
    }
    state->publicKey = detail::publicKeyOf(*secretKey);

    // The ZAP handler must be bound before the socket it judges binds (ZeroMQ asks it about every connection).
    state->zap = state->context.socket(ZMQ_REP);
    if (!state->zap || zmq_bind(state->zap, "inproc://zeromq.zap.01") != 0)
        return zmqError("zmq_bind (ZAP handler)", options.listen, errno);
    state->router = state->context.socket(ZMQ_ROUTER);
    if (!state->router)
        return zmqError("zmq_socket", options.listen, errno);
    const int server = 1;
    const std::int64_t maxBytes = detail::MaxLinkMessageBytes;
    for (Status st : { setInt(state->router, ZMQ_CURVE_SERVER, server, options.listen),
             setOption(state->router, ZMQ_CURVE_SECRETKEY, secretKey->data(), KeyChars, options.listen),
             setOption(state->router, ZMQ_ZAP_DOMAIN, ZapDomain, std::strlen(ZapDomain), options.listen),
             setInt(state->router, ZMQ_HANDSHAKE_IVL, HandshakeMs, options.listen),
             // A [bracketed] IPv6 address needs ZMQ_IPV6; an IPv4 one is left alone (with it, "0" binds
             // [::ffff:0.0.0.0] and addresses print IPv4-mapped).
             setInt(state->router, ZMQ_IPV6, where->isIpv6() ? 1 : 0, options.listen),
             // ZeroMQ's own heartbeats, so the connection of a controller that died or was cut off is dropped.
             setInt(state->router, ZMQ_HEARTBEAT_IVL, 1000, options.listen),
             setInt(state->router, ZMQ_HEARTBEAT_TIMEOUT, 3000, options.listen),
             setOption(state->router, ZMQ_MAXMSGSIZE, &maxBytes, sizeof maxBytes, options.listen) })
        if (!st)
            return st.error();
    auto monitor = detail::monitorOf(state->context, state->router, options.listen,
        ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    if (!monitor)
        return monitor.error();
    state->monitor = *monitor;
    if (zmq_bind(state->router, options.listen.c_str()) != 0) {
        const int err = errno;
        std::string hint = std::string("ZeroMQ: ") + zmq_strerror(err);
        if (err == EADDRINUSE)
            hint += ": another program listens on that port; pick another, or * for any free one";
        else if (err == EADDRNOTAVAIL)
            hint += ": that address is not one of this machine's (see 'ip -brief address')";
        else if (err == ENODEV)
            hint += ": a host listens on an IP address of this machine or an interface name (see 'ip -brief "
                    "address'); host names such as localhost are not looked up";
        else if (err == EACCES)
            hint += ": ports below 1024 need root; pick a port from 1024 up";
        const ErrorCode code = err == EADDRNOTAVAIL || err == ENODEV ? ErrorCode::InvalidArgument
            : err == EADDRINUSE                                      ? ErrorCode::AlreadyExists
                                                                     : detail::errnoToCode(err);
        return makeError(code, "zmq_bind", options.listen, hint, err);
    }
    char bound[256] = {};
    std::size_t size = sizeof bound;
    zmq_getsockopt(state->router, ZMQ_LAST_ENDPOINT, bound, &size);
    state->endpoint = bound;
    return std::unique_ptr<HostServer>(new HostServer(std::move(state)));
}

void HostServer::serve(
    const std::atomic<bool>& stop, const std::function<void(const std::string&)>& log, const std::atomic<bool>* stopNow)
{
    long failedHandshakes = 0;
    std::uint64_t lastHandshakeLogNs = 0;
    long unloggedRefusals = 0;
    std::uint64_t lastRefusalLogNs = 0;
    std::optional<std::uint64_t> leavingSinceNs; // `stop` came while a run went
    std::optional<std::uint64_t> handedBackNs; // then that run's report was sent
    constexpr std::uint64_t HandBackGraceNs = 500'000'000ull;
    for (;;) {
        // Without `stopNow` (a host inside another program) `stop` means at once, as does `stopNow` itself: the run,
        // if any, is stopped as the server is destroyed.
        if (stop.load() && !stopNow)
            break;
        if (stopNow && stopNow->load()) {
            if (m->run)
                log("run " + m->run->id()
                    + ": stopping it here without handing it back; its controller will show this host lost");
            break;
        }
        if (stop.load() && !m->run) {
            if (!leavingSinceNs)
                break; // no run to hand back
            // Its report has been sent (forwardRun). The controller asks again for a report it missed: answered for
            // a little longer, and what is still queued gets a second to go out.
            handedBackNs = handedBackNs.value_or(monotonicNs());
            if (monotonicNs() - *handedBackNs >= HandBackGraceNs) {
                (void)setInt(m->router, ZMQ_LINGER, 1000, "the host's socket");
                break;
            }
        }
        if (stop.load() && m->run) {
            leavingSinceNs = leavingSinceNs.value_or(monotonicNs());
            if (monotonicNs() - *leavingSinceNs > std::uint64_t((LeaveAskWait + RunStopWait).count())) {
                log("run " + m->run->id() + ": its stop takes too long; stopping at once");
                break;
            }
            m->leave(*leavingSinceNs, log);
        }
        zmq_pollitem_t items[3]
            = { { m->router, 0, ZMQ_POLLIN, 0 }, { m->zap, 0, ZMQ_POLLIN, 0 }, { m->monitor, 0, ZMQ_POLLIN, 0 } };
        // While a run goes, its snapshots are sent within 10 ms of being made.
        (void)zmq_poll(items, 3, m->run ? 10 : 100); // a timeout or EINTR leaves every revents 0
        m->forwardRun(log);
        if (items[1].revents & ZMQ_POLLIN) {
            // A ZAP request (rfc.zeromq.org/spec/27): version, request id, domain, address, routing id, mechanism,
            // and for CURVE the client's public key (32 bytes).
            const auto request = receiveFrames(m->zap, 0);
            // A REP socket must answer before it may read again; only libzmq writes here, but never jam it.
            if (request.size() < 6)
                sendFrames(m->zap, { "1.0", request.size() > 1 ? request[1] : "", "500", "malformed", "", "" });
            if (request.size() >= 6) {
                const bool curve = request[5] == "CURVE" && request.size() >= 7 && request[6].size() == 32;
                const std::string key
                    = curve ? z85(reinterpret_cast<const std::uint8_t*>(request[6].data())) : std::string();
                const bool allowed = curve && m->allowed.count(key) != 0;
                sendFrames(m->zap,
                    { "1.0", request[1], allowed ? "200" : "400", allowed ? "OK" : "key not allowed", key, "" });
                // Keys in quotes: Z85 has brackets and punctuation of its own, but no quotes.
                const std::string shown = curve ? "\"" + key + "\"" : "none";
                // Refusals are told at most once a second (anyone with the host's public key can try key after
                // key); the others are counted into a line of their own below.
                const std::uint64_t now = monotonicNs();
                if (!allowed && now - lastRefusalLogNs < 1'000'000'000ull) {
                    ++unloggedRefusals;
                } else if (!allowed && key == m->publicKey) {
                    lastRefusalLogNs = now;
                    log("refused a controller from " + request[3]
                        + ": it used this host's own key pair; a controller needs a key pair of its own");
                } else {
                    lastRefusalLogNs = allowed ? lastRefusalLogNs : now;
                    log(std::string(allowed ? "let in" : "refused") + " a controller from " + request[3] + " (key "
                        + shown + (allowed ? ")" : ", not in the --allow files)"));
                }
            }
        }
        if (unloggedRefusals > 0 && monotonicNs() - lastRefusalLogNs >= 1'000'000'000ull) {
            log(std::to_string(unloggedRefusals) + " more controller" + (unloggedRefusals == 1 ? "" : "s")
                + " refused (keys not in the --allow files)");
            unloggedRefusals = 0;
            lastRefusalLogNs = monotonicNs();
        }
        if (items[2].revents & ZMQ_POLLIN) {
            for (const MonitorEvent& e : detail::readMonitor(m->monitor))
                failedHandshakes += e.id != ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
        }
        // At most one line a second about them: a client with the wrong key retries many times a second.
        if (failedHandshakes > 0 && monotonicNs() - lastHandshakeLogNs >= 1'000'000'000ull) {
            log(std::to_string(failedHandshakes) + " connection" + (failedHandshakes == 1 ? "" : "s")
                + " failed the CURVE handshake (the client does not know this host's public key, or is not IPC "
                  "Lab)");
            failedHandshakes = 0;
            lastHandshakeLogNs = monotonicNs();
        }
        if (items[0].revents & ZMQ_POLLIN) {
            std::string controllerKey; // the ZAP handler's user id: the controller's public key
            auto frames = receiveFrames(m->router, ZMQ_DONTWAIT, &controllerKey);
            if (frames.size() != 2)
                continue; // a DEALER sends one frame; the ROUTER puts the routing id before it
            if (!detail::nestedWithin(frames[1], detail::MaxLinkNesting)) {
                sendFrames(m->router, { frames[0], R"({"type":"error","message":"nested too deeply"})" });
                continue;
            }
            // Types are checked before use: nlohmann's value() throws on a field of another type, and one message
            // from a let-in controller must not end the host.
            nlohmann::json answer = { { "type", "error" }, { "message", "not a request this host knows" } };
            const auto request = nlohmann::json::parse(frames[1], nullptr, false);
            const auto field = [&](const char* name) {
                return request.is_object() && request.contains(name) ? request[name] : nlohmann::json();
            };
            const bool aboutRun = field("run").is_string()
                && (field("type") == "run" || field("type") == "go" || field("type") == "stop"
                    || field("type") == "control" || field("type") == "hello");
            if (aboutRun) {
                answer = m->answerRun(request, frames[0], controllerKey, log);
                // A hello gets its own answer below; what it asked about the run goes first.
                if (field("type") == "hello" && !answer.is_null())
                    sendFrames(m->router, { frames[0], answer.dump() });
                if (field("type") == "hello")
                    answer = nlohmann::json();
            }
            if (field("type") == "hello" && field("seq").is_number_integer())
                answer = { { "type", "hello" }, { "seq", field("seq") }, { "host", hostName() },
                    { "pid", long(getpid()) }, { "version", versionString() }, { "monotonic_ns", monotonicNs() } };
            if (answer.is_null())
                continue;
            frames[1] = answer.dump();
            sendFrames(m->router, frames);
        }
    }
}

} // namespace ipccore
