// ZeroMQ (libzmq) PUSH/PULL, the pipeline pattern of ZeroMQ's guide ("ventilator, workers, sink") at its sink: the
// consumer binds a PULL socket and every producer connects a PUSH socket to it. With several consumers each binds an
// endpoint of its own (the object's path for the first, "<path>.1", "<path>.2" ... after it: zmqEndpointPath), every
// producer connects to all of them, and PUSH deals its messages round-robin among those that have room. Two rows of
// the transport table (and two more for the broadcast, PUB/SUB, below):
//  - zmq, over ipc://: the socket is at "<run folder>/<object>.zmq". The path is in the run's private folder (0700,
//    made by this run), so nobody else can plant a file there for ZeroMQ's bind to replace.
//  - zmq-tcp, over tcp:// on 127.0.0.1, as between hosts. The consumer binds a port the kernel picks and publishes
//    its endpoint ("tcp://127.0.0.1:PORT") in the file "<run folder>/<object>.zmq"; producers connect when it
//    appears. Any local user can reach a loopback port, so both sides use CURVE: the runner makes a key pair for
//    the object, its secret key for the consumer ("<object>.zmq.key") and its public key for the producers
//    ("<object>.zmq.pub"), both 0600 in the run's private folder. The consumer is the CURVE server, and a client
//    must know the server's public key to finish the handshake; nothing outside the run's folder holds it, so a
//    stranger is refused, and a process that took the port could not pose as the consumer. (Clients' own keys are
//    not checked: that would take a ZAP handler; knowing the public key is the proof.)
//  - zmq-tcp between machines: its consumers on one worker host or several, its producers on the controller's
//    machine. Each host's runner makes a key pair as above for its consumers, and they bind the host's own address
//    (the one its --listen names, ChannelAddress::bindAddress) instead of 127.0.0.1. As each binds, the host sends
//    its port, and the public key, to the controller with its snapshots (ChannelObject::reach; the link between
//    them is CURVE-encrypted and authenticated), and the controller's runner writes them into its own run folder
//    for its producers (publishReach): for each consumer its host's key ("<endpoint>.pub", serverKeyPathOf), then
//    the endpoint file they poll for. The secret keys never leave their hosts.
//  - zmq or zmq-tcp that programs' request and serve steps use (a Manager's requests and replies, ZeroMQ's
//    DEALER/ROUTER): the server binds a ROUTER where the first consumer would bind, each client connects a DEALER to
//    it, and a reply goes back on the connection its request came on (ZmqRequests, openZmqRequests). Over tcp:// the
//    server is the CURVE server and publishes its port as a consumer does, and a client connects when it appears,
//    as a producer does. Nothing else may use such an object (scenario validation), and its depth is the requests
//    and replies sent less those received.
//
// Where messages wait, and how the ledger counts them:
//  - in the producer's ZeroMQ queue (up to ZMQ_SNDHWM = capacity), the kernel's socket buffer and the consumer's
//    queue (up to ZMQ_RCVHWM = capacity). None of these can be seen from outside the two processes, so the runner
//    shows the object's depth as sent - received from the workers' own counters (TransportTraits::
//    depthFromCounters).
//  - libzmq stops reading a connection while the consumer's queue is at its high-water mark, and if the producer
//    hangs up meanwhile, it drops what the kernel still holds for that connection. So nothing may hang up with
//    messages in flight. At a stop the runner holds the producers at their pause gate, sockets open, until the
//    consumer has received what they sent (Runner's settleCountedObjects); a producer that ends by itself (its
//    count sent) waits until its connections have been read (~ZmqProducer). Then it closes, with a linger for
//    what ZeroMQ still queues, and the consumer takes what reached it until every connection has closed (it
//    watches them with zmq_socket_monitor). Within those waits (2 s and 3 s) the ledger balances exactly.
//  - A killed worker takes its ZeroMQ queue with it (and a killed consumer its connections' kernel buffers), and
//    ZMQ_IMMEDIATE drops what a producer queued toward a consumer that died: ZeroMQ loses them, and the ledger
//    counts them as died with the killed workers within zmqMostLostWithKilled, lost beyond it.
//  - zmq-pub, PUB/SUB over ipc:// (a broadcast): the same layout, with SUB sockets bound where the PULL sockets
//    were and producers' XPUB sockets connected to every one. A SUB drops nothing (libzmq stops reading a
//    connection at its high-water mark, as PULL does), but a PUB drops a message for a subscriber whose queue is
//    full, so producers use XPUB with ZMQ_XPUB_NODROP: its send waits instead, as PUSH's does. A PUB also drops
//    what it sends before a subscriber's subscription has reached it ("slow joiner"), so each producer first waits
//    for one subscription from each consumer (ZMQ_XPUB_VERBOSE passes each on, even when identical): besides
//    everything (""), each subscriber subscribes to a topic naming its endpoint (subscriberTopic), so the producer
//    knows whose subscription came; one that has ended (the runner says so, WaitHooks::consumerEnded) is not
//    waited for. Then every message reaches every live subscriber once; the ledger counts in copies
//    (TransportTraits::broadcast, the runner's ledgerFor). A subscriber that dies drops out of every producer's
//    fan-out: the copies that were in its queue and connections die with it (zmqMostLostWithKilled), and the later
//    ones were never its.
//  - zmq-pub-tcp: the same broadcast over tcp:// as zmq-tcp has it (TransportTraits::tcp): each subscriber is a
//    CURVE server bound to a port of 127.0.0.1 and publishes it, and each producer's XPUB connects to a subscriber
//    when its endpoint appears and then waits for its subscription as over ipc://. On one machine only so far.
//  - Over ipc://, zmq_bind replaces whatever is at its path. That is safe only because the path is in the run's
//    private folder (0700, made by this run), and because each consumer binds a path of its own, so no second bind
//    takes a path over (a consumer that takes the place of a dead one binds the dead one's path, on purpose).

#include "channel_family.h"
#include "host_wire.h"
#include "key_files.h"

#include "ipccore/framing.h"
#include "ipccore/stream.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>

namespace ipccore {

namespace {

using detail::stopped;

// How long a producer's close waits for its queued messages to reach the consumer. The consumer is still running
// when producers stop, so this is reached only when it is paused or dead.
constexpr int ProducerLingerMs = 1000;
// How long a producer's close waits for the consumer to read what its connections hold (~ZmqProducer).
constexpr std::uint64_t CloseWaitNs = 3'000'000'000ull;
// How long a consumer keeps collecting at a stop while connections are still open.
constexpr std::uint64_t DrainLimitNs = 2'000'000'000ull;
// How often a consumer reads its monitor's events (connections made and closed).
constexpr std::uint64_t MonitorReadNs = 1'000'000'000ull;
// The longest a zmq-tcp producer goes between looks for a consumer's endpoint that is not published yet.
constexpr std::uint64_t PublishPollNs = 10'000'000ull;

// zmq-tcp and zmq-pub-tcp: ports published in the run's folder, CURVE keys made for the object.
bool overTcp(const ChannelAddress& a)
{
    return traits(a.transport).tcp;
}

int sliceMs(Duration d)
{
    return int(std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(d).count()));
}

// The keys of a zmq-tcp object's CURVE server, in Z85: the secret one for the consumer, the public one for the
// producers, each in a file of its own (key_files.h).
using detail::KeyChars;

std::string secretKeyPathOf(const std::string& path)
{
    return path + ".key";
}
std::string publicKeyPathOf(const std::string& path)
{
    return path + ".pub";
}
// Where a zmq-tcp consumer writes its endpoint before renaming it to the object's path, so a producer never reads
// half of it.
std::string unpublishedPathOf(const std::string& path)
{
    return path + ".new";
}

using detail::readOwnFile;
using detail::writeNewFile;

// The endpoint consumer `index` of an object binds: over ipc:// the socket's path, over tcp:// the file it publishes
// its endpoint in. The object's own path for the first consumer, "<path>.<index>" for the others.
std::string zmqEndpointPath(const ChannelAddress& a, std::uint32_t index)
{
    return index == 0 ? a.name : a.name + "." + std::to_string(index);
}

// A broadcast (zmq-pub, zmq-pub-tcp): the topic a subscriber subscribes to besides everything, naming its endpoint's
// index, so that a producer knows whose subscription came in (ZmqProducer::takeSubscriptions). Subscribed to
// everything, it receives each message once, whatever the message begins with.
constexpr std::string_view SubscriberTopicPrefix = "\xffipclab-subscriber-";
std::string subscriberTopic(std::uint32_t index)
{
    return std::string(SubscriberTopicPrefix) + std::to_string(index);
}
std::optional<std::uint32_t> subscriberOfTopic(std::string_view topic)
{
    if (!topic.starts_with(SubscriberTopicPrefix))
        return std::nullopt;
    topic.remove_prefix(SubscriberTopicPrefix.size());
    std::uint32_t index = 0;
    const auto [end, ec] = std::from_chars(topic.data(), topic.data() + topic.size(), index);
    if (ec != std::errc() || end != topic.data() + topic.size())
        return std::nullopt;
    return index;
}

// The CURVE public key a producer connects to consumer `index` with: the object's, which its consumers share; but
// on the producers' side between machines, where each host makes its consumers' key pair (consumers of one object
// on two hosts have two keys), the key of each consumer's host, written beside its endpoint (publishReach): the
// first one's is the object's path.
std::string serverKeyPathOf(const ChannelAddress& a, std::uint32_t index)
{
    return publicKeyPathOf(a.consumerElsewhere ? zmqEndpointPath(a, index) : a.name);
}

// A zmq-tcp endpoint as a consumer publishes it: "tcp://ADDRESS:PORT" with one port, nothing before or after
// (libzmq would read "tcp://a;b" as a source and a destination).
bool isPublishedEndpoint(const std::string& endpoint)
{
    auto e = detail::parseTcpEndpoint(endpoint, false, "endpoint");
    return e && e->address.find('*') == std::string::npos;
}

// The published endpoint, checked; NotFound while the consumer has not published it yet.
Result<std::string> readEndpoint(const std::string& file)
{
    auto endpoint = readOwnFile(file, 300);
    if (endpoint && !isPublishedEndpoint(*endpoint))
        return detail::makeError(
            ErrorCode::Corrupt, "read", file, "Not an endpoint the consumer wrote (tcp://ADDRESS:PORT)");
    return endpoint;
}

// Writes `endpoint` beside the object's path, then renames it into place, so a producer reads all of it or nothing.
Status publishEndpoint(const std::string& path, const std::string& endpoint)
{
    const std::string unpublished = unpublishedPathOf(path);
    (void)::unlink(unpublished.c_str()); // left by a consumer that died here
    if (Status st = writeNewFile(unpublished, endpoint); !st)
        return st;
    if (::rename(unpublished.c_str(), path.c_str()) != 0)
        return detail::sysError("rename", path, errno);
    return {};
}

Error zmqError(const char* operation, const std::string& object, int err)
{
    std::string hint = std::string("ZeroMQ: ") + zmq_strerror(err);
    if (err == ENAMETOOLONG)
        hint += ". An ipc:// path may have at most 107 bytes: use a shorter object name or run folder";
    return detail::makeError(detail::errnoToCode(err), operation, object, hint, err);
}

// One message from `socket` into buffer, 0 when none came (at once with ZMQ_DONTWAIT, or within the receive
// timeout). `name` is the object's, for errors.
Result<std::size_t> receiveMessage(void* socket, const std::string& name, std::span<std::byte> buffer, int flags)
{
    for (;;) {
        const int n = zmq_recv(socket, buffer.data(), buffer.size(), flags);
        if (n == 0) // no frame is empty: say so, rather than take it for "nothing yet"
            return detail::makeError(ErrorCode::Corrupt, "zmq_recv", name,
                "An empty message; every message here is a frame of at least its 32-byte header");
        if (n > 0) {
            // ZMQ_MAXMSGSIZE drops a connection that sends more than the channel's largest frame (over ipc://;
            // over tcp:// it leaves room for CURVE's handshake, see maxMessageSize), and this catches the rest.
            if (std::size_t(n) > buffer.size())
                return detail::makeError(ErrorCode::Corrupt, "zmq_recv", name,
                    "A message of " + std::to_string(n) + " bytes is larger than the channel's "
                        + std::to_string(buffer.size()) + "-byte frames");
            return std::size_t(n);
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return std::size_t(0);
        return zmqError("zmq_recv", name, errno);
    }
}

// One ZeroMQ context with one socket, closed in the right order: the socket first (its linger then applies),
// then the context, whose termination waits for that linger.
class ZmqSocket {
public:
    ZmqSocket() = default;
    ZmqSocket(const ZmqSocket&) = delete;
    ZmqSocket& operator=(const ZmqSocket&) = delete;
    ~ZmqSocket()
    {
        if (m_monitor)
            zmq_close(m_monitor);
        if (m_socket)
            zmq_close(m_socket);
        // Retried: a signal (SIGTERM, SIGCONT) would otherwise cut a producer's linger short.
        while (m_context && zmq_ctx_term(m_context) != 0 && errno == EINTR) { }
    }

    Status open(int type, const std::string& name)
    {
        m_name = name;
        m_context = zmq_ctx_new();
        if (!m_context)
            return zmqError("zmq_ctx_new", name, errno);
        m_socket = zmq_socket(m_context, type);
        if (!m_socket)
            return zmqError("zmq_socket", name, errno);
        return {};
    }
    // An option: an int, a 64-bit int, or bytes (a key in Z85, its 40 characters without the terminating zero; a
    // topic).
    Status set(int option, int value) { return setRaw(option, &value, sizeof value); }
    Status set(int option, std::int64_t value) { return setRaw(option, &value, sizeof value); }
    Status set(int option, const std::string& z85) { return setRaw(option, z85.data(), z85.size()); }
    // A send or receive timeout, set only when it changes.
    Status setTimeout(int option, int ms)
    {
        int& current = option == ZMQ_SNDTIMEO ? m_sendTimeoutMs : m_receiveTimeoutMs;
        if (current == ms)
            return {};
        current = ms;
        return set(option, ms);
    }
    // Watches the socket's connections being made (accepted by a bound socket, connected by a connecting one), their
    // handshakes done, and closed; see peers(), connections() and disconnections().
    Status watchConnections()
    {
        const std::string inproc = "inproc://ipclab-connections";
        if (zmq_socket_monitor(m_socket, inproc.c_str(),
                ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED)
            != 0)
            return zmqError("zmq_socket_monitor", m_name, errno);
        m_monitor = zmq_socket(m_context, ZMQ_PAIR);
        // No high-water mark: a producer reads its events only when it closes, and libzmq's I/O thread would block
        // on a full monitor pipe (after a thousand reconnections).
        const int unlimited = 0;
        if (!m_monitor || zmq_setsockopt(m_monitor, ZMQ_RCVHWM, &unlimited, sizeof unlimited) != 0
            || zmq_connect(m_monitor, inproc.c_str()) != 0)
            return zmqError("zmq_connect (monitor)", m_name, errno);
        return {};
    }
    // Connections open now, after reading every event the monitor has queued.
    int peers()
    {
        readEvents();
        return int(m_fds.size());
    }
    // The descriptors of the connections open now (each event's value is the connection's descriptor).
    const std::vector<int>& connections()
    {
        readEvents();
        return m_fds;
    }
    void readEvents()
    {
        for (;;) {
            zmq_msg_t event;
            zmq_msg_init(&event);
            if (zmq_msg_recv(&event, m_monitor, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&event);
                return;
            }
            std::uint16_t id = 0;
            std::uint32_t value = 0;
            if (zmq_msg_size(&event) >= sizeof id + sizeof value) {
                std::memcpy(&id, zmq_msg_data(&event), sizeof id);
                std::memcpy(&value, static_cast<const char*>(zmq_msg_data(&event)) + sizeof id, sizeof value);
            }
            const bool more = zmq_msg_more(&event);
            zmq_msg_close(&event);
            if (more) { // the second frame names the endpoint
                zmq_msg_t address;
                zmq_msg_init(&address);
                (void)zmq_msg_recv(&address, m_monitor, 0);
                zmq_msg_close(&address);
            }
            const int fd = int(value);
            const auto known = std::find(m_fds.begin(), m_fds.end(), fd);
            if ((id == ZMQ_EVENT_ACCEPTED || id == ZMQ_EVENT_CONNECTED) && known == m_fds.end())
                m_fds.push_back(fd);
            else if (id == ZMQ_EVENT_DISCONNECTED && known != m_fds.end())
                m_fds.erase(known);
            // A handshake's event carries no descriptor: counted as a whole, which is exact for a socket with one
            // connection at a time (a client's DEALER, the only one that asks).
            m_handshakes += id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
            if (id == ZMQ_EVENT_DISCONNECTED && m_handshakes > m_disconnections)
                ++m_disconnections;
        }
    }
    // How many connections that had finished their handshake have closed so far, after reading every event the
    // monitor has queued. A connection closed in its handshake (a peer that stalled past ZMQ_HANDSHAKE_IVL, over
    // tcp://) carried no message, so it is not counted: a request sent on the connection made after it would
    // otherwise take that closing for its server's (ZmqRequests::receive).
    std::uint64_t disconnections()
    {
        readEvents();
        return m_disconnections;
    }
    // Waits until the socket can do `events` (ZMQ_POLLIN, ZMQ_POLLOUT) or the monitor has news, at most `ms`.
    void wait(short events, int ms)
    {
        zmq_pollitem_t items[2] = { { m_socket, 0, events, 0 }, { m_monitor, 0, ZMQ_POLLIN, 0 } };
        (void)zmq_poll(items, m_monitor ? 2 : 1, ms);
    }
    void* get() const { return m_socket; }
    const std::string& name() const { return m_name; }

private:
    Status setRaw(int option, const void* value, std::size_t size)
    {
        if (zmq_setsockopt(m_socket, option, value, size) != 0)
            return zmqError("zmq_setsockopt", m_name, errno);
        return {};
    }

    void* m_context = nullptr;
    void* m_socket = nullptr;
    void* m_monitor = nullptr;
    std::vector<int> m_fds;
    std::uint64_t m_handshakes = 0;
    std::uint64_t m_disconnections = 0;
    int m_sendTimeoutMs = -1;
    int m_receiveTimeoutMs = -1;
    std::string m_name;
};

// Connects `socket` to a published tcp:// endpoint as a CURVE client: with the server's public key (read now: from
// another machine it comes just before the endpoint; serverKeyPathOf) and a key pair of this process's own.
Status connectCurveClient(ZmqSocket& socket, const std::string& endpoint, const std::string& keyFile)
{
    auto serverKey = detail::readKeyFile(keyFile);
    if (!serverKey)
        return serverKey.error();
    char publicKey[KeyChars + 1] = {};
    char secretKey[KeyChars + 1] = {};
    if (zmq_curve_keypair(publicKey, secretKey) != 0)
        return zmqError("zmq_curve_keypair", socket.name(), errno);
    Status st = socket.set(ZMQ_CURVE_SERVERKEY, *serverKey);
    if (st)
        st = socket.set(ZMQ_CURVE_PUBLICKEY, std::string(publicKey));
    if (st)
        st = socket.set(ZMQ_CURVE_SECRETKEY, std::string(secretKey));
    if (!st)
        return st;
    if (const auto where = detail::parseTcpEndpoint(endpoint, false, "endpoint"); where && where->isIpv6()) {
        if (Status v6 = socket.set(ZMQ_IPV6, 1); !v6)
            return v6;
    }
    if (zmq_connect(socket.get(), endpoint.c_str()) != 0)
        return zmqError("zmq_connect", socket.name(), errno);
    return {};
}

// A zmq-tcp peer that publishes its endpoint in `endpointFile` (a consumer, a Manager's server): true once it has and
// `socket` is connected to it (connectCurveClient), false while it has not yet.
Result<bool> connectIfPublished(ZmqSocket& socket, const std::string& endpointFile, const std::string& keyFile)
{
    auto endpoint = readEndpoint(endpointFile);
    if (!endpoint && endpoint.error().code == ErrorCode::NotFound)
        return false;
    if (!endpoint)
        return endpoint.error();
    if (Status st = connectCurveClient(socket, *endpoint, keyFile); !st)
        return st.error();
    return true;
}

// Before a zmq-tcp peer's endpoint is published: sleeps `everyNs` (cut to the hooks' slice), then doubles it up to
// PublishPollNs, so a peer that publishes a moment later is found within about as long as it took, and one that
// never does costs a look every 10 ms. Start `everyNs` at FirstLookNs.
constexpr std::uint64_t FirstLookNs = 100'000;
void sleepUntilNextLook(std::uint64_t& everyNs, WaitHooks& hooks)
{
    const auto slice
        = std::chrono::duration_cast<std::chrono::nanoseconds>(hooks.slice(std::chrono::nanoseconds(everyNs)));
    sleepUntilNs(monotonicNs() + std::uint64_t(std::max<std::int64_t>(1, slice.count())));
    everyNs = std::min(2 * everyNs, PublishPollNs);
}

class ZmqProducer final : public ProducerEndpoint {
public:
    // `consumers`: where the zmq-tcp consumers publish their endpoints, each connected to when it appears, and
    // their public keys; empty when the socket is connected already (ipc://, whose paths are known in advance).
    struct Consumer {
        std::string endpointFile;
        std::string keyFile;
    };
    // `subscribers`: for an XPUB (zmq-pub, zmq-pub-tcp), how many subscribers' subscriptions to wait for before the
    // first message.
    ZmqProducer(std::unique_ptr<ZmqSocket> socket, std::vector<Consumer> consumers, std::uint32_t subscribers = 0)
        : m_socket(std::move(socket))
        , m_unconnected(std::move(consumers))
        , m_anyConnected(m_unconnected.empty())
        , m_awaited(subscribers, true)
        , m_awaitedCount(subscribers)
    { }
    // libzmq stops reading a connection while the consumer's queue is at its high-water mark, and when the peer
    // hangs up meanwhile, it drops what is still in the kernel's socket buffer. So before closing, wait until the
    // consumer's side has read every byte out of this process's connections (SIOCOUTQ), seen empty three times in
    // a row; linger then writes out whatever ZeroMQ still queues. A consumer that is paused or gone is waited for
    // at most CloseWaitNs. On a Unix socket SIOCOUTQ counts the bytes the peer has not read yet; on TCP, those it
    // has not acknowledged, which over loopback means they are in the consumer's receive buffer. There a hang-up
    // is a FIN behind the data, which libzmq meets only once it reads again, after the data (the runner's
    // zmqFullQueuesStopExactly test covers both rows).
    ~ZmqProducer() override
    {
        const std::uint64_t deadline = monotonicNs() + CloseWaitNs;
        int emptyChecks = 0;
        while (emptyChecks < 3 && monotonicNs() < deadline) {
            int unread = 0;
            // The descriptors come from the monitor's events; one libzmq has closed since is skipped (or, reused
            // for another socket, read wrongly: at worst this waits CloseWaitNs).
            for (const int fd : m_socket->connections()) {
                int bytes = 0;
                if (ioctl(fd, SIOCOUTQ, &bytes) == 0)
                    unread += bytes;
            }
            emptyChecks = unread == 0 ? emptyChecks + 1 : 0;
            sleepUntilNs(monotonicNs() + 1'000'000);
        }
    }
    Status send(std::span<const std::byte> frame, unsigned, WaitHooks& hooks) override
    {
        // First without waiting, so a wait is known and reported before it starts; then ZeroMQ's own blocking
        // send, cut into slices by ZMQ_SNDTIMEO (zmq_poll in a loop measured ten times slower at 64 B).
        bool reported = false;
        int flags = ZMQ_DONTWAIT;
        for (;;) {
            // zmq-tcp, a consumer that has not published its endpoint yet: looked for before the first message,
            // in every wait, and every PublishPollNs (PUSH sends to the consumers it has meanwhile).
            if (!m_unconnected.empty() && (!m_anyConnected || flags == 0 || monotonicNs() >= m_nextLookNs)) {
                m_nextLookNs = monotonicNs() + PublishPollNs;
                if (Status st = connectPublished(); !st)
                    return st;
            }
            if (m_awaitedCount > 0) {
                if (Status st = takeSubscriptions(hooks); !st)
                    return st;
            }
            // PUSH waits for a first connection. A broadcast waits for every subscriber still running (each has
            // connected by then); when none is left, its messages go to no one, connected or not.
            if ((!m_anyConnected && m_awaited.empty()) || m_awaitedCount > 0) {
                if (hooks.stopRequested())
                    return stopped(m_socket->name());
                if (!reported) {
                    hooks.enter(WorkerState::BlockedFull);
                    reported = true;
                }
                if (m_awaitedCount > 0 && m_anyConnected) { // until a subscription comes in, or a subscriber ends
                    // The monitor's queued events first: unread, they would make every poll return at once.
                    m_socket->readEvents();
                    // Over tcp://, a subscriber not connected to yet is looked for again after PublishPollNs.
                    int ms = sliceMs(hooks.slice(detail::WaitSlice));
                    if (!m_unconnected.empty())
                        ms = std::min(ms, int(PublishPollNs / 1'000'000));
                    m_socket->wait(ZMQ_POLLIN, ms);
                    continue;
                }
                sleepUntilNextLook(m_firstLookEveryNs, hooks);
                continue;
            }
            // After a wait, a stop may have come while the last subscription came in (or a subscriber ended): the
            // stop sees a producer that has sent nothing as held, so none is sent now.
            if (reported && hooks.stopRequested())
                return stopped(m_socket->name());
            if (zmq_send(m_socket->get(), frame.data(), frame.size(), flags) >= 0)
                return {};
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                return zmqError("zmq_send", m_socket->name(), errno);
            // Full: the queues toward the consumers are at their high-water marks, or no consumer is connected yet.
            if (hooks.stopRequested())
                return stopped(m_socket->name());
            if (!reported) {
                hooks.enter(WorkerState::BlockedFull);
                reported = true;
            }
            if (Status st = m_socket->setTimeout(ZMQ_SNDTIMEO, sliceMs(hooks.slice(detail::WaitSlice))); !st)
                return st;
            flags = 0;
        }
    }

private:
    // An XPUB's subscriptions that have come in: one message each, "\x01" and the topic. Each subscriber sends
    // two on its connection, everything ("", which it receives by) and its own topic (subscriberTopic), in that
    // order (libzmq's SUB sends its subscriptions from the root of its topic tree down, 4.3.4's xsub_t::
    // xattach_pipe), so its own topic says it is subscribed. When a connection closes, the XPUB queues an
    // unsubscription ("\x00" and the topic) of each topic no other connection holds: its own topic's says that
    // subscriber is not subscribed any more, and it is waited for again (until it subscribes anew or ends). A
    // subscriber the runner has seen end is no longer waited for: counting subscriptions alone, one that ended
    // before it subscribed here would leave this producer waiting until the stop, and counting subscriptions and
    // ended subscribers together could let it start before a live subscriber had subscribed, which would then miss
    // messages.
    Status takeSubscriptions(WaitHooks& hooks)
    {
        for (std::uint32_t i = 0; i < m_awaited.size(); ++i) {
            if (m_awaited[i] && hooks.consumerEnded(i)) {
                m_awaited[i] = false;
                --m_awaitedCount;
            }
        }
        while (m_awaitedCount > 0) {
            char command[64];
            const int n = zmq_recv(m_socket->get(), command, sizeof command, ZMQ_DONTWAIT);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN)
                    return {};
                return zmqError("zmq_recv (subscriptions)", m_socket->name(), errno);
            }
            if (n < 1 || (command[0] != 0 && command[0] != 1) || std::size_t(n) > sizeof command)
                continue; // not a subscription or an unsubscription, or longer than any of ours
            const auto index = subscriberOfTopic(std::string_view(command + 1, std::size_t(n) - 1));
            if (!index || *index >= m_awaited.size())
                continue;
            const bool subscribed = command[0] == 1;
            if (subscribed && m_awaited[*index]) {
                m_awaited[*index] = false;
                --m_awaitedCount;
            } else if (!subscribed && !m_awaited[*index] && !hooks.consumerEnded(*index)) {
                m_awaited[*index] = true;
                ++m_awaitedCount;
            }
        }
        return {};
    }
    // Connects to each consumer that has published its endpoint since the last look.
    Status connectPublished()
    {
        for (auto consumer = m_unconnected.begin(); consumer != m_unconnected.end();) {
            auto connected = connectIfPublished(*m_socket, consumer->endpointFile, consumer->keyFile);
            if (!connected)
                return connected.error();
            if (!*connected) {
                ++consumer;
                continue;
            }
            consumer = m_unconnected.erase(consumer);
            m_anyConnected = true;
        }
        return {};
    }
    std::unique_ptr<ZmqSocket> m_socket;
    std::vector<Consumer> m_unconnected;
    bool m_anyConnected;
    std::vector<bool> m_awaited; // an XPUB's subscribers whose subscription has not come in yet
    std::uint32_t m_awaitedCount;
    std::uint64_t m_nextLookNs = 0;
    std::uint64_t m_firstLookEveryNs = FirstLookNs; // before its first connection (sleepUntilNextLook)
};

class ZmqConsumer final : public ConsumerEndpoint {
public:
    explicit ZmqConsumer(std::unique_ptr<ZmqSocket> socket)
        : m_socket(std::move(socket))
    { }
    Result<std::size_t> receive(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        // As send: first without waiting, then ZeroMQ's blocking receive in slices of ZMQ_RCVTIMEO. The monitor's
        // events are read at most once a second, whether or not this consumer ever waits (the stop's drain reads them
        // itself, takeReadAhead): only so that they do not pile up over a long run, as nothing shows a zmq consumer's
        // connections, and a bound tcp:// port takes connections from anyone who reaches it. Read at each wait they
        // cost a poll() a wait, a fifth of the consumer's poll() calls at 4 KiB over tcp://. Whether a second has
        // passed is asked before each wait, and between waits every m_clockStride messages: 1 for a consumer that
        // takes a millisecond or more a message (work_us), doubling up to MaxClockStride while they come faster (a
        // clock read per message was a seventh of a 64 B consumer's own time: perf, bench zmq 64 B). A consumer
        // slowed down suddenly (work_us raised live) asks again after at most MaxClockStride messages.
        if (++m_sinceClockRead >= m_clockStride) {
            m_sinceClockRead = 0;
            const std::uint64_t last = m_clockReadNs;
            readEventsWhenDue();
            m_clockStride = m_clockReadNs - last < FastStrideNs ? std::min(2 * m_clockStride, MaxClockStride) : 1;
        }
        bool reported = false;
        int flags = ZMQ_DONTWAIT;
        for (;;) {
            auto r = take(buffer, flags);
            if (!r || *r > 0)
                return r;
            if (hooks.stopRequested())
                return stopped(m_socket->name());
            if (!reported) {
                readEventsWhenDue();
                hooks.enter(WorkerState::BlockedEmpty);
                reported = true;
            }
            if (Status st = m_socket->setTimeout(ZMQ_RCVTIMEO, sliceMs(hooks.slice(detail::WaitSlice))); !st)
                return st.error();
            flags = 0;
        }
    }
    Result<std::size_t> tryReceive(std::span<std::byte> buffer, WaitHooks&) override
    {
        return take(buffer, ZMQ_DONTWAIT);
    }

    // At a stop (producers have exited): everything they sent is on its way here; take it until no connection is
    // left open and nothing is queued (see the top of this file).
    Result<std::size_t> takeReadAhead(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        if (m_drainDeadlineNs == 0)
            m_drainDeadlineNs = monotonicNs() + DrainLimitNs;
        for (;;) {
            const int peers = m_socket->peers();
            auto r = tryReceive(buffer, hooks);
            if (!r || *r > 0)
                return r;
            if (peers == 0 || monotonicNs() >= m_drainDeadlineNs)
                return std::size_t(0);
            m_socket->wait(ZMQ_POLLIN, 10);
        }
    }

private:
    static constexpr std::uint32_t MaxClockStride = 256;
    static constexpr std::uint64_t FastStrideNs = 1'000'000;
    void readEventsWhenDue()
    {
        const std::uint64_t now = monotonicNs();
        m_clockReadNs = now;
        if (now >= m_nextEventsReadNs) {
            m_nextEventsReadNs = now + MonitorReadNs;
            m_socket->readEvents();
        }
    }
    Result<std::size_t> take(std::span<std::byte> buffer, int flags)
    {
        return receiveMessage(m_socket->get(), m_socket->name(), buffer, flags);
    }

    std::unique_ptr<ZmqSocket> m_socket;
    std::uint64_t m_drainDeadlineNs = 0;
    std::uint64_t m_nextEventsReadNs = 0;
    std::uint32_t m_clockStride = 1;
    std::uint32_t m_sinceClockRead = 0;
    std::uint64_t m_clockReadNs = 0; // when the clock was last read for the events
};

// Requests and replies (openZmqRequests): a server's ROUTER or a client's DEALER, which sends and receives. A ROUTER
// receives each request as two messages, the identity ZeroMQ gave the client's connection and the request itself,
// and sends a reply to a connection by putting its identity first. It replies to the request it received last
// (a server handles one request at a time). With ZMQ_ROUTER_MANDATORY a reply toward a connection that is full waits
// (EAGAIN) instead of being dropped, and one toward a connection that has closed fails (EHOSTUNREACH), instead of
// vanishing.
class ZmqRequests {
public:
    // `server`: a ROUTER. A zmq-tcp client (DEALER) gets the files where the server publishes its endpoint and its
    // public key (`endpointFile`, `keyFile`), and connects when the endpoint appears; otherwise it is connected.
    ZmqRequests(std::unique_ptr<ZmqSocket> socket, bool server, std::string endpointFile = {}, std::string keyFile = {})
        : m_socket(std::move(socket))
        , m_server(server)
        , m_endpointFile(std::move(endpointFile))
        , m_keyFile(std::move(keyFile))
    { }
    Status send(std::span<const std::byte> frame, WaitHooks& hooks)
    {
        bool reported = false;
        int flags = ZMQ_DONTWAIT;
        for (;;) {
            // zmq-tcp: until the server has published its port there is nobody to send to, as when it is not
            // there: the request waits (blocked, as on a full queue), looking again (sleepUntilNextLook).
            if (!m_endpointFile.empty()) {
                auto connected = connectIfPublished(*m_socket, m_endpointFile, m_keyFile);
                if (!connected)
                    return connected.error();
                if (*connected)
                    m_endpointFile.clear();
            }
            if (!m_endpointFile.empty()) {
                if (hooks.stopRequested())
                    return stopped(m_socket->name());
                if (!reported) {
                    hooks.enter(WorkerState::BlockedFull);
                    reported = true;
                }
                sleepUntilNextLook(m_lookEveryNs, hooks);
                continue;
            }
            if (!m_server && sendRequest(frame, flags))
                return {};
            if (m_server && sendReply(frame))
                return {};
            if (errno == EINTR)
                continue;
            if (m_server && errno == EHOSTUNREACH)
                return detail::makeError(ErrorCode::PeerGone, "zmq_send", m_socket->name(),
                    "The client that sent this request has closed its connection, so its reply cannot be sent",
                    EHOSTUNREACH);
            if (errno != EAGAIN)
                return zmqError("zmq_send", m_socket->name(), errno);
            // Full: the connection's queue is at its high-water mark, or (a client) the server is not there yet.
            if (hooks.stopRequested())
                return stopped(m_socket->name());
            if (!reported) {
                hooks.enter(WorkerState::BlockedFull);
                reported = true;
            }
            if (m_server) { // a ROUTER's send does not wait (it would drop): look again a little later
                const auto slice
                    = std::chrono::duration_cast<std::chrono::nanoseconds>(hooks.slice(std::chrono::milliseconds(1)));
                sleepUntilNs(monotonicNs() + std::uint64_t(std::max<std::int64_t>(1, slice.count())));
                continue;
            }
            if (Status st = m_socket->setTimeout(ZMQ_SNDTIMEO, sliceMs(hooks.slice(detail::WaitSlice))); !st)
                return st;
            flags = 0;
        }
    }
    // `wait`: false tries once. A client waiting for a reply whose connection to the server has closed since its
    // last request went (the server died or ended) fails with PeerGone, as a Python proxy raises EOFError.
    Result<std::size_t> receive(std::span<std::byte> buffer, WaitHooks& hooks, bool wait)
    {
        bool reported = false;
        int flags = ZMQ_DONTWAIT;
        for (;;) {
            // Closings counted before the attempt: a reply that came just before its server closed is still taken.
            const std::uint64_t closed = m_server ? 0 : m_socket->disconnections();
            auto r = m_server ? takeRequest(buffer, flags)
                              : receiveMessage(m_socket->get(), m_socket->name(), buffer, flags);
            if (!r || *r > 0 || !wait)
                return r;
            if (hooks.stopRequested())
                return stopped(m_socket->name());
            // A closing counted, not connections open: a server started in the dead one's place may be connected
            // already, and it never got this request. (The closing of an earlier connection is queued before the
            // connection its request went on was made, so it was counted at the send.)
            if (!m_server && closed > m_disconnectionsAtSend)
                return detail::makeError(ErrorCode::PeerGone, "zmq_recv", m_socket->name(),
                    "The server closed its connection while this request waited for its reply (a Python Manager's "
                    "proxy raises EOFError here). Its replies come only from a server that is running");
            if (!reported) {
                hooks.enter(WorkerState::BlockedEmpty);
                reported = true;
            }
            if (Status st = m_socket->setTimeout(ZMQ_RCVTIMEO, sliceMs(hooks.slice(detail::WaitSlice))); !st)
                return st.error();
            flags = 0;
        }
    }

private:
    // A client's request; false with errno set when it could not go. The connection's closings seen so far are
    // noted, so that a later one tells that the server went away while this request was out.
    bool sendRequest(std::span<const std::byte> frame, int flags)
    {
        m_disconnectionsAtSend = m_socket->disconnections();
        return zmq_send(m_socket->get(), frame.data(), frame.size(), flags) >= 0;
    }
    // The identity first, then the reply; false with errno set when the identity could not go (then nothing went).
    // Once the identity is taken, the rest of the message goes to the same connection without waiting.
    bool sendReply(std::span<const std::byte> frame)
    {
        if (m_client.empty()) {
            errno = EHOSTUNREACH;
            return false;
        }
        if (zmq_send(m_socket->get(), m_client.data(), m_client.size(), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
            return false;
        while (zmq_send(m_socket->get(), frame.data(), frame.size(), 0) < 0) {
            if (errno != EINTR)
                return false;
        }
        return true;
    }
    // A request as the ROUTER gives it: its connection's identity, kept for the reply, then the request.
    Result<std::size_t> takeRequest(std::span<std::byte> buffer, int flags)
    {
        char identity[256];
        int n = -1;
        while ((n = zmq_recv(m_socket->get(), identity, sizeof identity, flags)) < 0 && errno == EINTR) { }
        if (n < 0)
            return errno == EAGAIN ? Result<std::size_t>(std::size_t(0))
                                   : zmqError("zmq_recv", m_socket->name(), errno);
        m_client.assign(identity, std::size_t(std::min<int>(n, int(sizeof identity))));
        // The parts of one message arrive together, so the request is there already.
        if (!more())
            return detail::makeError(
                ErrorCode::Corrupt, "zmq_recv", m_socket->name(), "A request without its message after its sender");
        auto r = receiveMessage(m_socket->get(), m_socket->name(), buffer, ZMQ_DONTWAIT);
        if (r && more()) { // a client sends one part only; the rest of a longer message is skipped
            while (more())
                (void)zmq_recv(m_socket->get(), identity, sizeof identity, ZMQ_DONTWAIT);
            return detail::makeError(
                ErrorCode::Corrupt, "zmq_recv", m_socket->name(), "A request of several messages; a client sends one");
        }
        return r;
    }
    bool more()
    {
        int more = 0;
        std::size_t size = sizeof more;
        return zmq_getsockopt(m_socket->get(), ZMQ_RCVMORE, &more, &size) == 0 && more != 0;
    }

    std::unique_ptr<ZmqSocket> m_socket;
    bool m_server;
    std::string m_client; // the identity of the connection the last request came on (a server)
    std::uint64_t m_disconnectionsAtSend = 0; // a client: its connection's closings seen when its request went
    std::string m_endpointFile; // a zmq-tcp client not connected yet: where the server's endpoint will be
    std::string m_keyFile; // and its public key
    std::uint64_t m_lookEveryNs = FirstLookNs;
};

class ZmqRequestSender final : public ProducerEndpoint {
public:
    explicit ZmqRequestSender(std::shared_ptr<ZmqRequests> requests)
        : m_requests(std::move(requests))
    { }
    Status send(std::span<const std::byte> frame, unsigned, WaitHooks& hooks) override
    {
        return m_requests->send(frame, hooks);
    }

private:
    std::shared_ptr<ZmqRequests> m_requests;
};

class ZmqRequestReceiver final : public ConsumerEndpoint {
public:
    explicit ZmqRequestReceiver(std::shared_ptr<ZmqRequests> requests)
        : m_requests(std::move(requests))
    { }
    Result<std::size_t> receive(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        return m_requests->receive(buffer, hooks, true);
    }
    Result<std::size_t> tryReceive(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        return m_requests->receive(buffer, hooks, false);
    }

private:
    std::shared_ptr<ZmqRequests> m_requests;
};

// ZMQ_MAXMSGSIZE of a consumer: the channel's largest frame. Under CURVE the limit applies to what comes over the
// wire: each message with its box's 33 bytes ("\x07MESSAGE", nonce, MAC, flags), and the handshake's commands
// (INITIATE carries the client's key and metadata, some 300 bytes). So over tcp:// libzmq lets through messages a
// little larger than a small channel's frames, and the consumer's own size check (take) refuses them.
std::size_t maxMessageSize(const ChannelAddress& a)
{
    constexpr std::size_t CurveBoxBytes = 64;
    constexpr std::size_t CurveHandshakeBytes = 1024;
    return overTcp(a) ? std::max<std::size_t>(a.messageSize + CurveBoxBytes, CurveHandshakeBytes) : a.messageSize;
}

// The kernel's send and receive buffer of each zmq-tcp connection (SO_SNDBUF, SO_RCVBUF; Linux doubles them).
// Left to itself TCP grows them to megabytes, which at a stop is a backlog of tens of thousands of messages for
// the consumer to decrypt; this keeps it near what a Unix socket holds.
constexpr int TcpBufferBytes = 128 * 1024;

// ipc://: each consumer's socket path. tcp://: the key files, and each consumer's endpoint file and where its
// endpoint is written first.
std::vector<OsName> zmqOsNames(const ChannelAddress& a)
{
    std::vector<OsName> names;
    if (overTcp(a))
        names = { { "path", secretKeyPathOf(a.name) }, { "path", publicKeyPathOf(a.name) } };
    for (std::uint32_t i = 0; i < std::max<std::uint32_t>(a.consumers, 1); ++i) {
        names.push_back({ "path", zmqEndpointPath(a, i) });
        if (overTcp(a))
            names.push_back({ "path", unpublishedPathOf(zmqEndpointPath(a, i)) });
        if (overTcp(a) && i > 0 && a.consumerElsewhere)
            names.push_back({ "path", serverKeyPathOf(a, i) });
    }
    return names;
}

// A zmq-tcp consumer: the CURVE server with the object's secret key, bound to a port of 127.0.0.1 (or of the
// host's own address, IPv4 or IPv6, between machines) that the kernel picks, published at its endpoint path
// (zmqEndpointPath). A consumer that takes the place of one that died binds the port published before, which the
// producers keep reconnecting to.
Status bindTcp(ZmqSocket& socket, const ChannelAddress& a)
{
    const std::string path = zmqEndpointPath(a, a.consumerIndex);
    auto secretKey = detail::readKeyFile(secretKeyPathOf(a.name));
    if (!secretKey)
        return secretKey.error();
    Status st = socket.set(ZMQ_CURVE_SERVER, 1);
    if (st)
        st = socket.set(ZMQ_CURVE_SECRETKEY, *secretKey);
    // A stranger's connection that never finishes the handshake is closed after a second, not libzmq's 30.
    if (st)
        st = socket.set(ZMQ_HANDSHAKE_IVL, 1000);
    if (st)
        st = socket.set(ZMQ_SNDBUF, TcpBufferBytes);
    if (st)
        st = socket.set(ZMQ_RCVBUF, TcpBufferBytes);
    // The host's own address may be IPv6 ("[fd00::2]", as its --listen names it).
    const std::string address = a.bindAddress.empty() ? "127.0.0.1" : a.bindAddress;
    if (st && detail::isIpv6Address(address))
        st = socket.set(ZMQ_IPV6, 1);
    if (!st)
        return st;
    if (auto published = readEndpoint(path); published) {
        if (zmq_bind(socket.get(), published->c_str()) != 0) {
            const int err = errno;
            if (err == EADDRINUSE)
                return detail::makeError(ErrorCode::AlreadyExists, "zmq_bind", path,
                    "Another process took " + *published
                        + " after this object's consumer (or Manager's server) died, so its producers (or clients) "
                          "cannot reach a new one; stop the run and start it again");
            return zmqError("zmq_bind", path, err);
        }
        return {};
    } else if (published.error().code != ErrorCode::NotFound)
        return published.error();
    if (zmq_bind(socket.get(), ("tcp://" + address + ":*").c_str()) != 0)
        return zmqError("zmq_bind", path, errno);
    char endpoint[300] = {};
    std::size_t size = sizeof endpoint;
    if (zmq_getsockopt(socket.get(), ZMQ_LAST_ENDPOINT, endpoint, &size) != 0)
        return zmqError("zmq_getsockopt", path, errno);
    return publishEndpoint(path, endpoint);
}

// The runner's side holds no ZeroMQ socket (a third party on the path would take messages): it makes sure its paths
// are free when the run starts (for zmq-tcp, ZmqFamily::create then writes the key files) and removes them at the
// end.
class ZmqObject final : public ChannelObject {
public:
    explicit ZmqObject(ChannelAddress address)
        : ChannelObject(std::move(address))
    { }
    ~ZmqObject() override
    {
        for (const OsName& n : zmqOsNames(m_address))
            (void)removePath(n.name);
    }
    std::int64_t depth() override { return -1; }
    Reach reach() override
    {
        if (m_address.bindAddress.empty())
            return {};
        auto key = detail::readKeyFile(publicKeyPathOf(m_address.name));
        if (!key)
            return {};
        Reach reach { {}, *key };
        bool any = false;
        for (std::uint32_t i = 0; i < std::max<std::uint32_t>(m_address.consumers, 1); ++i) {
            auto endpoint = readEndpoint(zmqEndpointPath(m_address, i));
            any = any || endpoint.has_value();
            reach.endpoints.push_back(endpoint ? std::move(*endpoint) : std::string());
        }
        return any ? reach : Reach {};
    }
    Status publishReach(const Reach& reach) override
    {
        if (!m_address.consumerElsewhere)
            return ChannelObject::publishReach(reach);
        const std::uint32_t consumers = std::max<std::uint32_t>(m_address.consumers, 1);
        const auto plural
            = [](std::size_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); };
        if (reach.endpoints.size() != consumers)
            return detail::makeError(ErrorCode::Corrupt, "publish endpoint", m_address.name,
                "The consumers' host sent " + plural(reach.endpoints.size(), "endpoint") + " for "
                    + plural(consumers, "consumer"));
        if (!detail::isZ85Key(reach.publicKey)
            || !std::all_of(reach.endpoints.begin(), reach.endpoints.end(),
                [](const std::string& e) { return e.empty() || isPublishedEndpoint(e); }))
            return detail::makeError(ErrorCode::Corrupt, "publish endpoint", m_address.name,
                "The consumers' host sent an endpoint or key that is not one (tcp://ADDRESS:PORT, a 40-character "
                "key)");
        // Each consumer's key before its endpoint, which the producers poll for (their hosts may be several: each
        // sends the endpoints of its own consumers, with its key, the others empty).
        m_publishedKeys.resize(consumers);
        for (std::uint32_t i = 0; i < consumers; ++i) {
            if (reach.endpoints[i].empty())
                continue;
            if (m_publishedKeys[i].empty()) {
                const std::string keyFile = serverKeyPathOf(m_address, i);
                if (Status st = writeNewFile(keyFile, reach.publicKey + "\n"); !st)
                    return st;
                // Not published unless both are (the next reach tries again).
                if (Status st = publishEndpoint(zmqEndpointPath(m_address, i), reach.endpoints[i]); !st) {
                    (void)removePath(keyFile);
                    return st;
                }
                m_publishedKeys[i] = reach.publicKey;
            } else if (reach.publicKey != m_publishedKeys[i])
                return detail::makeError(ErrorCode::Corrupt, "publish endpoint", m_address.name,
                    "The consumers' host sent another key than before");
        }
        return {};
    }
    std::string waitingOn(const std::string& name, WorkerState state) const override
    {
        if (state == WorkerState::BlockedFull && traits(m_address.transport).broadcast)
            return name
                + ": a subscriber's queue at its high-water mark (zmq_send), or not every subscriber has "
                  "subscribed yet (zmq_poll)";
        if (m_address.requests && state == WorkerState::BlockedFull)
            return name
                + ": no server there (not started yet, or gone), or the connection's queue at its high-water mark "
                  "(zmq_send)";
        if (m_address.requests && state == WorkerState::BlockedEmpty)
            return name + ": a client waits for its reply, the server for a request (zmq_recv)";
        if (state == WorkerState::BlockedFull)
            return name + ": queue at its high-water mark, or no consumer connected yet (zmq_send)";
        if (state == WorkerState::BlockedEmpty)
            return name + ": nothing queued (zmq_recv)";
        return {};
    }

private:
    // Between machines, on the producers' side: the key written for each consumer, with its endpoint (publishReach);
    // empty while neither is.
    std::vector<std::string> m_publishedKeys;
};

class ZmqFamily final : public detail::ChannelFamily {
public:
    std::vector<OsName> osNames(const ChannelAddress& a) const override { return zmqOsNames(a); }
    Result<std::unique_ptr<ChannelObject>> create(const ChannelAddress& a) const override
    {
        for (const OsName& n : zmqOsNames(a)) {
            struct stat st { };
            if (lstat(n.name.c_str(), &st) == 0)
                return detail::makeError(ErrorCode::AlreadyExists, "create", n.name,
                    "Something is already at this path; IPC Lab uses only paths it made itself");
        }
        // Between machines, the producers' side: the keys are made where the consumer runs.
        if (overTcp(a) && a.consumerElsewhere)
            return std::unique_ptr<ChannelObject>(new ZmqObject(a));
        if (overTcp(a)) {
            char publicKey[KeyChars + 1] = {};
            char secretKey[KeyChars + 1] = {};
            if (zmq_curve_keypair(publicKey, secretKey) != 0)
                return zmqError("zmq_curve_keypair", a.name, errno);
            if (Status st = writeNewFile(secretKeyPathOf(a.name), std::string(secretKey) + "\n"); !st)
                return st.error();
            // From here the object owns what is made: its destructor removes both files.
            auto object = std::unique_ptr<ChannelObject>(new ZmqObject(a));
            if (Status st = writeNewFile(publicKeyPathOf(a.name), std::string(publicKey) + "\n"); !st)
                return st.error();
            return object;
        }
        // sockaddr_un's sun_path: 108 bytes with the terminating zero. Refused here, by the runner, rather than
        // in every worker's bind and connect.
        constexpr std::size_t MaxPath = 107;
        const std::string longest = zmqEndpointPath(a, std::max<std::uint32_t>(a.consumers, 1) - 1);
        if (longest.size() > MaxPath)
            return detail::makeError(ErrorCode::InvalidArgument, "create", longest,
                "An ipc:// path may have at most " + std::to_string(MaxPath) + " bytes, and this one has "
                    + std::to_string(longest.size()) + ": use a shorter object name, or a shorter XDG_RUNTIME_DIR");
        return std::unique_ptr<ChannelObject>(new ZmqObject(a));
    }
    Result<std::unique_ptr<ProducerEndpoint>> openProducer(const ChannelAddress& a, WaitHooks&) const override
    {
        const bool broadcast = traits(a.transport).broadcast;
        const std::uint32_t subscribers = broadcast ? std::max<std::uint32_t>(a.consumers, 1) : 0;
        auto socket = std::make_unique<ZmqSocket>();
        Status st = socket->open(broadcast ? ZMQ_XPUB : ZMQ_PUSH, a.name);
        if (st)
            st = socket->set(ZMQ_SNDHWM, int(a.capacity));
        if (st && broadcast)
            st = socket->set(ZMQ_XPUB_NODROP, 1); // wait for a full subscriber, as PUSH does
        if (st && broadcast)
            st = socket->set(ZMQ_XPUB_VERBOSE, 1); // every subscriber's subscription, not only the first
        if (st)
            st = socket->set(ZMQ_IMMEDIATE, 1); // queue only toward a consumer that is there
        if (st)
            st = socket->set(ZMQ_LINGER, ProducerLingerMs);
        if (st)
            st = socket->set(ZMQ_RECONNECT_IVL, detail::ZmqReconnectMs);
        if (st)
            st = socket->watchConnections();
        if (st && overTcp(a)) {
            st = socket->set(ZMQ_SNDBUF, TcpBufferBytes);
            if (st)
                st = socket->set(ZMQ_RCVBUF, TcpBufferBytes);
            if (!st)
                return st.error();
            // Connected, as a CURVE client, to each consumer when it has published its port (ZmqProducer::send).
            std::vector<ZmqProducer::Consumer> consumers;
            for (std::uint32_t i = 0; i < std::max<std::uint32_t>(a.consumers, 1); ++i)
                consumers.push_back({ zmqEndpointPath(a, i), serverKeyPathOf(a, i) });
            return std::unique_ptr<ProducerEndpoint>(
                new ZmqProducer(std::move(socket), std::move(consumers), subscribers));
        }
        if (!st)
            return st.error();
        // Connecting before a consumer has bound is fine: ZeroMQ keeps trying, and send waits meanwhile.
        for (std::uint32_t i = 0; i < std::max<std::uint32_t>(a.consumers, 1); ++i) {
            const std::string path = zmqEndpointPath(a, i);
            if (zmq_connect(socket->get(), ("ipc://" + path).c_str()) != 0)
                return zmqError("zmq_connect", path, errno);
        }
        return std::unique_ptr<ProducerEndpoint>(new ZmqProducer(std::move(socket), {}, subscribers));
    }
    Result<std::unique_ptr<ConsumerEndpoint>> openConsumer(const ChannelAddress& a) const override
    {
        const bool broadcast = traits(a.transport).broadcast;
        auto socket = std::make_unique<ZmqSocket>();
        Status st = socket->open(broadcast ? ZMQ_SUB : ZMQ_PULL, a.name);
        if (st)
            st = socket->set(ZMQ_RCVHWM, int(a.capacity));
        if (st && broadcast)
            st = socket->set(ZMQ_SUBSCRIBE, std::string()); // everything
        if (st && broadcast)
            st = socket->set(ZMQ_SUBSCRIBE, subscriberTopic(a.consumerIndex)); // whose subscription it is
        if (st)
            st = socket->set(ZMQ_MAXMSGSIZE, std::int64_t(maxMessageSize(a)));
        if (st)
            st = socket->set(ZMQ_LINGER, 0);
        if (st)
            st = socket->watchConnections();
        if (!st)
            return st.error();
        if (overTcp(a)) {
            if (Status bound = bindTcp(*socket, a); !bound)
                return bound.error();
        } else if (const std::string path = zmqEndpointPath(a, a.consumerIndex);
                   zmq_bind(socket->get(), ("ipc://" + path).c_str()) != 0)
            return zmqError("zmq_bind", path, errno);
        return std::unique_ptr<ConsumerEndpoint>(new ZmqConsumer(std::move(socket)));
    }
};

} // namespace

Result<DuplexEndpoints> openZmqRequests(const ChannelAddress& a, bool server)
{
    if (!requestsOverConnections(a.transport))
        return detail::makeError(ErrorCode::InvalidArgument, "open requests", a.name,
            "Requests and replies go over zmq (ipc://) or zmq-tcp only; this object is "
                + std::string(transportName(a.transport)));
    const bool tcp = overTcp(a);
    auto socket = std::make_unique<ZmqSocket>();
    Status st = socket->open(server ? ZMQ_ROUTER : ZMQ_DEALER, a.name);
    if (st)
        st = socket->set(ZMQ_SNDHWM, int(a.capacity));
    if (st)
        st = socket->set(ZMQ_RCVHWM, int(a.capacity));
    if (st)
        st = socket->set(ZMQ_MAXMSGSIZE, std::int64_t(maxMessageSize(a)));
    if (st && tcp && !server)
        st = socket->set(ZMQ_SNDBUF, TcpBufferBytes);
    if (st && tcp && !server)
        st = socket->set(ZMQ_RCVBUF, TcpBufferBytes);
    // A server that ends by its count lets its last reply reach its client (as a producer's close does); a client
    // closes only after its reply came, or when it no longer waits for one.
    if (st)
        st = socket->set(ZMQ_LINGER, server ? ProducerLingerMs : 0);
    if (st && server)
        st = socket->set(ZMQ_ROUTER_MANDATORY, 1); // a reply that cannot go fails or waits, never vanishes
    if (st && !server) {
        st = socket->set(ZMQ_IMMEDIATE, 1); // a request waits until the server is there
        if (st)
            st = socket->set(ZMQ_RECONNECT_IVL, detail::ZmqReconnectMs);
        if (st)
            st = socket->watchConnections(); // to see the server's connection close (ZmqRequests::receive)
    }
    if (!st)
        return st.error();
    // The server binds where the first consumer would (index 0), a server in a dead one's place at the port it
    // published (bindTcp); a zmq-tcp client connects when that port is published (ZmqRequests::send).
    ChannelAddress first = a;
    first.consumerIndex = 0;
    std::shared_ptr<ZmqRequests> requests;
    if (tcp && server) {
        if (Status bound = bindTcp(*socket, first); !bound)
            return bound.error();
        requests = std::make_shared<ZmqRequests>(std::move(socket), true);
    } else if (tcp) {
        requests
            = std::make_shared<ZmqRequests>(std::move(socket), false, zmqEndpointPath(a, 0), serverKeyPathOf(a, 0));
    } else {
        const std::string endpoint = "ipc://" + zmqEndpointPath(a, 0);
        if (server ? zmq_bind(socket->get(), endpoint.c_str()) != 0 : zmq_connect(socket->get(), endpoint.c_str()) != 0)
            return zmqError(server ? "zmq_bind" : "zmq_connect", zmqEndpointPath(a, 0), errno);
        requests = std::make_shared<ZmqRequests>(std::move(socket), server);
    }
    DuplexEndpoints ends;
    ends.sending = std::make_unique<ZmqRequestSender>(requests);
    ends.receiving = std::make_unique<ZmqRequestReceiver>(requests);
    return ends;
}

std::uint64_t zmqMostLostWithKilled(const ChannelAddress& a, Role role, std::uint64_t producers)
{
    // libzmq's I/O thread encodes and decodes in batches of 8 KiB (out_batch_size, in_batch_size).
    constexpr std::uint64_t BatchBytes = 8192;
    // The kernel's buffers of one connection: over tcp:// the send and the receive buffer set above, which Linux
    // doubles; over ipc:// (a Unix stream socket) the sender's, wmem_default.
    static const std::uint64_t unixSocketBytes = [] {
        unsigned long long bytes = 212992; // Linux's default
        if (FILE* f = std::fopen("/proc/sys/net/core/wmem_default", "re")) {
            if (std::fscanf(f, "%llu", &bytes) != 1)
                bytes = 212992;
            std::fclose(f);
        }
        return std::uint64_t(bytes);
    }();
    const std::uint64_t kernelBytes = overTcp(a) ? 4 * std::uint64_t(TcpBufferBytes) : unixSocketBytes;
    // A queue can hold a little more than its mark while its pipe's reader catches up: count twice the mark.
    const std::uint64_t queue = 2 * std::uint64_t(a.capacity);
    const std::uint64_t side = queue + (BatchBytes + kernelBytes) / FrameHeaderSize + 1; // one connection's share
    if (role == Role::Producer)
        return side * std::max<std::uint32_t>(a.consumers, 1);
    return queue + BatchBytes / FrameHeaderSize + std::max<std::uint64_t>(producers, 1) * side;
}

const detail::ChannelFamily& detail::zmqFamily()
{
    static const ZmqFamily family;
    return family;
}

} // namespace ipccore
