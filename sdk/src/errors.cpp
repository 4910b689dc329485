#include "recsys/errors.hpp"

namespace recsys {

Error::Error(const std::string& message) : std::runtime_error(message) {}
Error::~Error() = default;

ConfigError::ConfigError(const std::string& message) : Error(message) {}
ConfigError::~ConfigError() = default;

DataError::DataError(const std::string& file, std::size_t line, const std::string& message)
    : Error(line > 0 ? file + ":" + std::to_string(line) + ": " + message : file + ": " + message),
      file_(file),
      line_(line) {}
DataError::~DataError() = default;

PluginError::PluginError(const std::string& path, const std::string& reason)
    : Error(path + ": " + reason), path_(path), reason_(reason) {}
PluginError::~PluginError() = default;
PluginLoadError::~PluginLoadError() = default;
NotAPluginError::~NotAPluginError() = default;
PluginApiVersionError::~PluginApiVersionError() = default;
InvalidManifestError::~InvalidManifestError() = default;
PluginAbiError::~PluginAbiError() = default;
PluginFactoryError::~PluginFactoryError() = default;
DuplicatePluginError::~DuplicatePluginError() = default;
PluginNotFoundError::~PluginNotFoundError() = default;

}  // namespace recsys
