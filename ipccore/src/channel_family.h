#pragma once

// The transport families behind the factories of channel.h, one source file each: mq_channel.cpp,
// ring_channel.cpp, value_channel.cpp, spsc_channel.cpp, stream_channel.cpp (FIFO and Unix socket),
// program_objects.cpp (shm-array and semaphore) and zmq_channel.cpp (ZeroMQ). channel.cpp picks a transport's family; a
// family knows the OS names its objects use, creates the runner's object, and opens the workers' endpoints. A new
// transport is a row in transport.h, a family here (or a case in one), and its tests.

#include "ipccore/channel.h"
#include "ipccore/shared_memory.h"
#include "sys_error.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace ipccore::detail {

class ChannelFamily {
public:
    virtual ~ChannelFamily() = default;
    // Every OS name the object uses, in creation order (see channelOsNames).
    virtual std::vector<OsName> osNames(const ChannelAddress& a) const = 0;
    virtual Result<std::unique_ptr<ChannelObject>> create(const ChannelAddress& a) const = 0;
    virtual Result<std::unique_ptr<ProducerEndpoint>> openProducer(const ChannelAddress& a, WaitHooks& hooks) const = 0;
    virtual Result<std::unique_ptr<ConsumerEndpoint>> openConsumer(const ChannelAddress& a) const = 0;
};

const ChannelFamily& mqFamily();
const ChannelFamily& ringFamily();
const ChannelFamily& valueFamily();
const ChannelFamily& spscFamily();
const ChannelFamily& streamFamily();
const ChannelFamily& programObjectFamily();
const ChannelFamily& zmqFamily();
// How soon a ZeroMQ producer tries again to reach a consumer that was not there (ZMQ_RECONNECT_IVL; libzmq's default
// is 100 ms): over ipc:// a producer that connects before its consumer has bound, or toward a consumer started again
// in a dead one's place, would otherwise send nothing for up to a tenth of a second. The bench's bare libzmq loop
// uses it too, so that its ratio compares like with like.
constexpr int ZmqReconnectMs = 10;

// ---- Shared by the families ---------------------------------------------------------------------------------

// The longest single wait: endpoints wait in slices this long (or shorter, see WaitHooks::slice) and ask between
// slices whether to stop.
constexpr Duration WaitSlice = std::chrono::milliseconds(100);
constexpr Duration ConnectTimeout = std::chrono::seconds(5);

// For waits that have no worker behind them (draining at stop): never asked to stop, reports nothing.
class NoHooks final : public WaitHooks {
public:
    void enter(WorkerState) override { }
    bool stopRequested() override { return false; }
};

// One pause in a spin-wait (x86 PAUSE; nothing elsewhere): the shm rings spin briefly before they sleep.
inline void cpuRelax()
{
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}

inline Error stopped(const std::string& name)
{
    return makeError(ErrorCode::Interrupted, "wait", name, "Stop requested");
}

inline bool isCode(const Status& st, ErrorCode code)
{
    return !st && st.error().code == code;
}

// Opens a channel's shared memory, checks its header with `view`, and builds the endpoint from the two.
template <typename Endpoint, typename Base, typename ViewFn>
Result<std::unique_ptr<Base>> openMapped(const ChannelAddress& a, Access access, std::size_t bytes, ViewFn view)
{
    auto shm = SharedMemory::open(a.name, access, bytes);
    if (!shm)
        return shm.error();
    auto checked = view(*shm, a);
    if (!checked)
        return checked.error();
    return std::unique_ptr<Base>(new Endpoint(std::move(*shm), *checked));
}

} // namespace ipccore::detail
