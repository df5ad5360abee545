#pragma once

// POSIX message queue (mq_open) as a move-only RAII handle.
//
// Ownership: a queue made by create() owns its name and unlinks it when destroyed (unless release() is called);
// open() never unlinks. Closing is not unlinking: messages stay in the kernel until the name is unlinked and the
// last descriptor is closed.
//
// Blocking: the descriptor is always O_NONBLOCK; blocking and timed calls wait with ppoll on CLOCK_MONOTONIC, so a
// wall-clock step cannot move a deadline, and EINTR is retried with the remaining time.
//   send/receive        block until done.
//   trySend/tryReceive  return WouldBlock at once when the queue is full/empty.
//   sendFor/receiveFor  return TimedOut after the timeout (0 behaves like try*).

#include "ipccore/clock.h"
#include "ipccore/limits.h"
#include "ipccore/result.h"

#include <cstddef>
#include <span>
#include <string>

namespace ipccore {

enum class Access { ReadOnly, WriteOnly, ReadWrite };

struct MqAttributes {
    long capacity = 0; // mq_maxmsg
    long messageSize = 0; // mq_msgsize
    long depth = 0; // mq_curmsgs: messages waiting now
};

struct Received {
    std::size_t size = 0;
    unsigned priority = 0;
};

class MessageQueue {
public:
    // Creates a new queue (O_CREAT|O_EXCL, mode 0600). Fails with AlreadyExists if the name is taken, LimitReached
    // when depth/messageSize exceed fs.mqueue.msg_max/msgsize_max or the per-user RLIMIT_MSGQUEUE is used up.
    static Result<MessageQueue> create(
        const std::string& name, long capacity, long messageSize, Access access = Access::ReadWrite);
    // Opens an existing queue; NotFound if it does not exist, PermissionDenied if another user owns it.
    static Result<MessageQueue> open(const std::string& name, Access access);
    // Opens the queue, creating it if missing. Owns (and later unlinks) the name only if this call created it.
    static Result<MessageQueue> openOrCreate(
        const std::string& name, long capacity, long messageSize, Access access = Access::ReadWrite);
    // Removes a name. NotFound if there is none.
    static Status unlink(const std::string& name);

    MessageQueue(MessageQueue&& other) noexcept;
    MessageQueue& operator=(MessageQueue&& other) noexcept;
    MessageQueue(const MessageQueue&) = delete;
    MessageQueue& operator=(const MessageQueue&) = delete;
    ~MessageQueue();

    // priority 0..32767; higher priorities are received first. MessageTooLarge if data exceeds messageSize().
    Status send(std::span<const std::byte> data, unsigned priority = 0);
    Status trySend(std::span<const std::byte> data, unsigned priority = 0);
    Status sendFor(std::span<const std::byte> data, unsigned priority, Duration timeout);

    // buffer must hold messageSize() bytes (checked: InvalidArgument otherwise).
    Result<Received> receive(std::span<std::byte> buffer);
    Result<Received> tryReceive(std::span<std::byte> buffer);
    Result<Received> receiveFor(std::span<std::byte> buffer, Duration timeout);

    // Current capacity, message size and depth (mq_getattr). Never blocks.
    Result<MqAttributes> attributes() const;

    long capacity() const { return m_capacity; }
    long messageSize() const { return m_messageSize; }
    const std::string& name() const { return m_name; }
    int nativeHandle() const { return m_mqd; }
    bool ownsName() const { return m_owner; }
    // Keeps the name in the system when this handle is destroyed.
    void release() { m_owner = false; }

private:
    MessageQueue(std::string name, int mqd, long capacity, long messageSize, Access access, bool owner);
    Status sendImpl(std::span<const std::byte> data, unsigned priority, long long timeoutNs);
    Result<Received> receiveImpl(std::span<std::byte> buffer, long long timeoutNs);
    void reset();

    std::string m_name;
    int m_mqd = -1;
    long m_capacity = 0;
    long m_messageSize = 0;
    Access m_access = Access::ReadWrite;
    bool m_owner = false;
};

} // namespace ipccore
