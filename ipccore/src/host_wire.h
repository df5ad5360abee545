#pragma once

// Private: what the two ends of a worker host's link share (host.cpp, host_link.cpp): ZeroMQ sockets in one context,
// whole messages of frames, monitor events, and tcp:// endpoints as options give them.

#include "ipccore/result.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ipccore::detail {

// The largest message on the link: a run's scenario (at most ScenarioLimits::MaxFileBytes) or report (128 workers'
// summaries), with room to spare; anything larger is a stranger's or a bug.
constexpr std::int64_t MaxLinkMessageBytes = 4 << 20;

// A ZeroMQ failure with errno `err`; the hint is ZeroMQ's own text when none is given.
Error zmqError(const char* operation, const std::string& object, int err, std::string hint = {});

// A context and the sockets made in it, closed sockets first (their linger is 0) and then the context.
class ZmqContext {
public:
    ZmqContext();
    ZmqContext(const ZmqContext&) = delete;
    ZmqContext& operator=(const ZmqContext&) = delete;
    ~ZmqContext();
    // A socket that closes at once, dropping what it queued (the link's messages are requests and answers, and a
    // lost one is asked again); nullptr on failure (errno set).
    void* socket(int type);

private:
    void* m_context;
    std::vector<void*> m_sockets;
};

Status setOption(void* socket, int option, const void* value, std::size_t size, const std::string& object);
Status setInt(void* socket, int option, int value, const std::string& object);

// Every frame of the next message on `socket`, or nothing when none is waiting (ZMQ_DONTWAIT) or it failed. With
// `userId`, the ZAP handler's user id of the connection it came on (the host sets the controller's public key).
std::vector<std::string> receiveFrames(void* socket, int flags, std::string* userId = nullptr);
// Whether JSON text nests arrays and objects at most `depth` deep; checked before parsing what the other side sent,
// since walking a deeper document (dump(), a destructor) recurses once per level.
bool nestedWithin(std::string_view json, int depth);
// How deep the link's messages may nest: a scenario or a report is a handful of levels.
constexpr int MaxLinkNesting = 32;
bool sendFrames(void* socket, const std::vector<std::string>& frames);

// One monitor event: its id (ZMQ_EVENT_*) and value (a descriptor, an errno or a ZAP status code).
struct MonitorEvent {
    std::uint16_t id = 0;
    std::uint32_t value = 0;
};
// The events the monitor has queued, without waiting.
std::vector<MonitorEvent> readMonitor(void* monitor);
// Watches `events` (ZMQ_EVENT_*) of `socket` through a PAIR socket made in `context`, which it returns.
Result<void*> monitorOf(ZmqContext& context, void* socket, const std::string& name, int events);

// The parts of "tcp://ADDRESS:PORT": ADDRESS as written (an IPv4 address, a [bracketed] IPv6 one, a host or
// interface name) and PORT (digits, or "*" when `anyPort`). Nothing else: libzmq would read "tcp://a;b" as a
// source and a destination. `option` names the option in the refusal.
// A [bracketed] IPv6 address: a ZeroMQ socket that binds or connects there needs ZMQ_IPV6 first.
inline bool isIpv6Address(const std::string& address)
{
    return address.starts_with('[');
}
struct TcpEndpoint {
    std::string address;
    std::string port;
    bool isIpv6() const { return isIpv6Address(address); }
};
Result<TcpEndpoint> parseTcpEndpoint(const std::string& text, bool anyPort, const char* option);

// The public key of a secret one (both Z85).
std::string publicKeyOf(const std::string& secretKey);
// The first characters of a key, for a message.
std::string shortKey(const std::string& key);

} // namespace ipccore::detail
