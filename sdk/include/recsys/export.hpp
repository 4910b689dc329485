#pragma once
/// @file
/// Symbol visibility for the SDK support library. Everything is built with hidden
/// visibility; interface and error types carry RECSYS_API so that their type_info and
/// vtables are unique across the host and every plugin (needed for dynamic_cast and for
/// catching a plugin's exception in the host).

#define RECSYS_API __attribute__((visibility("default")))
