#include "ipccore/semaphore.h"

#include "ipccore/names.h"
#include "sys_error.h"

#include <algorithm>
#include <climits>
#include <fcntl.h>
#include <sys/stat.h>

namespace ipccore {

NamedSemaphore::NamedSemaphore(std::string name, sem_t* sem, bool owner)
    : m_name(std::move(name))
    , m_sem(sem)
    , m_owner(owner)
{ }

NamedSemaphore::NamedSemaphore(NamedSemaphore&& other) noexcept
    : m_name(std::move(other.m_name))
    , m_sem(std::exchange(other.m_sem, nullptr))
    , m_owner(std::exchange(other.m_owner, false))
{ }

NamedSemaphore& NamedSemaphore::operator=(NamedSemaphore&& other) noexcept
{
    if (this != &other) {
        reset();
        m_name = std::move(other.m_name);
        m_sem = std::exchange(other.m_sem, nullptr);
        m_owner = std::exchange(other.m_owner, false);
    }
    return *this;
}

NamedSemaphore::~NamedSemaphore()
{
    reset();
}

void NamedSemaphore::reset()
{
    if (m_sem)
        sem_close(m_sem);
    if (m_owner)
        sem_unlink(m_name.c_str());
    m_sem = nullptr;
    m_owner = false;
}

Result<NamedSemaphore> NamedSemaphore::create(const std::string& name, unsigned initialValue)
{
    if (auto st = validateObjectName(name); !st)
        return st.error();
    if (initialValue > unsigned(SEM_VALUE_MAX))
        return detail::makeError(ErrorCode::InvalidArgument, "sem_open", name,
            "Initial value " + std::to_string(initialValue) + " exceeds SEM_VALUE_MAX (" + std::to_string(SEM_VALUE_MAX)
                + ")",
            EINVAL);
    sem_t* sem = sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, initialValue);
    if (sem == SEM_FAILED)
        return detail::sysError("sem_open", name, errno);
    return NamedSemaphore(name, sem, true);
}

Result<NamedSemaphore> NamedSemaphore::open(const std::string& name)
{
    if (auto st = validateObjectName(name); !st)
        return st.error();
    sem_t* sem = sem_open(name.c_str(), 0);
    if (sem == SEM_FAILED)
        return detail::sysError("sem_open", name, errno);
    return NamedSemaphore(name, sem, false);
}

Status NamedSemaphore::unlink(const std::string& name)
{
    if (auto st = validateObjectName(name); !st)
        return st.error();
    if (sem_unlink(name.c_str()) != 0)
        return detail::sysError("sem_unlink", name, errno);
    return {};
}

Status NamedSemaphore::post()
{
    if (sem_post(m_sem) != 0) {
        if (errno == EOVERFLOW)
            return detail::sysError("sem_post", m_name, errno,
                "The semaphore is at its maximum value SEM_VALUE_MAX (" + std::to_string(SEM_VALUE_MAX) + ")");
        return detail::sysError("sem_post", m_name, errno);
    }
    return {};
}

Status NamedSemaphore::wait()
{
    if (detail::retryOnEintr([&] { return sem_wait(m_sem); }) != 0)
        return detail::sysError("sem_wait", m_name, errno);
    return {};
}

Status NamedSemaphore::tryWait()
{
    if (detail::retryOnEintr([&] { return sem_trywait(m_sem); }) != 0) {
        if (errno == EAGAIN)
            return detail::makeError(ErrorCode::WouldBlock, "sem_trywait", m_name,
                "The semaphore's value is 0; another process must post first", EAGAIN);
        return detail::sysError("sem_trywait", m_name, errno);
    }
    return {};
}

Result<bool> NamedSemaphore::tryTake()
{
    if (detail::retryOnEintr([&] { return sem_trywait(m_sem); }) == 0)
        return true;
    if (errno == EAGAIN)
        return false;
    return detail::sysError("sem_trywait", m_name, errno);
}

Status NamedSemaphore::waitFor(Duration timeout)
{
    const std::uint64_t deadline = monotonicNs() + std::uint64_t(std::max<long long>(timeout.count(), 0));
    const timespec ts = toTimespec(deadline);
    // sem_clockwait retries with the same absolute deadline, so EINTR cannot stretch the wait.
    if (detail::retryOnEintr([&] { return sem_clockwait(m_sem, CLOCK_MONOTONIC, &ts); }) != 0) {
        if (errno == ETIMEDOUT)
            return detail::makeError(ErrorCode::TimedOut, "sem_clockwait", m_name,
                "The semaphore stayed at 0 for the whole timeout", ETIMEDOUT);
        return detail::sysError("sem_clockwait", m_name, errno);
    }
    return {};
}

Result<int> NamedSemaphore::value() const
{
    int v = 0;
    if (sem_getvalue(m_sem, &v) != 0)
        return detail::sysError("sem_getvalue", m_name, errno);
    return v;
}

} // namespace ipccore
