#include "commands.hpp"

#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "recsys/conformance.hpp"
#include "recsys/core/pipeline.hpp"
#include "recsys/core/plugin_registry.hpp"
#include "recsys/core/progress.hpp"
#include "recsys/core/run_directory.hpp"
#include "recsys/core/stop.hpp"
#include "recsys/errors.hpp"
#include "text_width.hpp"

namespace recsys::host {

namespace {

void print_metrics(const core::Evaluation& evaluation) {
  std::size_t width = 4;
  for (const auto& [name, value] : evaluation.metrics) width = std::max(width, name.size());
  std::cout << fmt::format("  {:<{}}  {:>8}\n", "metric", width, "value");
  std::cout << fmt::format("  {:<{}}  {:>8.4f}\n", "loss", width, evaluation.loss);
  for (const auto& [name, value] : evaluation.metrics) {
    std::cout << fmt::format("  {:<{}}  {:>8.4f}\n", name, width, value);
  }
}

std::string epochs_text(std::int64_t n) {
  return std::to_string(n) + (n == 1 ? " epoch" : " epochs");
}

void print_summary(const core::RunOutcome& outcome, double seconds) {
  const core::TrainResult& result = outcome.result;
  std::string trained = epochs_text(result.last_epoch);
  if (static_cast<std::int64_t>(result.epochs.size()) != result.last_epoch) {
    trained += ", " + std::to_string(result.epochs.size()) + " of them in this process";
  }
  std::cout << "\nTest metrics (best validation epoch " << result.best_epoch << " of " << trained << "; "
            << outcome.num_users << " users, " << outcome.num_items << " items, " << outcome.num_positives
            << " positives)\n";
  print_metrics(outcome.result.test);
  std::cout << "Protocol: " << outcome.protocol << "\n";
  if (outcome.result.stopped_early) std::cout << "Stopped early (see [early_stopping]).\n";
  std::cout << "Run directory: " << outcome.run_directory.string() << "\n";
  std::cout << "Run time: " << core::format_duration(seconds) << "\n";
}

/// Under `launch`, a rank's environment names the launch (RECSYS_LAUNCH_NPROC, and the
/// launcher's pid): a rank ends with its launcher, and its resume hint is a launch command.
int launched_ranks() {
  const char* parent = std::getenv("RECSYS_LAUNCH_PARENT");
  if (parent && *parent) {
    // A rank must not outlive a launcher killed without the chance to stop it (SIGKILL).
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (std::to_string(getppid()) != parent) std::exit(kRuntimeFailure);
  }
  const char* nproc = std::getenv("RECSYS_LAUNCH_NPROC");
  return nproc && *nproc ? std::atoi(nproc) : 0;
}

bool is_rank_zero() {
  const char* rank = std::getenv("RANK");
  return !rank || !*rank || std::string(rank) == "0";
}

}  // namespace

int run_command(const std::optional<std::string>& pipeline, const std::vector<std::string>& overrides,
                const std::optional<std::string>& resume) {
  const auto start = std::chrono::steady_clock::now();
  launched_ranks();
  core::install_stop_handlers(is_rank_zero());
  // Without a pipeline file, a resumed run continues from its own resolved config.
  const std::filesystem::path file =
      pipeline ? std::filesystem::path(*pipeline) : core::RunDirectory::open(*resume).config_file();
  const core::PipelineConfig config = core::PipelineConfig::load(file, overrides);
  core::PluginRegistry registry;
  core::discover_plugins(registry, config);
  std::optional<std::filesystem::path> resume_directory;
  if (resume) resume_directory = *resume;
  const core::RunOutcome outcome =
      core::run_pipeline(config, registry, resume_directory, core::LaunchEnvironment::from_environment());
  if (outcome.already_finished > 0) {
    if (outcome.rank == 0) {
      std::cout << outcome.run_directory.string() << " is finished (" << epochs_text(outcome.already_finished)
                << ", summary.json); nothing to do. To train it further, raise training.epochs: --set "
                << "training.epochs=" << outcome.already_finished + 1 << "\n";
    }
    return kSuccess;
  }
  if (outcome.rank == 0) {
    print_summary(outcome, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return kSuccess;
}

void exit_interrupted(const core::Interrupted& stop) {
  const int nproc = launched_ranks();
  if (is_rank_zero()) {
    const std::string directory = stop.run_directory().string();
    spdlog::warn("{}", stop.what());
    if (directory.empty()) {
      spdlog::warn("nothing to resume: the run had not started training");
    } else {
      const std::string command = nproc > 0 ? "recsys-host launch --nproc " + std::to_string(nproc) : "recsys-host run";
      std::cerr << "The run is saved in " << directory << "; continue it with:\n  " << command << " --resume '"
                << directory << "'\n";
    }
  }
  core::exit_by_signal(stop.signal());
}

int evaluate_command(const std::string& run_directory, const std::string& split, const std::string& checkpoint) {
  const core::EvaluateOutcome outcome = core::evaluate_run(run_directory, split, checkpoint);
  std::cout << "\n"
            << split << " metrics of " << run_directory << " (" << checkpoint << " checkpoint, epoch " << outcome.epoch
            << ")\n";
  print_metrics(outcome.evaluation);
  std::cout << "Protocol: " << outcome.protocol << "\n";
  return kSuccess;
}

namespace {

/// A score as JSON writes it: the shortest text that reads back as the same double; null
/// when not finite.
std::string score_text(double score) {
  return nlohmann::json(score).dump();
}

void print_recommendations_json(const std::vector<core::Recommendation>& items) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    list.push_back({{"rank", i + 1}, {"item", items[i].item}, {"title", items[i].title}, {"score", items[i].score}});
  }
  // Invalid UTF-8 in a title (the data's, not ours) becomes U+FFFD instead of a dump() error.
  std::cout << list.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void print_recommendations_csv(const std::vector<core::Recommendation>& items) {
  std::cout << "rank,item,title,score\n";
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string quoted = "\"";  // RFC 4180: quote, double the quotes inside
    for (char c : items[i].title) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    std::cout << i + 1 << "," << items[i].item << "," << quoted << "\"," << score_text(items[i].score) << "\n";
  }
}

/// The title column fits the longest title up to 60 columns; titles are measured and cut by
/// display width (text_width.hpp), since fmt pads by bytes and "Amélie" would lose a column.
void print_recommendations_table(const std::vector<core::Recommendation>& items) {
  constexpr std::size_t kMaxTitleWidth = 60;
  std::size_t width = 5;  // "title"
  for (const auto& item : items) width = std::max(width, std::min(kMaxTitleWidth, display_width(item.title)));
  std::cout << fmt::format("{:>4}  {:>7}  {}  {:>8}\n", "rank", "item", fit_to_width("title", width), "score");
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::cout << fmt::format("{:>4}  {:>7}  {}  {:>8.4f}\n", i + 1, items[i].item, fit_to_width(items[i].title, width),
                             items[i].score);
  }
}

}  // namespace

int recommend_command(const std::string& run_directory, const std::string& user, std::int64_t k,
                      const std::string& format, const std::vector<std::string>& context) {
  if (format != "table" && format != "json" && format != "csv") {
    throw ConfigError("--format " + format + ": expected table, json or csv");
  }
  const auto items = core::recommend(run_directory, user, k, context);
  if (format == "json") {
    print_recommendations_json(items);
  } else if (format == "csv") {
    print_recommendations_csv(items);
  } else {
    print_recommendations_table(items);
  }
  return kSuccess;
}

int plugins_command(const std::vector<std::string>& extra_directories) {
  core::PluginRegistry registry;
  for (const auto& directory : extra_directories) {
    std::error_code ec;
    if (!std::filesystem::is_directory(directory, ec)) {
      throw ConfigError("--path " + directory + ": " +
                        (std::filesystem::exists(directory, ec) ? "not a directory" : "no such directory"));
    }
    registry.scan_directory(directory);
  }
  for (const auto& directory : core::default_plugin_directories()) registry.scan_directory(directory);

  const auto plugins = registry.plugins();
  std::size_t name_width = 4;
  for (const auto& p : plugins) name_width = std::max(name_width, p.name.size());
  const std::string row = "{:<8} {:<{}} {:<8} {:<4} {:<7} {}\n";
  std::cout << fmt::format(row, "KIND", "NAME", name_width, "VERSION", "API", "STATUS", "PATH");
  for (const auto& library : registry.libraries()) {
    const std::string api = std::to_string(library.api_major) + "." + std::to_string(library.api_minor);
    if (!library.ok) {
      std::cout << fmt::format(row, "-", "-", name_width, "-", library.api_major ? api : "-", "refused", library.path);
      std::cout << "         why: " << library.error << "\n";
      continue;
    }
    for (const auto& p : plugins) {
      if (p.path != library.path) continue;
      std::cout << fmt::format(row, to_string(p.kind), p.name, name_width, p.version, api, "ok", p.path);
      if (!p.aliases.empty()) {
        std::string aliases;
        for (const auto& a : p.aliases) aliases += (aliases.empty() ? "" : ", ") + a;
        std::cout << "         aliases: " << aliases << "\n";
      }
    }
    if (!library.error.empty()) std::cout << "         note: " << library.error << "\n";
  }
  if (registry.libraries().empty()) {
    std::cerr << "no plugin libraries found; searched lib/recsys/plugins beside the executable and "
                 "RECSYS_PLUGIN_PATH\n";
    return kRuntimeFailure;
  }
  return kSuccess;
}

namespace {

/// A model's failures on the synthetic schema, then on the one with every kind of feature
/// (multi-valued, vector, context; without context for a model that refuses context fields).
conformance::Failures check_model_on_every_kind(const core::PluginRegistry& registry, const std::string& name,
                                                const Config& table) {
  const FeatureSchema basic = conformance::synthetic_schema();
  conformance::Failures failures =
      conformance::check_model([&] { return registry.create<PluginKind::model>(name, table, &basic); }, basic);
  FeatureSchema rich = conformance::rich_synthetic_schema();
  try {
    registry.create<PluginKind::model>(name, table, &rich);
  } catch (const ConfigError& e) {
    if (std::string(e.what()).find("is a context field") == std::string::npos) throw;
    rich = conformance::rich_synthetic_schema(false);
  }
  for (auto& failure :
       conformance::check_model([&] { return registry.create<PluginKind::model>(name, table, &rich); }, rich)) {
    failures.push_back("with every kind of feature: " + failure);
  }
  return failures;
}

/// The conformance failures of one plugin built from its default (empty) table; `skipped`
/// says why a dataset could not be checked.
conformance::Failures check_plugin(const core::PluginRegistry& registry, const core::PluginRecord& p,
                                   const core::PipelineConfig& config, std::string& skipped) {
  const Config& table = config.section("plugin");
  switch (p.kind) {
    case PluginKind::model:
      return check_model_on_every_kind(registry, p.name, table);
    case PluginKind::loss:
      return conformance::check_loss(*registry.create<PluginKind::loss>(p.name, table));
    case PluginKind::metric: {
      const bool ranking = p.name.size() > 2 && p.name.compare(p.name.size() - 2, 2, "@k") == 0;
      return conformance::check_metric(
          *registry.create<PluginKind::metric>(p.name, ranking ? config.section("metric") : table));
    }
    case PluginKind::sampler:
      return conformance::check_sampler(*registry.create<PluginKind::sampler>(p.name, table));
    case PluginKind::dataset:
      try {
        return conformance::check_dataset(*registry.create<PluginKind::dataset>(p.name, table));
      } catch (const ConfigError& e) {
        // A dataset needs its files: without them (RECSYS_DATA_DIR) there is nothing to check.
        skipped = std::string(" (its default configuration does not load: ") + e.what() + ")";
      }
  }
  return {};
}

}  // namespace

int check_plugin_command(const std::string& file) {
  core::PluginRegistry registry;
  try {
    registry.load_library(file);
  } catch (const PluginError& e) {
    std::cout << "FAIL " << e.what() << "\n";
    return kRuntimeFailure;
  }
  const auto config = core::PipelineConfig::parse("[plugin]\n[metric]\nk = 10\n", "--check");
  bool all_ok = true;
  for (const auto& p : registry.plugins()) {
    conformance::Failures failures;
    std::string skipped;
    try {
      failures = check_plugin(registry, p, config, skipped);
    } catch (const Error& e) {
      failures.push_back(std::string("cannot be built with its default configuration: ") + e.what());
    }
    all_ok = all_ok && failures.empty();
    const char* verdict = !failures.empty() ? "FAIL " : skipped.empty() ? "PASS " : "SKIP ";
    std::cout << verdict << to_string(p.kind) << " " << p.name << skipped << "\n";
    for (const auto& f : failures) std::cout << "     " << f << "\n";
  }
  return all_ok ? kSuccess : kRuntimeFailure;
}

}  // namespace recsys::host
