// The server's version, reported by GetInfo.
#pragma once

namespace switchback::server {
inline constexpr char kVersion[] = "0.1.0";
}  // namespace switchback::server
