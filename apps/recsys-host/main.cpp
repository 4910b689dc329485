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

#include "cli.hpp"
#include "commands.hpp"
#include "recsys/config.hpp"
#include "recsys/core/serving/http_server.hpp"
#include "recsys/errors.hpp"
#include "recsys/plugin.hpp"

namespace po = boost::program_options;
using namespace recsys::host;

namespace {

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

/// run's and launch's PIPELINE.toml: required, except with --resume (the run's own config.toml).
std::optional<std::string> pipeline_argument(const CommandLine& line) {
  if (line.args.size() > 1)
    throw po::error(line.command + " expects one PIPELINE.toml, got " + std::to_string(line.args.size()) +
                    " arguments");
  if (line.args.empty()) {
    if (!line.vm.count("resume")) {
      throw po::error(line.command +
                      " expects a PIPELINE.toml (or --resume RUN_DIR alone, to continue from the run's config.toml)");
    }
    return std::nullopt;
  }
  return line.args.front();
}

int run_or_launch(const CommandLine& line) {
  const auto resume = line.optional_string("resume");
  if (line.command == "run") {
    return run_command(pipeline_argument(line), line.sets, resume);
  }
  if (!line.vm.count("nproc")) throw po::error("launch needs --nproc N");
  std::vector<std::string> run_arguments{"--log-level", line.vm["log-level"].as<std::string>()};
  if (const auto pipeline = pipeline_argument(line)) run_arguments.insert(run_arguments.begin(), *pipeline);
  for (const auto& set : line.sets) run_arguments.insert(run_arguments.end(), {"--set", set});
  if (resume) run_arguments.insert(run_arguments.end(), {"--resume", *resume});
  std::optional<int> port;
  if (line.vm.count("master-port")) port = line.vm["master-port"].as<int>();
  return launch_command(line.vm["nproc"].as<int>(), port, run_arguments);
}

/// serve's options from its command line.
recsys::core::serving::ServeOptions serve_options(const CommandLine& line) {
  const po::variables_map& vm = line.vm;
  recsys::core::serving::ServeOptions options;
  options.run_directory = line.args.front();
  options.checkpoint = vm["checkpoint"].as<std::string>();
  options.host = vm["host"].as<std::string>();
  options.port = vm["port"].as<int>();
  options.http_threads = vm["http-threads"].as<std::size_t>();
  options.queue = vm["queue"].as<std::size_t>();
  options.threads = vm["threads"].as<int>();
  options.max_body = vm["max-body"].as<std::size_t>();
  options.batch_window = std::chrono::microseconds(vm["batch-window-us"].as<std::int64_t>());
  options.admin = vm.count("admin") > 0;
  options.index.kind = vm["index"].as<std::string>();
  const std::string& index = options.index.kind;
  if (index != "exact" && index != "hnsw" && index != "faiss") {
    throw po::error("--index must be exact, hnsw or faiss, not '" + index + "'");
  }
  options.index.hnsw.ef_search = vm["hnsw-ef"].as<std::size_t>();
  options.index.faiss.probes = vm["faiss-nprobe"].as<std::size_t>();
  if (options.port < 0 || options.port > 65535) throw po::error("--port must be in 0..65535");
  if (options.http_threads < 1) throw po::error("--http-threads must be at least 1");
  if (options.batch_window.count() < 0) throw po::error("--batch-window-us must not be negative");
  return options;
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
    const auto context =
        vm.count("context") ? vm["context"].as<std::vector<std::string>>() : std::vector<std::string>{};
    return recommend_command(line.args.front(), vm["user"].as<std::string>(), vm["k"].as<std::int64_t>(),
                             vm["format"].as<std::string>(), context);
  }
  if (line.command == "serve") {
    if (line.args.size() != 1) throw po::error("serve expects exactly one RUN_DIR");
    return recsys::core::serving::serve(serve_options(line));
  }
  if (line.command == "plugins") {
    if (!line.args.empty()) throw po::error("plugins takes no positional argument");
    if (vm.count("check")) return check_plugin_command(vm["check"].as<std::string>());
    return plugins_command(line.paths);
  }
  throw po::error("unknown command '" + line.command + "'");
}

/// The command named on the line, or nullptr when there is none; an unknown name is an error.
const CommandSpec* command_of(const po::variables_map& vm) {
  if (!vm.count("command")) return nullptr;
  const std::string name = vm["command"].as<std::string>();
  const CommandSpec* command = find_command(name);
  if (!command) {
    std::vector<std::string> names;
    for (const auto& spec : command_specs()) names.push_back(spec.name);
    std::string message = "unknown command '" + name + "'";
    if (auto suggestion = recsys::closest_match(name, names)) message += "; did you mean '" + *suggestion + "'?";
    throw po::error(message + " (expected run, launch, evaluate, recommend, serve or plugins)");
  }
  return command;
}

int parse_and_dispatch(int argc, char** argv) {
  po::options_description all = all_options();
  all.add_options()("command", po::value<std::string>())("args", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("command", 1).add("args", -1);

  CommandLine line;
  po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), line.vm);
  po::notify(line.vm);
  const CommandSpec* command = command_of(line.vm);
  if (line.vm.count("help")) {
    std::cout << (command ? command_help(*command) : global_help());
    return kSuccess;
  }
  if (line.vm.count("version")) {
    std::cout << "recsys-host " << RECSYS_VERSION << " (plugin API " << RECSYS_PLUGIN_API_MAJOR << "."
              << RECSYS_PLUGIN_API_MINOR << ")\n";
    return kSuccess;
  }
  configure_logging(line.vm["log-level"].as<std::string>());
  if (!command) throw po::error("no command given");
  check_options_belong(*command, line.vm);
  line.command = command->name;
  line.args = strings(line.vm, "args");
  line.sets = strings(line.vm, "set");
  line.paths = strings(line.vm, "path");
  return dispatch(line);
}

/// After a usage error: the command's own help when one was named, else the global help.
std::string usage_after_error(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (const CommandSpec* command = find_command(argv[i])) return command_help(*command);
  }
  return global_help();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return parse_and_dispatch(argc, argv);
  } catch (const recsys::core::Interrupted& stop) {
    exit_interrupted(stop);
  } catch (const po::error& e) {
    std::cerr << "recsys-host: " << e.what() << "\n\n" << usage_after_error(argc, argv);
    return kUsageError;
  } catch (const recsys::ConfigError& e) {
    spdlog::error("{}", e.what());
    return kUsageError;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kRuntimeFailure;
  }
}
