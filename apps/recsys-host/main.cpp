// recsys-host: trains and evaluates recommender pipelines built from plugins.
#include <cstdint>
#include <algorithm>
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

int parse_and_dispatch(int argc, char** argv) {
  po::options_description general("Options");
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
  po::options_description hidden;
  hidden.add_options()("command", po::value<std::string>())("args", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(general).add(hidden);
  po::positional_options_description positional;
  positional.add("command", 1).add("args", -1);

  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
  po::notify(vm);

  if (vm.count("help")) {
    std::cout << kUsage << "\n" << general;
    return kSuccess;
  }
  if (vm.count("version")) {
    std::cout << "recsys-host " << RECSYS_VERSION << " (plugin API " << RECSYS_PLUGIN_API_MAJOR
              << "." << RECSYS_PLUGIN_API_MINOR << ")\n";
    return kSuccess;
  }
  const std::string level = vm["log-level"].as<std::string>();
  const auto parsed_level = spdlog::level::from_str(level);
  if (parsed_level == spdlog::level::off && level != "off") {
    throw po::error("--log-level: unknown level '" + level + "'");
  }
  // Logs and the progress bar go to stderr; stdout carries only results (tables, JSON, CSV).
  spdlog::set_default_logger(spdlog::stderr_color_mt("recsys"));
  spdlog::set_level(parsed_level);
  spdlog::set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
  // Under data parallelism rank 0 logs; the other ranks report only warnings and errors.
  if (const char* rank = std::getenv("RANK"); rank && *rank && std::string(rank) != "0") {
    const char* world = std::getenv("WORLD_SIZE");
    if (world && std::string(world) != "1") {
      spdlog::set_level(std::max(parsed_level, spdlog::level::warn));
      spdlog::set_pattern(std::string("[%H:%M:%S.%e] [rank ") + rank + "] [%^%l%$] %v");
    }
  }

  if (!vm.count("command")) throw po::error("no command given");
  const std::string command = vm["command"].as<std::string>();
  const auto args = vm.count("args") ? vm["args"].as<std::vector<std::string>>() : std::vector<std::string>{};
  const auto sets = vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
  const auto paths = vm.count("path") ? vm["path"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (command == "run") {
    if (!paths.empty()) throw po::error("--path belongs to the plugins command; use [plugins] paths in the pipeline");
    if (args.size() != 1) throw po::error("run expects exactly one PIPELINE.toml");
    std::optional<std::string> resume;
    if (vm.count("resume")) resume = vm["resume"].as<std::string>();
    return run_command(args.front(), sets, resume);
  }
  if (command == "launch") {
    if (!vm.count("nproc")) throw po::error("launch needs --nproc N");
    if (args.size() != 1) throw po::error("launch expects exactly one PIPELINE.toml");
    std::vector<std::string> run_arguments{args.front(), "--log-level", level};
    for (const auto& set : sets) run_arguments.insert(run_arguments.end(), {"--set", set});
    if (vm.count("resume")) run_arguments.insert(run_arguments.end(), {"--resume", vm["resume"].as<std::string>()});
    std::optional<int> port;
    if (vm.count("master-port")) port = vm["master-port"].as<int>();
    return launch_command(vm["nproc"].as<int>(), port, run_arguments);
  }
  if (command == "evaluate") {
    if (args.size() != 1) throw po::error("evaluate expects exactly one RUN_DIR");
    return evaluate_command(args.front(), vm["split"].as<std::string>(), vm["checkpoint"].as<std::string>());
  }
  if (command == "recommend") {
    if (args.size() != 1) throw po::error("recommend expects exactly one RUN_DIR");
    if (!vm.count("user")) throw po::error("recommend needs --user ID");
    return recommend_command(args.front(), vm["user"].as<std::int64_t>(), vm["k"].as<std::int64_t>(),
                             vm["format"].as<std::string>());
  }
  if (command == "plugins") {
    if (!args.empty()) throw po::error("plugins takes no positional argument");
    if (!sets.empty()) throw po::error("--set belongs to the run command");
    if (vm.count("check")) return check_plugin_command(vm["check"].as<std::string>());
    return plugins_command(paths);
  }
  throw po::error("unknown command '" + command + "' (expected run, launch, evaluate, recommend or plugins)");
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
