#pragma once
/// @file
/// Fetching a MovieLens archive: HTTPS download (libcurl), checksum verification (OpenSSL),
/// unpacking (libarchive). Nothing half-written is ever left in the data directory: the
/// archive and its contents go to temporary names first, and only a verified, fully unpacked
/// folder is renamed into place.

#include <filesystem>
#include <string>

namespace recsys::movielens {

struct DownloadRequest {
  std::string url;               ///< the archive, e.g. <base_url>ml-100k.zip
  std::filesystem::path parent;  ///< where the archive's top folder goes
  std::string folder;            ///< the archive's top folder, e.g. "ml-100k"
  std::string algorithm;         ///< "md5" or "sha256"
  std::string expected;          ///< hex digest
  bool strict = true;            ///< false: a mismatch is a warning (rolling releases)
};

/// Downloads, verifies and unpacks; afterwards `parent/folder` holds the archive's files.
/// Throws recsys::Error with the reason (offline, TLS, HTTP status, checksum mismatch, an
/// entry escaping the folder), saying where the files can be placed by hand.
void download_and_unpack(const DownloadRequest& request);

/// Hex digest ("md5" or "sha256") of a file. Throws recsys::Error.
std::string file_digest(const std::filesystem::path& file, const std::string& algorithm);

}  // namespace recsys::movielens
