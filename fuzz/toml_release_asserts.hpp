#pragma once
/// @file
/// Force-included (-include) into every fuzz source: toml++'s internal assertions compiled out,
/// as in the library recsys links (Debian's libtomlplusplus.so, a release build). toml++ 3.3's
/// parser asserts on some malformed input that it then rejects with a parse error anyway (e.g.
/// a table header `[@a]`: parser.inl, parse_key), so with the assertions the fuzzer would only
/// find those; without them it tests the code that runs in recsys-host. (Not NDEBUG: with
/// clang, toml++ would turn each assertion into __builtin_assume, which the release library,
/// built with GCC, does not do.)
#define TOML_ASSERT(expr) static_cast<void>(0)
