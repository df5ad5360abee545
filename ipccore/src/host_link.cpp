// A controller's side of the link to a worker host (see host.h): a DEALER with CURVE that asks the host "hello" and
// times the answers, once per round trip for a ping (pingHost) and every heartbeat for a live link (HostLink).

#include "ipccore/host.h"

#include "host_wire.h"
#include "key_files.h"
#include "sys_error.h"

#include <nlohmann/json.hpp>

#include <zmq.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace ipccore {

namespace {

using detail::KeyChars;
using detail::makeError;

// A hello's answer.
struct Answer {
    int seq = 0;
    HostHello hello;
};

// One DEALER connected to a host, with a monitor saying how far its connections got.
class LinkSocket {
public:
    // Checks the endpoint and the key files, and connects (the connection itself is made in the background).
    // `live`: a heartbeat link, which queues a hello only on a connection that finished its handshake, and drops a
    // connection whose peer stopped answering ZeroMQ's own heartbeats (so it reconnects when the link is back).
    static Result<std::unique_ptr<LinkSocket>> open(const PingOptions& options, bool live)
    {
        auto where = detail::parseTcpEndpoint(options.endpoint, false, "--ping");
        if (!where)
            return where.error();
        auto secretKey = detail::readKeyFile(options.keyFile);
        if (!secretKey)
            return secretKey.error();
        auto hostKeys = detail::readPublicKeys(options.hostKeyFile);
        if (!hostKeys)
            return hostKeys.error();
        if (hostKeys->size() != 1)
            return makeError(ErrorCode::InvalidArgument, "--host-key", options.hostKeyFile,
                "Give the file with the host's one public key (the .pub file its --keygen wrote)");
        auto link = std::unique_ptr<LinkSocket>(new LinkSocket);
        link->m_endpoint = options.endpoint;
        link->m_hostKeyFile = options.hostKeyFile;
        link->m_publicKey = detail::publicKeyOf(*secretKey);
        // A ping gives up at the first hang-up mid-handshake; a live link, which may meet a host restarting or a
        // lossy link, at the third in a row.
        link->m_dropsToGiveUp = live ? 3 : 1;
        void* dealer = link->m_context.socket(ZMQ_DEALER);
        if (!dealer)
            return detail::zmqError("zmq_socket", options.endpoint, errno);
        link->m_dealer = dealer;
        const std::string& e = options.endpoint;
        const std::int64_t maxBytes = detail::MaxLinkMessageBytes;
        std::vector<Status> set { detail::setOption(dealer, ZMQ_CURVE_SERVERKEY, hostKeys->front().data(), KeyChars, e),
            detail::setOption(dealer, ZMQ_CURVE_PUBLICKEY, link->m_publicKey.data(), KeyChars, e),
            detail::setOption(dealer, ZMQ_CURVE_SECRETKEY, secretKey->data(), KeyChars, e),
            detail::setOption(dealer, ZMQ_MAXMSGSIZE, &maxBytes, sizeof maxBytes, e),
            detail::setInt(dealer, ZMQ_IPV6, where->isIpv6() ? 1 : 0, e) };
        if (live) {
            set.push_back(detail::setInt(dealer, ZMQ_IMMEDIATE, 1, e));
            set.push_back(detail::setInt(dealer, ZMQ_SNDHWM, 8, e));
            set.push_back(detail::setInt(dealer, ZMQ_HEARTBEAT_IVL, 250, e));
            set.push_back(detail::setInt(dealer, ZMQ_HEARTBEAT_TIMEOUT, 1000, e));
            set.push_back(detail::setInt(dealer, ZMQ_RECONNECT_IVL_MAX, 500, e));
        }
        for (Status& st : set)
            if (!st)
                return st.error();
        auto monitor = detail::monitorOf(link->m_context, dealer, e,
            ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_DISCONNECTED);
        if (!monitor)
            return monitor.error();
        link->m_monitor = *monitor;
        if (zmq_connect(dealer, e.c_str()) != 0)
            return detail::zmqError("zmq_connect", e, errno);
        return link;
    }

    // Sends hello number `seq` (naming `run` when it is not empty); false when it could not be queued (a live link
    // with no connection yet).
    bool sendHello(int seq, const std::string& run = {})
    {
        nlohmann::json request { { "type", "hello" }, { "seq", seq } };
        if (!run.empty())
            request["run"] = run;
        return sendText(request.dump());
    }
    bool sendText(const std::string& text) { return zmq_send(m_dealer, text.data(), text.size(), ZMQ_DONTWAIT) >= 0; }

    // The next answer to a hello, waiting at most `ms` for a message and noting the connection's events meanwhile;
    // nothing when none came, when it was another message (kept in `other` when given, dropped otherwise), or when
    // a refusal or a malformed message ended the link (see problem()).
    std::optional<Answer> receive(int ms, std::vector<std::string>* other = nullptr)
    {
        zmq_pollitem_t items[2] = { { m_dealer, 0, ZMQ_POLLIN, 0 }, { m_monitor, 0, ZMQ_POLLIN, 0 } };
        (void)zmq_poll(items, 2, std::max(0, ms));
        noteEvents();
        if (m_problem)
            return std::nullopt;
        const auto frames = detail::receiveFrames(m_dealer, ZMQ_DONTWAIT);
        if (frames.empty() || !detail::nestedWithin(frames.front(), detail::MaxLinkNesting))
            return std::nullopt;
        // Every field's type is checked before it is read (nlohmann's value() and get() throw on another type).
        const auto json = nlohmann::json::parse(frames.front(), nullptr, false);
        const auto field
            = [&](const char* name) { return json.is_object() && json.contains(name) ? json[name] : nlohmann::json(); };
        // A run's messages (host.h) go to the caller as they came.
        static const std::set<std::string> RunTypes = { "started", "snapshot", "report", "error", "leaving" };
        if (field("type").is_string() && RunTypes.count(field("type").get<std::string>())) {
            if (other)
                other->push_back(frames.front());
            return std::nullopt;
        }
        if (field("type") != "hello" || !field("seq").is_number_integer() || !field("monotonic_ns").is_number_unsigned()
            || !field("host").is_string() || !field("pid").is_number_integer() || !field("version").is_string()) {
            m_problem = makeError(ErrorCode::Corrupt, "receive", m_endpoint,
                "The host's answer is not what an IPC Lab host of this version sends; run the same version on "
                "both sides");
            return std::nullopt;
        }
        return Answer { int(field("seq").get<std::int64_t>()),
            { field("host").get<std::string>(), long(field("pid").get<std::int64_t>()),
                field("version").get<std::string>(), field("monotonic_ns").get<std::uint64_t>() } };
    }

    // What ended the link: the host refused this controller's key, hung up during the handshake (the host key is
    // not its own), or sent something that is not an answer. Nothing while the link may still work.
    const std::optional<Error>& problem() const { return m_problem; }
    // A connection was made at some point (a host listens there).
    bool connected() const { return m_connected; }
    bool handshaken() const { return m_everHandshaken; }

private:
    LinkSocket() = default;

    void noteEvents()
    {
        for (const detail::MonitorEvent& e : detail::readMonitor(m_monitor)) {
            if (e.id == ZMQ_EVENT_CONNECTED) {
                m_connected = true;
                m_handshaken = false;
            } else if (e.id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
                m_handshaken = m_everHandshaken = true;
                m_drops = 0;
            } else if (e.id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
                m_problem = makeError(ErrorCode::PermissionDenied, "connect", m_endpoint,
                    "The host refused this controller's key (" + detail::shortKey(m_publicKey)
                        + "): add this controller's .pub file to a file the host reads with --allow, and start the "
                          "host again");
            } else if (!m_everHandshaken && !m_problem
                && (e.id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL || e.id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                    || (e.id == ZMQ_EVENT_DISCONNECTED && !m_handshaken))
                && ++m_drops >= m_dropsToGiveUp) {
                // Never let in, and hung up on mid-handshake: the keys do not match (a link that worked before
                // and drops now is a link problem, not this).
                m_problem = makeError(ErrorCode::PermissionDenied, "connect", m_endpoint,
                    "The other side hung up during the CURVE handshake: either " + m_hostKeyFile
                        + " is not that host's public key (take the .pub file of the key it runs with), or what "
                          "listens there is not an IPC Lab host");
            }
        }
    }

    detail::ZmqContext m_context; // first, so it is destroyed last
    void* m_dealer = nullptr;
    void* m_monitor = nullptr;
    std::string m_endpoint;
    std::string m_hostKeyFile;
    std::string m_publicKey;
    bool m_connected = false;
    bool m_handshaken = false; // this connection
    bool m_everHandshaken = false;
    int m_drops = 0; // hang-ups mid-handshake in a row
    int m_dropsToGiveUp = 1;
    std::optional<Error> m_problem;
};

// One timed round trip: the host's clock read somewhere between this machine's t0 and t1.
struct Trip {
    std::uint64_t t0 = 0;
    std::uint64_t t1 = 0;
    std::uint64_t hostNs = 0;

    double roundTripUs() const { return double(t1 - t0) / 1000.0; }
    // The host's clock minus this one's, from the trip's middle (halves taken first, so no sum overflows).
    std::int64_t offsetNs() const { return std::int64_t(hostNs) - std::int64_t(t0 / 2 + t1 / 2); }
    // Half the trip, +1 for the halves rounded down above: the bound at the trip's end.
    std::int64_t errorNs() const { return std::int64_t((t1 - t0) / 2 + 1); }
    // The bound at `now` (this machine's clock, after t1): the two clocks may have drifted apart since, at most
    // MaxDriftPpm (NTP slews CLOCK_MONOTONIC by up to 500 ppm), so an older trip's bound widens with its age.
    std::int64_t errorAt(std::uint64_t now) const
    {
        return errorNs() + std::int64_t(double(now - t1) * MaxDriftPpm / 1e6);
    }
    static constexpr double MaxDriftPpm = 500;
};

// Of `trips`, the one whose offset is known best at `now`: the shortest trips bound it tightest, and a recent one
// has had less time to drift.
template <typename Trips> const Trip& bestAt(const Trips& trips, std::uint64_t now)
{
    return *std::min_element(
        trips.begin(), trips.end(), [now](const Trip& a, const Trip& b) { return a.errorAt(now) < b.errorAt(now); });
}

} // namespace

Result<PingResult> pingHost(const PingOptions& options)
{
    if (options.count < 1 || options.count > 1000)
        return makeError(
            ErrorCode::InvalidArgument, "--count", std::to_string(options.count), "Give from 1 to 1000 round trips");
    auto link = LinkSocket::open(options, false);
    if (!link)
        return link.error();
    const std::int64_t timeoutNs = options.timeout.count();
    PingResult result;
    std::vector<Trip> trips;
    for (int seq = 1; seq <= options.count; ++seq) {
        const std::uint64_t t0 = monotonicNs();
        // Without ZMQ_IMMEDIATE a DEALER queues the hello until the handshake is done.
        if (!(*link)->sendHello(seq))
            return detail::zmqError("zmq_send", options.endpoint, errno);
        std::optional<Answer> answer;
        while (!answer && !(*link)->problem()) {
            const std::int64_t left = timeoutNs - std::int64_t(monotonicNs() - t0);
            if (left <= 0)
                break;
            answer = (*link)->receive(int(std::max<std::int64_t>(1, left / 1'000'000)));
            if (answer && answer->seq != seq)
                answer.reset(); // a late answer to an earlier hello
        }
        const std::uint64_t t1 = monotonicNs();
        if ((*link)->problem())
            return *(*link)->problem();
        if (!answer) {
            if (!(*link)->connected())
                return makeError(ErrorCode::TimedOut, "connect", options.endpoint,
                    "Nothing answers there (no connection was made): check that 'ipclab-cli host --listen' runs on "
                    "that machine, the address and port (a host name must resolve), and any firewall between");
            if (!(*link)->handshaken())
                return makeError(ErrorCode::TimedOut, "connect", options.endpoint,
                    "A connection was made, but the CURVE handshake did not finish within the timeout: what listens "
                    "there is not an IPC Lab host, or the link is slow (raise --timeout)");
            return makeError(ErrorCode::TimedOut, "receive", options.endpoint,
                "The host let this controller in but did not answer within the timeout; the link or the host is "
                "overloaded (raise --timeout)");
        }
        const Trip trip { t0, t1, answer->hello.monotonicNs };
        result.roundTripsUs.push_back(trip.roundTripUs());
        trips.push_back(trip);
        result.hello = answer->hello;
    }
    const Trip& best = bestAt(trips, trips.back().t1);
    result.offsetNs = best.offsetNs();
    result.errorNs = best.errorAt(trips.back().t1);
    return result;
}

struct HostLink::State {
    std::unique_ptr<LinkSocket> socket; // the link thread's alone once it runs
    std::atomic<bool> stop { false };
    std::thread thread;
    mutable std::mutex mutex;
    LinkStatus status; // guarded by mutex; state and silenceNs are worked out in status()
    std::uint64_t startNs = 0;
    // A run's traffic (guarded by mutex): to send, received, and the run hellos name.
    std::deque<std::string> outbox;
    std::deque<std::string> inbox;
    std::size_t inboxBytes = 0;
    std::string run;
};

HostLink::HostLink(std::unique_ptr<State> state)
    : m(std::move(state))
{ }

HostLink::~HostLink()
{
    m->stop = true;
    if (m->thread.joinable())
        m->thread.join();
}

Result<std::unique_ptr<HostLink>> HostLink::open(const PingOptions& options)
{
    auto socket = LinkSocket::open(options, true);
    if (!socket)
        return socket.error();
    auto state = std::make_unique<State>();
    state->socket = std::move(*socket);
    state->startNs = monotonicNs();
    std::unique_ptr<HostLink> link(new HostLink(std::move(state)));
    State* s = link->m.get();
    s->thread = std::thread([s] { run(*s); });
    return link;
}

void HostLink::run(State& s)
{
    // The round trips of the last OffsetWindow heartbeats; the offset comes from the one with the tightest bound
    // (bestAt: short, and recent).
    constexpr std::size_t OffsetWindow = 40;
    const std::uint64_t intervalNs = std::uint64_t(HeartbeatInterval.count());
    std::map<int, std::uint64_t> sent; // seq -> t0 of hellos not answered yet
    std::deque<Trip> trips;
    long lastPid = 0;
    int seq = 0;
    std::uint64_t nextBeat = monotonicNs();
    std::vector<std::string> received;
    while (!s.stop.load()) {
        std::string run;
        {
            std::lock_guard lock(s.mutex);
            // In order; what cannot be queued yet (no connection) waits for the next turn.
            while (!s.outbox.empty() && s.socket->sendText(s.outbox.front()))
                s.outbox.pop_front();
            // A hello names the run only once what was queued before it has gone (the run request first).
            run = s.outbox.empty() ? s.run : std::string();
        }
        const std::uint64_t now = monotonicNs();
        if (now >= nextBeat) {
            if (s.socket->sendHello(++seq, run))
                sent[seq] = now;
            nextBeat = std::max(nextBeat + intervalNs, now + intervalNs / 2);
            // Hellos unanswered for long are forgotten (the host died, or they were dropped with a connection).
            while (!sent.empty() && now - sent.begin()->second > 4 * std::uint64_t(LostAfter.count()))
                sent.erase(sent.begin());
        }
        const auto answer
            = s.socket->receive(int(std::min<std::uint64_t>(20, (nextBeat - now) / 1'000'000 + 1)), &received);
        const std::uint64_t t1 = monotonicNs();
        if (!received.empty()) {
            std::lock_guard lock(s.mutex);
            for (std::string& message : received) {
                s.inboxBytes += message.size();
                s.inbox.push_back(std::move(message));
            }
            while (s.inbox.size() > MaxInbox || s.inboxBytes > MaxInboxBytes) {
                s.inboxBytes -= s.inbox.front().size();
                s.inbox.pop_front();
            }
            received.clear();
        }
        if (s.socket->problem()) {
            std::lock_guard lock(s.mutex);
            s.status.refusal = s.socket->problem();
            return;
        }
        if (!answer)
            continue;
        const auto it = sent.find(answer->seq);
        if (it == sent.end())
            continue;
        if (!trips.empty() && answer->hello.pid != lastPid)
            trips.clear(); // another host process (restarted, or another machine at that address): a new clock
        lastPid = answer->hello.pid;
        trips.push_back({ it->second, t1, answer->hello.monotonicNs });
        sent.erase(sent.begin(), std::next(it));
        if (trips.size() > OffsetWindow)
            trips.pop_front();
        const Trip& best = bestAt(trips, t1);
        std::lock_guard lock(s.mutex);
        s.status.hello = answer->hello;
        s.status.lastRoundTripUs = trips.back().roundTripUs();
        s.status.offsetNs = best.offsetNs();
        s.status.errorNs = best.errorAt(t1);
        s.status.lastAnswerNs = t1;
        ++s.status.answers;
    }
}

void HostLink::send(std::string message)
{
    std::lock_guard lock(m->mutex);
    m->outbox.push_back(std::move(message));
}

std::vector<std::string> HostLink::takeMessages()
{
    std::lock_guard lock(m->mutex);
    std::vector<std::string> out(std::make_move_iterator(m->inbox.begin()), std::make_move_iterator(m->inbox.end()));
    m->inbox.clear();
    m->inboxBytes = 0;
    return out;
}

void HostLink::setRun(const std::string& run)
{
    std::lock_guard lock(m->mutex);
    m->run = run;
}

StampClock stampClock(std::span<const HostClock> hosts)
{
    StampClock c;
    for (std::size_t i = 1; i < hosts.size(); ++i)
        if (hosts[i].offsetNs < hosts[c.reference].offsetNs)
            c.reference = i;
    if (hosts.empty())
        return c;
    const HostClock& behind = hosts[c.reference];
    // This machine's own clock serves while no host is behind it beyond that host's error.
    const bool anyBehind
        = std::any_of(hosts.begin(), hosts.end(), [](const HostClock& h) { return h.offsetNs < -h.errorNs; });
    if (std::abs(behind.offsetNs) > behind.errorNs || anyBehind) {
        c.stampOffsetNs = behind.offsetNs;
        c.stampErrorNs = behind.errorNs;
    }
    for (const HostClock& h : hosts) {
        const std::int64_t shift = h.offsetNs - c.stampOffsetNs;
        c.latencyShiftNs.push_back(std::abs(shift) > h.errorNs + c.stampErrorNs ? shift : 0);
    }
    return c;
}

std::string readableNs(std::int64_t ns, bool sign)
{
    const double a = std::abs(double(ns));
    char text[64];
    if (a < 1e3)
        std::snprintf(text, sizeof text, sign ? "%+" PRId64 " ns" : "%" PRId64 " ns", ns);
    else if (a < 1e6)
        std::snprintf(text, sizeof text, sign ? "%+.1f µs" : "%.1f µs", double(ns) / 1e3);
    else if (a < 1e9)
        std::snprintf(text, sizeof text, sign ? "%+.2f ms" : "%.2f ms", double(ns) / 1e6);
    else
        std::snprintf(text, sizeof text, sign ? "%+.6f s" : "%.6f s", double(ns) / 1e9);
    return text;
}

std::string readableOffset(std::int64_t offsetNs, std::int64_t errorNs)
{
    return readableNs(offsetNs, true) + " ± " + readableNs(errorNs);
}

LinkStatus HostLink::status() const
{
    LinkStatus st;
    {
        std::lock_guard lock(m->mutex);
        st = m->status;
    }
    const std::uint64_t now = monotonicNs();
    st.silenceNs = now - (st.answers > 0 ? st.lastAnswerNs : m->startNs);
    if (st.refusal)
        st.state = LinkStatus::State::Refused;
    else if (st.answers == 0)
        st.state = LinkStatus::State::Connecting;
    else
        st.state = st.silenceNs > std::uint64_t(LostAfter.count()) ? LinkStatus::State::Lost : LinkStatus::State::Up;
    return st;
}

} // namespace ipccore
