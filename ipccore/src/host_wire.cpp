#include "host_wire.h"

#include "key_files.h"
#include "sys_error.h"

#include <zmq.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace ipccore::detail {

Error zmqError(const char* operation, const std::string& object, int err, std::string hint)
{
    if (hint.empty())
        hint = std::string("ZeroMQ: ") + zmq_strerror(err);
    return makeError(detail::errnoToCode(err), operation, object, hint, err);
}

ZmqContext::ZmqContext()
    : m_context(zmq_ctx_new())
{ }

ZmqContext::~ZmqContext()
{
    for (void* s : m_sockets)
        zmq_close(s);
    while (m_context && zmq_ctx_term(m_context) != 0 && errno == EINTR) { }
}

void* ZmqContext::socket(int type)
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

std::vector<std::string> receiveFrames(void* socket, int flags, std::string* userId)
{
    std::vector<std::string> frames;
    for (;;) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, socket, frames.empty() ? flags : 0) < 0) {
            zmq_msg_close(&part);
            return {};
        }
        if (userId && frames.empty()) {
            const char* id = zmq_msg_gets(&part, "User-Id");
            *userId = id ? id : "";
        }
        frames.emplace_back(static_cast<const char*>(zmq_msg_data(&part)), zmq_msg_size(&part));
        const bool more = zmq_msg_more(&part);
        zmq_msg_close(&part);
        if (!more)
            return frames;
    }
}

bool nestedWithin(std::string_view json, int depth)
{
    int level = 0;
    bool inString = false;
    for (std::size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
        } else if (c == '"')
            inString = true;
        else if ((c == '[' || c == '{') && ++level > depth)
            return false;
        else if (c == ']' || c == '}')
            --level;
    }
    return true;
}

bool sendFrames(void* socket, const std::vector<std::string>& frames)
{
    for (std::size_t i = 0; i < frames.size(); ++i)
        if (zmq_send(socket, frames[i].data(), frames[i].size(), i + 1 < frames.size() ? ZMQ_SNDMORE : 0) < 0)
            return false;
    return true;
}

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

} // namespace ipccore::detail
