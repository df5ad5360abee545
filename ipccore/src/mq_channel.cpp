// POSIX message queues: mq_send/mq_receive, non-blocking first, then timed waits in slices.

#include "channel_family.h"

#include "ipccore/message_queue.h"

namespace ipccore {

namespace {

using detail::isCode;
using detail::stopped;
constexpr Duration Slice = detail::WaitSlice;

// ---- POSIX message queue -----------------------------------------------------------------------------------

class MqProducer final : public ProducerEndpoint {
public:
    explicit MqProducer(MessageQueue q)
        : m_queue(std::move(q))
    { }
    Status send(std::span<const std::byte> frame, unsigned priority, WaitHooks& hooks) override
    {
        Status st = m_queue.trySend(frame, priority);
        if (!isCode(st, ErrorCode::WouldBlock))
            return st;
        // A call that may not wait (put_nowait: its deadline has passed already) gives up here, never blocked: it
        // is a missed step, not a wait in the contention table.
        if (hooks.stopRequested())
            return stopped(m_queue.name());
        hooks.enter(WorkerState::BlockedFull);
        for (;;) {
            if (hooks.stopRequested())
                return stopped(m_queue.name());
            // A step's deadline can leave a slice of 0, which sendFor treats as trySend: WouldBlock, not an error.
            st = m_queue.sendFor(frame, priority, hooks.slice(Slice));
            if (!isCode(st, ErrorCode::TimedOut) && !isCode(st, ErrorCode::WouldBlock))
                return st;
        }
    }

private:
    MessageQueue m_queue;
};

class MqConsumer final : public ConsumerEndpoint {
public:
    explicit MqConsumer(MessageQueue q)
        : m_queue(std::move(q))
    { }
    Result<std::size_t> receive(std::span<std::byte> buffer, WaitHooks& hooks) override
    {
        auto r = m_queue.tryReceive(buffer);
        if (r)
            return took(*r);
        if (r.error().code != ErrorCode::WouldBlock)
            return r.error();
        if (hooks.stopRequested()) // get_nowait (see send)
            return stopped(m_queue.name());
        hooks.enter(WorkerState::BlockedEmpty);
        for (;;) {
            if (hooks.stopRequested())
                return stopped(m_queue.name());
            r = m_queue.receiveFor(buffer, hooks.slice(Slice)); // a slice of 0 (see send): WouldBlock
            if (r)
                return took(*r);
            if (r.error().code != ErrorCode::TimedOut && r.error().code != ErrorCode::WouldBlock)
                return r.error();
        }
    }
    Result<std::size_t> tryReceive(std::span<std::byte> buffer, WaitHooks&) override
    {
        auto r = m_queue.tryReceive(buffer);
        if (r)
            return took(*r);
        if (r.error().code == ErrorCode::WouldBlock)
            return std::size_t(0);
        return r.error();
    }
    unsigned lastPriority() const override { return m_lastPriority; }

private:
    std::size_t took(const Received& r)
    {
        m_lastPriority = r.priority;
        return r.size;
    }
    MessageQueue m_queue;
    unsigned m_lastPriority = 0;
};

class MqObject final : public ChannelObject {
public:
    MqObject(ChannelAddress address, MessageQueue q)
        : ChannelObject(std::move(address))
        , m_queue(std::move(q))
    { }
    std::int64_t depth() override
    {
        auto attr = m_queue.attributes();
        return attr ? attr->depth : -1;
    }

private:
    MessageQueue m_queue;
};

class MqFamily final : public detail::ChannelFamily {
public:
    std::vector<OsName> osNames(const ChannelAddress& a) const override { return { { "mq", a.name } }; }
    Result<std::unique_ptr<ChannelObject>> create(const ChannelAddress& a) const override
    {
        auto q = MessageQueue::create(a.name, a.capacity, a.messageSize, Access::ReadOnly);
        if (!q)
            return q.error();
        return std::unique_ptr<ChannelObject>(new MqObject(a, std::move(*q)));
    }
    Result<std::unique_ptr<ProducerEndpoint>> openProducer(const ChannelAddress& a, WaitHooks&) const override
    {
        auto q = MessageQueue::open(a.name, Access::WriteOnly);
        if (!q)
            return q.error();
        return std::unique_ptr<ProducerEndpoint>(new MqProducer(std::move(*q)));
    }
    Result<std::unique_ptr<ConsumerEndpoint>> openConsumer(const ChannelAddress& a) const override
    {
        auto q = MessageQueue::open(a.name, Access::ReadOnly);
        if (!q)
            return q.error();
        return std::unique_ptr<ConsumerEndpoint>(new MqConsumer(std::move(*q)));
    }
};

} // namespace

const detail::ChannelFamily& detail::mqFamily()
{
    static const MqFamily family;
    return family;
}
} // namespace ipccore
