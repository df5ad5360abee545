// The factories of channel.h: each transport's family (channel_family.h) does the work, in a file of its own.

#include "ipccore/channel.h"

#include "channel_family.h"
#include "ipccore/message_queue.h"
#include "ipccore/semaphore.h"
#include "ipccore/shared_memory.h"
#include "ipccore/stream.h"
#include "sys_error.h"

#include <algorithm>

namespace ipccore {

namespace {

const detail::ChannelFamily& familyOf(TransportKind kind)
{
    switch (kind) {
    case TransportKind::Mq:
        return detail::mqFamily();
    case TransportKind::ShmRing:
    case TransportKind::Rendezvous:
        return detail::ringFamily();
    case TransportKind::ShmValue:
        return detail::valueFamily();
    case TransportKind::ShmSpsc:
        return detail::spscFamily();
    case TransportKind::Fifo:
    case TransportKind::Socket:
    case TransportKind::Pipe:
    case TransportKind::SocketPair:
        return detail::streamFamily();
    case TransportKind::ShmArray:
    case TransportKind::Semaphore:
    case TransportKind::Global:
        return detail::programObjectFamily();
    case TransportKind::Zmq:
    case TransportKind::ZmqPub:
    case TransportKind::ZmqTcp:
    case TransportKind::ZmqPubTcp:
        return detail::zmqFamily();
    }
    return detail::mqFamily(); // unreachable: every TransportKind is listed above
}

} // namespace

namespace shmlayout {
std::uint32_t ringSlotStride(std::uint32_t messageSize)
{
    return (messageSize + 63u) & ~63u;
}
std::size_t ringBytes(std::uint32_t capacity, std::uint32_t messageSize)
{
    return RingHeaderBytes + std::size_t(capacity) * ringSlotStride(messageSize);
}
std::size_t valueBytes(std::uint32_t messageSize)
{
    return ValueHeaderBytes + messageSize;
}
std::size_t spscBytes(std::uint32_t capacity, std::uint32_t messageSize)
{
    return SpscHeaderBytes + std::size_t(capacity) * ringSlotStride(messageSize);
}
} // namespace shmlayout

std::size_t streamReadAheadBytes(std::size_t messageSize)
{
    return std::max<std::size_t>(65536, 2 * messageSize);
}

std::vector<OsName> channelOsNames(const ChannelAddress& a)
{
    return familyOf(a.transport).osNames(a);
}

Status removeOsName(const OsName& n)
{
    if (n.kind == "mq")
        return MessageQueue::unlink(n.name);
    if (n.kind == "shm")
        return SharedMemory::unlink(n.name);
    if (n.kind == "sem")
        return NamedSemaphore::unlink(n.name);
    if (n.kind == "path")
        return removePath(n.name);
    return detail::makeError(ErrorCode::InvalidArgument, "remove", n.name, "Unknown object kind '" + n.kind + "'");
}

Result<std::unique_ptr<ChannelObject>> ChannelObject::create(const ChannelAddress& a)
{
    return familyOf(a.transport).create(a);
}

Result<std::unique_ptr<ProducerEndpoint>> openProducer(const ChannelAddress& a, WaitHooks& hooks)
{
    return familyOf(a.transport).openProducer(a, hooks);
}

Result<std::unique_ptr<ConsumerEndpoint>> openConsumer(const ChannelAddress& a)
{
    return familyOf(a.transport).openConsumer(a);
}

} // namespace ipccore
