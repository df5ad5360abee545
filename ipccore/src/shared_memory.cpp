#include "ipccore/shared_memory.h"

#include "ipccore/limits.h"
#include "ipccore/names.h"
#include "sys_error.h"

#include <cstdio>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ipccore {

static std::string octalMode(mode_t mode)
{
    char text[8];
    std::snprintf(text, sizeof text, "%04o", unsigned(mode & 07777));
    return text;
}

SharedMemory::SharedMemory(std::string name, void* data, std::size_t size, bool writable, bool owner)
    : m_name(std::move(name))
    , m_data(data)
    , m_size(size)
    , m_writable(writable)
    , m_owner(owner)
{ }

SharedMemory::SharedMemory(SharedMemory&& other) noexcept
    : m_name(std::move(other.m_name))
    , m_data(std::exchange(other.m_data, nullptr))
    , m_size(std::exchange(other.m_size, 0))
    , m_writable(other.m_writable)
    , m_owner(std::exchange(other.m_owner, false))
{ }

SharedMemory& SharedMemory::operator=(SharedMemory&& other) noexcept
{
    if (this != &other) {
        reset();
        m_name = std::move(other.m_name);
        m_data = std::exchange(other.m_data, nullptr);
        m_size = std::exchange(other.m_size, 0);
        m_writable = other.m_writable;
        m_owner = std::exchange(other.m_owner, false);
    }
    return *this;
}

SharedMemory::~SharedMemory()
{
    reset();
}

void SharedMemory::reset()
{
    if (m_data)
        munmap(m_data, m_size);
    if (m_owner)
        shm_unlink(m_name.c_str());
    m_data = nullptr;
    m_size = 0;
    m_owner = false;
}

Result<SharedMemory> SharedMemory::create(const std::string& name, std::size_t size)
{
    if (auto st = validateObjectName(name); !st)
        return st.error();
    if (size == 0 || size > MaxShmBytes)
        return detail::makeError(ErrorCode::InvalidArgument, "shm_open", name,
            "Size " + std::to_string(size) + " bytes is out of range; use 1 to " + std::to_string(MaxShmBytes)
                + " bytes",
            EINVAL);
    const int fd = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return detail::sysError("shm_open", name, errno);
    auto fail = [&](const char* op, int err, std::string hint = {}) -> Result<SharedMemory> {
        close(fd);
        shm_unlink(name.c_str()); // nothing half-made stays behind
        return detail::sysError(op, name, err, std::move(hint));
    };
    fchmod(fd, 0600);
    if (ftruncate(fd, off_t(size)) != 0)
        return fail("ftruncate", errno);
    // tmpfs files are sparse: without reserving the pages, a full /dev/shm shows up as SIGBUS at the first write.
    if (const int err = posix_fallocate(fd, 0, off_t(size)); err != 0)
        return fail("posix_fallocate", err,
            err == ENOSPC ? "/dev/shm has less than " + std::to_string(size)
                    + " bytes free. Free space in /dev/shm (df -h /dev/shm) or use a smaller size"
                          : std::string {});
    void* data = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (data == MAP_FAILED)
        return fail("mmap", errno);
    close(fd);
    return SharedMemory(name, data, size, true, true);
}

Result<SharedMemory> SharedMemory::open(const std::string& name, Access access, std::size_t expectedSize)
{
    if (auto st = validateObjectName(name); !st)
        return st.error();
    const bool writable = access != Access::ReadOnly;
    const int fd = shm_open(name.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
    if (fd < 0)
        return detail::sysError("shm_open", name, errno);
    struct stat st { };
    if (fstat(fd, &st) != 0) {
        const int err = errno;
        close(fd);
        return detail::sysError("fstat", name, err);
    }
    if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        close(fd);
        return detail::makeError(ErrorCode::PermissionDenied, "shm_open", name,
            "The object belongs to uid " + std::to_string(st.st_uid) + " with mode " + octalMode(st.st_mode)
                + "; ipccore only attaches to objects of its own user with mode 0600 (someone else may have "
                  "created this name first)");
    }
    const std::size_t size = std::size_t(st.st_size);
    if (size == 0 || (expectedSize != 0 && size != expectedSize)) {
        close(fd);
        return detail::makeError(ErrorCode::Corrupt, "shm_open", name,
            "The object has " + std::to_string(size) + " bytes but " + std::to_string(expectedSize)
                + " were expected; it was made by another program or truncated");
    }
    void* data = mmap(nullptr, size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    const int err = errno;
    close(fd);
    if (data == MAP_FAILED)
        return detail::sysError("mmap", name, err);
    return SharedMemory(name, data, size, writable, false);
}

Status SharedMemory::unlink(const std::string& name)
{
    if (auto st = validateObjectName(name); !st)
        return st.error();
    if (shm_unlink(name.c_str()) != 0)
        return detail::sysError("shm_unlink", name, errno);
    return {};
}

} // namespace ipccore
