#pragma once

// POSIX shared memory (shm_open + ftruncate + mmap) as a move-only RAII mapping.
//
// Ownership: create() owns the name and unlinks it on destruction unless release() is called.
// create() reserves the pages with posix_fallocate, so a full /dev/shm is reported as LimitReached at creation
// instead of a SIGBUS at the first write. open() checks that the object belongs to this user, is not readable
// by others, and has the expected size before mapping it.

#include "ipccore/message_queue.h" // Access
#include "ipccore/result.h"

#include <cstddef>
#include <string>

namespace ipccore {

class SharedMemory {
public:
    // O_CREAT|O_EXCL, mode 0600, zero-filled. size 1..MaxShmBytes.
    static Result<SharedMemory> create(const std::string& name, std::size_t size);
    // expectedSize 0 means "whatever size it has"; otherwise a mismatch is Corrupt.
    static Result<SharedMemory> open(const std::string& name, Access access, std::size_t expectedSize = 0);
    static Status unlink(const std::string& name);

    SharedMemory(SharedMemory&& other) noexcept;
    SharedMemory& operator=(SharedMemory&& other) noexcept;
    SharedMemory(const SharedMemory&) = delete;
    SharedMemory& operator=(const SharedMemory&) = delete;
    ~SharedMemory();

    void* data() const { return m_data; }
    std::size_t size() const { return m_size; }
    const std::string& name() const { return m_name; }
    bool writable() const { return m_writable; }
    bool ownsName() const { return m_owner; }
    void release() { m_owner = false; }

private:
    SharedMemory(std::string name, void* data, std::size_t size, bool writable, bool owner);
    void reset();

    std::string m_name;
    void* m_data = nullptr;
    std::size_t m_size = 0;
    bool m_writable = false;
    bool m_owner = false;
};

} // namespace ipccore
