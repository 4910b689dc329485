#pragma once
/// @file
/// `recsys-host serve`: the Service behind an HTTP/1.1 server (Debian's cpp-httplib 0.11),
/// with a bounded connection queue of our own (cpp-httplib's is unbounded), a body limit, and
/// signals: SIGHUP reloads the checkpoint, SIGTERM and SIGINT finish the requests in flight and
/// return 0. docs/serving.md.

#include "recsys/core/serving/service.hpp"

namespace recsys::core::serving {

/// Opens the run, listens on options.host:options.port (printing "listening on
/// http://HOST:PORT" to stdout once it does) and serves until SIGTERM or SIGINT. Returns 0.
/// Throws recsys::Error when the address cannot be bound, and what ServedRun::open throws.
/// Blocks SIGHUP, SIGINT and SIGTERM in the calling thread (and so in the threads it starts).
int serve(const ServeOptions& options);

}  // namespace recsys::core::serving
