#pragma once
/// @file
/// recsys-host's command line: each subcommand's synopsis, options and examples, the help
/// printed for `recsys-host --help` and `recsys-host <command> --help`, and the check that an
/// option given belongs to the command it was given to.

#include <string>
#include <vector>

#include <boost/program_options.hpp>

namespace recsys::host {

/// One subcommand as its help presents it.
struct CommandSpec {
  std::string name;                  ///< "run"
  std::string synopsis;              ///< "recsys-host run PIPELINE.toml [--set KEY=VALUE ...] ..."
  std::string description;           ///< what it does, a few lines
  std::vector<std::string> options;  ///< the long names of its own options ("set", "resume")
  std::string examples;              ///< command lines a user can adapt, one a line
};

/// Every subcommand, in the order `--help` lists them.
const std::vector<CommandSpec>& command_specs();

/// The subcommand named `name`, or nullptr.
const CommandSpec* find_command(const std::string& name);

/// Every option of every command plus the common ones (--help, --version, --log-level), for
/// the one parse of the command line.
boost::program_options::options_description all_options();

/// `recsys-host --help`: the synopses, one line per command, and where to read more.
std::string global_help();

/// `recsys-host <command> --help`: its synopsis, description, options and examples.
std::string command_help(const CommandSpec& command);

/// Throws boost::program_options::error when an option was given that `command` does not
/// take ("--path is an option of plugins, not of run"). Defaulted options are not "given".
void check_options_belong(const CommandSpec& command, const boost::program_options::variables_map& vm);

}  // namespace recsys::host
