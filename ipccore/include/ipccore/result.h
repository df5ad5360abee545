#pragma once

// Error and Result: how every fallible ipccore call reports failure. ipccore throws nothing across its API.
// Result<T> mirrors std::expected's member names (has_value, value, error, operator*) because clang 14 has no
// <expected>; when the toolchain catches up it can become an alias.

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ipccore {

enum class ErrorCode {
    NotFound,
    AlreadyExists,
    PermissionDenied,
    WouldBlock,
    TimedOut,
    LimitReached,
    InvalidArgument,
    MessageTooLarge,
    NotSupported,
    PeerGone,
    Interrupted,
    Corrupt,
    Unexpected,
};

const char* errorCodeName(ErrorCode code);

// One failure: what was attempted (operation), on which object (object), the errno if the OS said no,
// and a hint a student can act on ("... Use a depth of at most 10 or raise fs.mqueue.msg_max").
struct Error {
    ErrorCode code = ErrorCode::Unexpected;
    int sysErrno = 0;
    std::string operation;
    std::string object;
    std::string hint;

    // "mq_open("/ipclab-x-jobs") failed: limit reached (EINVAL): <hint>"
    std::string message() const;
};

template <typename T> class [[nodiscard]] Result {
public:
    Result(T value)
        : m_value(std::in_place_index<0>, std::move(value))
    { }
    Result(Error error)
        : m_value(std::in_place_index<1>, std::move(error))
    { }

    bool has_value() const { return m_value.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() &
    {
        assert(has_value());
        return std::get<0>(m_value);
    }
    const T& value() const&
    {
        assert(has_value());
        return std::get<0>(m_value);
    }
    T&& value() &&
    {
        assert(has_value());
        return std::get<0>(std::move(m_value));
    }
    const Error& error() const
    {
        assert(!has_value());
        return std::get<1>(m_value);
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

private:
    std::variant<T, Error> m_value;
};

template <> class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error)
        : m_error(std::move(error))
    { }
    bool has_value() const { return !m_error.has_value(); }
    explicit operator bool() const { return has_value(); }
    void value() const { assert(has_value()); }
    const Error& error() const
    {
        assert(!has_value());
        return *m_error;
    }

private:
    std::optional<Error> m_error;
};

using Status = Result<void>;

} // namespace ipccore
