// The link between a controller and a worker host (see host.h): CURVE over tcp://, the host a ROUTER that lets in
// only known controller keys (its ZAP handler), the controller a DEALER. ZeroMQ's guide, chapter 5 ("Ironhouse"),
// is the pattern: both sides have key pairs, the client must know the server's public key, and the server checks
// the client's public key against a list.

#include "ipccore/host.h"

#include "ipccore/version.h"
#include "key_files.h"
#include "sys_error.h"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <set>

namespace ipccore {

namespace {

using detail::KeyChars;
using detail::makeError;

// A request or answer on the link is a small JSON object; anything larger is a stranger's or a bug.
constexpr std::int64_t MaxLinkMessageBytes = 64 * 1024;
// How long the host gives a connection to finish the CURVE handshake.
constexpr int HandshakeMs = 2000;
// The ZAP domain the host's sockets name (ZeroMQ requires one for its handler to be asked about every connection).
constexpr const char* ZapDomain = "ipclab-host";

Error zmqError(const char* operation, const std::string& object, int err, std::string hint = {})
{
    if (hint.empty())
        hint = std::string("ZeroMQ: ") + zmq_strerror(err);
    return makeError(detail::errnoToCode(err), operation, object, hint, err);
}

// A context and the sockets made in it, closed sockets first (their linger is 0) and then the context.
class ZmqContext {
public:
    ZmqContext()
        : m_context(zmq_ctx_new())
    { }
    ZmqContext(const ZmqContext&) = delete;
    ZmqContext& operator=(const ZmqContext&) = delete;
    ~ZmqContext()
    {
        for (void* s : m_sockets)
            zmq_close(s);
        while (m_context && zmq_ctx_term(m_context) != 0 && errno == EINTR) { }
    }
    // A socket that closes at once, dropping what it queued (the link's messages are requests and answers, and a
    // lost one is asked again).
    void* socket(int type)
    {
        if (!m_context)
            return nullptr;
        void* s = zmq_socket(m_context, type);
        if (s) {
            const int zero = 0;
            zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
            m_sockets.push_back(s);
        }
        return s;
    }

private:
    void* m_context;
    std::vector<void*> m_sockets;
};

Status setOption(void* socket, int option, const void* value, std::size_t size, const std::string& object)
{
    if (zmq_setsockopt(socket, option, value, size) != 0)
        return zmqError("zmq_setsockopt", object, errno);
    return {};
}
Status setInt(void* socket, int option, int value, const std::string& object)
{
    return setOption(socket, option, &value, sizeof value, object);
}

// Every frame of the next message on `socket`, or nothing when none is waiting (ZMQ_DONTWAIT) or it failed.
std::vector<std::string> receiveFrames(void* socket, int flags)
{
    std::vector<std::string> frames;
    for (;;) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, socket, frames.empty() ? flags : 0) < 0) {
            zmq_msg_close(&part);
            return {};
        }
        frames.emplace_back(static_cast<const char*>(zmq_msg_data(&part)), zmq_msg_size(&part));
        const bool more = zmq_msg_more(&part);
        zmq_msg_close(&part);
        if (!more)
            return frames;
    }
}

bool sendFrames(void* socket, const std::vector<std::string>& frames)
{
    for (std::size_t i = 0; i < frames.size(); ++i)
        if (zmq_send(socket, frames[i].data(), frames[i].size(), i + 1 < frames.size() ? ZMQ_SNDMORE : 0) < 0)
            return false;
    return true;
}

// One monitor event: its id (ZMQ_EVENT_*) and value (a descriptor, an errno or a ZAP status code).
struct MonitorEvent {
    std::uint16_t id = 0;
    std::uint32_t value = 0;
};
std::vector<MonitorEvent> readMonitor(void* monitor)
{
    std::vector<MonitorEvent> events;
    for (auto frames = receiveFrames(monitor, ZMQ_DONTWAIT); !frames.empty();
         frames = receiveFrames(monitor, ZMQ_DONTWAIT)) {
        MonitorEvent e;
        if (frames[0].size() >= sizeof e.id + sizeof e.value) {
            std::memcpy(&e.id, frames[0].data(), sizeof e.id);
            std::memcpy(&e.value, frames[0].data() + sizeof e.id, sizeof e.value);
            events.push_back(e);
        }
    }
    return events;
}

Result<void*> monitorOf(ZmqContext& context, void* socket, const std::string& name, int events)
{
    const std::string inproc = "inproc://ipclab-host-monitor";
    if (zmq_socket_monitor(socket, inproc.c_str(), events) != 0)
        return zmqError("zmq_socket_monitor", name, errno);
    void* monitor = context.socket(ZMQ_PAIR);
    if (!monitor || zmq_connect(monitor, inproc.c_str()) != 0)
        return zmqError("zmq_connect (monitor)", name, errno);
    return monitor;
}

// The parts of "tcp://ADDRESS:PORT": ADDRESS as written (an IPv4 address, a [bracketed] IPv6 one, a host or
// interface name) and PORT (digits, or "*" when `anyPort`). Nothing else: libzmq would read "tcp://a;b" as a
// source and a destination.
struct TcpEndpoint {
    std::string address;
    std::string port;
};
Result<TcpEndpoint> parseTcpEndpoint(const std::string& text, bool anyPort, const char* option)
{
    const std::string example = std::string(" (for example ") + option + " tcp://192.168.1.20:5555)";
    constexpr std::string_view Scheme = "tcp://";
    const auto colon = text.rfind(':');
    if (!text.starts_with(Scheme) || colon == std::string::npos || colon < Scheme.size())
        return makeError(ErrorCode::InvalidArgument, option, text, "Give a tcp://ADDRESS:PORT endpoint" + example);
    TcpEndpoint e { text.substr(Scheme.size(), colon - Scheme.size()), text.substr(colon + 1) };
    const bool addressOk
        = !e.address.empty() && e.address.size() <= 255 && std::all_of(e.address.begin(), e.address.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == ':'
                  || c == '[' || c == ']' || c == '*';
          });
    if (!addressOk)
        return makeError(ErrorCode::InvalidArgument, option, text,
            "The address may be an IP address, a [bracketed] IPv6 address or a host name" + example);
    bool portOk = e.port == "*" ? anyPort : !e.port.empty() && e.port.size() <= 5;
    if (e.port != "*") {
        long port = 0;
        for (char c : e.port) {
            portOk = portOk && c >= '0' && c <= '9';
            port = port * 10 + (c - '0');
        }
        portOk = portOk && port >= 1 && port <= 65535;
    }
    if (!portOk)
        return makeError(ErrorCode::InvalidArgument, option, text,
            std::string("The port must be a number from 1 to 65535") + (anyPort ? " or * (any free port)" : "")
                + example);
    return e;
}

bool isWildcard(const std::string& address)
{
    return address == "*" || address == "0.0.0.0" || address == "[::]" || address == "::" || address == "[::0]";
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

std::string publicKeyOf(const std::string& secretKey)
{
    char publicKey[KeyChars + 1] = {};
    zmq_curve_public(publicKey, secretKey.c_str());
    return publicKey;
}

std::string shortKey(const std::string& key)
{
    return key.substr(0, 8) + "…";
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
    ZmqContext context; // first, so it is destroyed last
    void* router = nullptr;
    void* zap = nullptr;
    void* monitor = nullptr;
    std::string endpoint;
    std::string publicKey;
    std::set<std::string> allowed; // Z85
};

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
    auto where = parseTcpEndpoint(options.listen, true, "--listen");
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
    state->publicKey = publicKeyOf(*secretKey);

    // The ZAP handler must be bound before the socket it judges binds (ZeroMQ asks it about every connection).
    state->zap = state->context.socket(ZMQ_REP);
    if (!state->zap || zmq_bind(state->zap, "inproc://zeromq.zap.01") != 0)
        return zmqError("zmq_bind (ZAP handler)", options.listen, errno);
    state->router = state->context.socket(ZMQ_ROUTER);
    if (!state->router)
        return zmqError("zmq_socket", options.listen, errno);
    const int server = 1;
    const std::int64_t maxBytes = MaxLinkMessageBytes;
    for (Status st : { setInt(state->router, ZMQ_CURVE_SERVER, server, options.listen),
             setOption(state->router, ZMQ_CURVE_SECRETKEY, secretKey->data(), KeyChars, options.listen),
             setOption(state->router, ZMQ_ZAP_DOMAIN, ZapDomain, std::strlen(ZapDomain), options.listen),
             setInt(state->router, ZMQ_HANDSHAKE_IVL, HandshakeMs, options.listen),
             setOption(state->router, ZMQ_MAXMSGSIZE, &maxBytes, sizeof maxBytes, options.listen) })
        if (!st)
            return st.error();
    auto monitor = monitorOf(state->context, state->router, options.listen,
        ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    if (!monitor)
        return monitor.error();
    state->monitor = *monitor;
    if (zmq_bind(state->router, options.listen.c_str()) != 0) {
        const int err = errno;
        std::string hint = std::string("ZeroMQ: ") + zmq_strerror(err);
        if (err == EADDRINUSE)
            hint += ": another program listens on that port; pick another, or * for any free one";
        else if (err == EADDRNOTAVAIL || err == ENODEV)
            hint += ": that address is not one of this machine's (see 'ip -brief address')";
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

void HostServer::serve(const std::atomic<bool>& stop, const std::function<void(const std::string&)>& log)
{
    long failedHandshakes = 0;
    std::uint64_t lastHandshakeLogNs = 0;
    while (!stop.load()) {
        zmq_pollitem_t items[3]
            = { { m->router, 0, ZMQ_POLLIN, 0 }, { m->zap, 0, ZMQ_POLLIN, 0 }, { m->monitor, 0, ZMQ_POLLIN, 0 } };
        (void)zmq_poll(items, 3, 100); // a timeout or EINTR leaves every revents 0
        if (items[1].revents & ZMQ_POLLIN) {
            // A ZAP request (rfc.zeromq.org/spec/27): version, request id, domain, address, routing id, mechanism,
            // and for CURVE the client's public key (32 bytes).
            const auto request = receiveFrames(m->zap, 0);
            if (request.size() >= 6) {
                const bool curve = request[5] == "CURVE" && request.size() >= 7 && request[6].size() == 32;
                const std::string key
                    = curve ? z85(reinterpret_cast<const std::uint8_t*>(request[6].data())) : std::string();
                const bool allowed = curve && m->allowed.count(key) != 0;
                sendFrames(m->zap,
                    { "1.0", request[1], allowed ? "200" : "400", allowed ? "OK" : "key not allowed", key, "" });
                log(std::string(allowed ? "let in" : "refused") + " a controller from " + request[3] + " (key "
                    + (curve ? key : "none") + (allowed ? ")" : ", not in the --allow files)"));
            }
        }
        if (items[2].revents & ZMQ_POLLIN) {
            for (const MonitorEvent& e : readMonitor(m->monitor))
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
            auto frames = receiveFrames(m->router, ZMQ_DONTWAIT);
            if (frames.size() != 2)
                continue; // a DEALER sends one frame; the ROUTER puts the routing id before it
            nlohmann::json answer;
            const auto request = nlohmann::json::parse(frames[1], nullptr, false);
            if (request.is_object() && request.value("type", "") == "hello") {
                answer = { { "type", "hello" }, { "seq", request.value("seq", 0) }, { "host", hostName() },
                    { "pid", long(getpid()) }, { "version", versionString() }, { "monotonic_ns", monotonicNs() } };
            } else {
                answer = { { "type", "error" }, { "message", "not a request this host knows" } };
            }
            frames[1] = answer.dump();
            sendFrames(m->router, frames);
        }
    }
}

Result<PingResult> pingHost(const PingOptions& options)
{
    if (auto where = parseTcpEndpoint(options.endpoint, false, "--ping"); !where)
        return where.error();
    if (options.count < 1 || options.count > 1000)
        return makeError(
            ErrorCode::InvalidArgument, "--count", std::to_string(options.count), "Give from 1 to 1000 round trips");
    auto secretKey = detail::readKeyFile(options.keyFile);
    if (!secretKey)
        return secretKey.error();
    auto hostKeys = detail::readPublicKeys(options.hostKeyFile);
    if (!hostKeys)
        return hostKeys.error();
    if (hostKeys->size() != 1)
        return makeError(ErrorCode::InvalidArgument, "--host-key", options.hostKeyFile,
            "Give the file with the host's one public key (the .pub file its --keygen wrote)");

    ZmqContext context;
    void* dealer = context.socket(ZMQ_DEALER);
    if (!dealer)
        return zmqError("zmq_socket", options.endpoint, errno);
    const std::string ownPublic = publicKeyOf(*secretKey);
    const std::int64_t maxBytes = MaxLinkMessageBytes;
    for (Status st : { setOption(dealer, ZMQ_CURVE_SERVERKEY, hostKeys->front().data(), KeyChars, options.endpoint),
             setOption(dealer, ZMQ_CURVE_PUBLICKEY, ownPublic.data(), KeyChars, options.endpoint),
             setOption(dealer, ZMQ_CURVE_SECRETKEY, secretKey->data(), KeyChars, options.endpoint),
             setOption(dealer, ZMQ_MAXMSGSIZE, &maxBytes, sizeof maxBytes, options.endpoint) })
        if (!st)
            return st.error();
    auto monitor = monitorOf(context, dealer, options.endpoint,
        ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
            | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_DISCONNECTED);
    if (!monitor)
        return monitor.error();
    if (zmq_connect(dealer, options.endpoint.c_str()) != 0)
        return zmqError("zmq_connect", options.endpoint, errno);

    // What the connection went through, for the message when no answer comes.
    bool connected = false;
    bool handshaken = false;
    bool refusedKey = false;
    bool handshakeFailed = false;
    const auto noteEvents = [&] {
        for (const MonitorEvent& e : readMonitor(*monitor)) {
            connected = connected || e.id == ZMQ_EVENT_CONNECTED;
            handshaken = handshaken || e.id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
            refusedKey = refusedKey || e.id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
            handshakeFailed = handshakeFailed || e.id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                || e.id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL || (e.id == ZMQ_EVENT_DISCONNECTED && !handshaken);
        }
    };
    const std::int64_t timeoutNs = options.timeout.count();
    PingResult result;
    double fastestUs = -1;
    for (int seq = 1; seq <= options.count; ++seq) {
        const std::string request = nlohmann::json { { "type", "hello" }, { "seq", seq } }.dump();
        const std::uint64_t t0 = monotonicNs();
        // A DEALER queues the request until the handshake is done (it never drops it for want of a connection).
        if (zmq_send(dealer, request.data(), request.size(), 0) < 0)
            return zmqError("zmq_send", options.endpoint, errno);
        std::vector<std::string> answer;
        while (answer.empty()) {
            const std::int64_t left = timeoutNs - std::int64_t(monotonicNs() - t0);
            if (left <= 0)
                break;
            zmq_pollitem_t items[2] = { { dealer, 0, ZMQ_POLLIN, 0 }, { *monitor, 0, ZMQ_POLLIN, 0 } };
            zmq_poll(items, 2, long(std::max<std::int64_t>(1, left / 1'000'000)));
            noteEvents();
            if (handshakeFailed && !handshaken && !refusedKey)
                break; // the host hung up on the handshake: another try would fail the same way
            if (refusedKey)
                return makeError(ErrorCode::PermissionDenied, "connect", options.endpoint,
                    "The host refused this controller's key (" + shortKey(ownPublic)
                        + "): add this controller's .pub file to a file the host reads with --allow, and start the "
                          "host again");
            answer = receiveFrames(dealer, ZMQ_DONTWAIT);
        }
        const std::uint64_t t1 = monotonicNs();
        if (answer.empty()) {
            if (handshakeFailed && !handshaken)
                return makeError(ErrorCode::PermissionDenied, "connect", options.endpoint,
                    "The host hung up during the CURVE handshake: " + options.hostKeyFile
                        + " is not that host's public key (take the .pub file of the key it runs with), or it is not "
                          "an IPC Lab host");
            if (!connected)
                return makeError(ErrorCode::TimedOut, "connect", options.endpoint,
                    "Nothing answers there (no connection was made): check that 'ipclab-cli host --listen' runs on "
                    "that machine, the address and port, and any firewall between");
            return makeError(ErrorCode::TimedOut, "receive", options.endpoint,
                "The host let this controller in but did not answer within the timeout; the link or the host is "
                "overloaded");
        }
        const auto json = nlohmann::json::parse(answer.front(), nullptr, false);
        if (!json.is_object() || json.value("type", "") != "hello" || json.value("seq", 0) != seq
            || !json.contains("monotonic_ns") || !json["monotonic_ns"].is_number_unsigned())
            return makeError(ErrorCode::Corrupt, "receive", options.endpoint,
                "The host's answer is not what an IPC Lab host of this version sends; run the same version on both "
                "sides");
        const std::uint64_t hostNs = json["monotonic_ns"].get<std::uint64_t>();
        const double tripUs = double(t1 - t0) / 1000.0;
        result.roundTripsUs.push_back(tripUs);
        if (fastestUs < 0 || tripUs < fastestUs) {
            fastestUs = tripUs;
            // Signed arithmetic on the halves, so neither sum overflows.
            result.offsetNs = std::int64_t(hostNs) - std::int64_t(t0 / 2 + t1 / 2);
            result.errorNs = std::int64_t((t1 - t0) / 2 + 1); // +1: the halves above were rounded down
            result.hello = { json.value("host", ""), json.value("pid", 0L), json.value("version", ""), hostNs };
        }
    }
    return result;
}

} // namespace ipccore
