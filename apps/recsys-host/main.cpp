// recsys-host: trains and evaluates recommender pipelines built from plugins.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "recsys/errors.hpp"
#include "recsys/plugin.hpp"

namespace po = boost::program_options;
using namespace recsys::host;

namespace {

constexpr const char* kUsage =
    "Usage:\n"
    "  recsys-host run PIPELINE.toml [--set section.key=value ...] [--resume RUN_DIR]\n"
    "  recsys-host launch --nproc N PIPELINE.toml [run options]\n"
    "  recsys-host evaluate RUN_DIR [--split test|validation] [--checkpoint best|last]\n"
    "  recsys-host recommend RUN_DIR --user ID [--k 10] [--format table|json|csv]\n"
    "  recsys-host plugins [--path DIR ...] | plugins --check FILE\n"
    "  recsys-host --help | --version\n\n"
    "Commands:\n"
    "  run       train, validate and test the pipeline the TOML file describes; --resume\n"
    "            continues the run in RUN_DIR from its last checkpoint\n"
    "  launch    run data-parallel on N local ranks (c10d, [distributed] backend); under\n"
    "            torchrun, SLURM or MPI, start `run` itself: it reads RANK, WORLD_SIZE,\n"
    "            MASTER_ADDR and MASTER_PORT\n"
    "  evaluate  recompute a finished run's metrics from a checkpoint\n"
    "  recommend the top-k items for a user (original ids), leaving out the user's positives\n"
    "  plugins   list the plugin libraries found, what they provide and their status;\n"
    "            --check FILE runs the conformance suite on one library\n\n"
    "Plugins are searched in lib/recsys/plugins beside the executable, in RECSYS_PLUGIN_PATH\n"
    "(colon-separated) and in the pipeline's [plugins] paths.\n"
    "Exit status: 0 success, 1 failure at run time, 2 bad usage or configuration.\n";

po::options_description general_options() {
  po::options_description general("Options");
  // One option a line.
  // clang-format off
  general.add_options()
      ("help,h", "show this help")
      ("version", "show the version")
      ("log-level", po::value<std::string>()->default_value("info"),
       "trace, debug, info, warn, error or off")
      ("set", po::value<std::vector<std::string>>()->composing(),
       "run: override a config value, section.key=value (value read as TOML; a bare word is a string)")
      ("path", po::value<std::vector<std::string>>()->composing(), "plugins: also scan this directory")
      ("check", po::value<std::string>(), "plugins: load this one library and run the conformance suite on it")
      ("resume", po::value<std::string>(), "run: continue the run in this directory from checkpoints/last.pt")
      ("nproc", po::value<int>(), "launch: number of local ranks")
      ("master-port", po::value<int>(), "launch: rendezvous port on 127.0.0.1 (default: a free one)")
      ("split", po::value<std::string>()->default_value("test"), "evaluate: test or validation")
      ("checkpoint", po::value<std::string>()->default_value("best"), "evaluate: best or last")
      ("user", po::value<std::int64_t>(), "recommend: the user's id in the dataset")
      ("k", po::value<std::int64_t>()->default_value(10), "recommend: how many items")
      ("format", po::value<std::string>()->default_value("table"), "recommend: table, json or csv");
  // clang-format on
  return general;
}

/// Logs and the progress bar go to stderr; stdout carries only results (tables, JSON, CSV).
/// Under data parallelism rank 0 logs; the other ranks report only warnings and errors.
void configure_logging(const std::string& level) {
  const auto parsed_level = spdlog::level::from_str(level);
  if (parsed_level == spdlog::level::off && level != "off") {
    throw po::error("--log-level: unknown level '" + level + "'");
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("recsys"));
  spdlog::set_level(parsed_level);
  spdlog::set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
  if (const char* rank = std::getenv("RANK"); rank && *rank && std::string(rank) != "0") {
    const char* world = std::getenv("WORLD_SIZE");
    if (world && std::string(world) != "1") {
      spdlog::set_level(std::max(parsed_level, spdlog::level::warn));
      spdlog::set_pattern(std::string("[%H:%M:%S.%e] [rank ") + rank + "] [%^%l%$] %v");
    }
  }
}

/// A parsed command line: the command, its positional arguments and the options.
struct CommandLine {
  std::string command;
  std::vector<std::string> args, sets, paths;
  po::variables_map vm;

  std::optional<std::string> optional_string(const char* name) const {
    if (!vm.count(name)) return std::nullopt;
    return vm[name].as<std::string>();
  }
};

std::vector<std::string> strings(const po::variables_map& vm, const char* name) {
  return vm.count(name) ? vm[name].as<std::vector<std::string>>() : std::vector<std::string>{};
}

int run_or_launch(const CommandLine& line) {
  const auto resume = line.optional_string("resume");
  if (line.command == "run") {
    if (!line.paths.empty()) {
      throw po::error("--path belongs to the plugins command; use [plugins] paths in the pipeline");
    }
    if (line.args.size() != 1) throw po::error("run expects exactly one PIPELINE.toml");
    return run_command(line.args.front(), line.sets, resume);
  }
  if (!line.vm.count("nproc")) throw po::error("launch needs --nproc N");
  if (line.args.size() != 1) throw po::error("launch expects exactly one PIPELINE.toml");
  std::vector<std::string> run_arguments{line.args.front(), "--log-level", line.vm["log-level"].as<std::string>()};
  for (const auto& set : line.sets) run_arguments.insert(run_arguments.end(), {"--set", set});
  if (resume) run_arguments.insert(run_arguments.end(), {"--resume", *resume});
  std::optional<int> port;
  if (line.vm.count("master-port")) port = line.vm["master-port"].as<int>();
  return launch_command(line.vm["nproc"].as<int>(), port, run_arguments);
}

int dispatch(const CommandLine& line) {
  const po::variables_map& vm = line.vm;
  if (line.command == "run" || line.command == "launch") return run_or_launch(line);
  if (line.command == "evaluate") {
    if (line.args.size() != 1) throw po::error("evaluate expects exactly one RUN_DIR");
    return evaluate_command(line.args.front(), vm["split"].as<std::string>(), vm["checkpoint"].as<std::string>());
  }
  if (line.command == "recommend") {
    if (line.args.size() != 1) throw po::error("recommend expects exactly one RUN_DIR");
    if (!vm.count("user")) throw po::error("recommend needs --user ID");
    return recommend_command(line.args.front(), vm["user"].as<std::int64_t>(), vm["k"].as<std::int64_t>(),
                             vm["format"].as<std::string>());
  }
  if (line.command == "plugins") {
    if (!line.args.empty()) throw po::error("plugins takes no positional argument");
    if (!line.sets.empty()) throw po::error("--set belongs to the run command");
    if (vm.count("check")) return check_plugin_command(vm["check"].as<std::string>());
    return plugins_command(line.paths);
  }
  throw po::error("unknown command '" + line.command + "' (expected run, launch, evaluate, recommend or plugins)");
}

int parse_and_dispatch(int argc, char** argv) {
  const po::options_description general = general_options();
  po::options_description hidden;
  hidden.add_options()("command", po::value<std::string>())("args", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(general).add(hidden);
  po::positional_options_description positional;
  positional.add("command", 1).add("args", -1);

  CommandLine line;
  po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), line.vm);
  po::notify(line.vm);
  if (line.vm.count("help")) {
    std::cout << kUsage << "\n" << general;
    return kSuccess;
  }
  if (line.vm.count("version")) {
    std::cout << "recsys-host " << RECSYS_VERSION << " (plugin API " << RECSYS_PLUGIN_API_MAJOR << "."
              << RECSYS_PLUGIN_API_MINOR << ")\n";
    return kSuccess;
  }
  configure_logging(line.vm["log-level"].as<std::string>());
  if (!line.vm.count("command")) throw po::error("no command given");
  line.command = line.vm["command"].as<std::string>();
  line.args = strings(line.vm, "args");
  line.sets = strings(line.vm, "set");
  line.paths = strings(line.vm, "path");
  return dispatch(line);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return parse_and_dispatch(argc, argv);
  } catch (const po::error& e) {
    std::cerr << "recsys-host: " << e.what() << "\n\n" << kUsage;
    return kUsageError;
  } catch (const recsys::ConfigError& e) {
    spdlog::error("{}", e.what());
    return kUsageError;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kRuntimeFailure;
  }
}
