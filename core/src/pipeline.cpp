#include "recsys/core/pipeline.hpp"

#include <chrono>
#include <ctime>
#include <iomanip>
#include <sstream>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "recsys/config_toml.hpp"
#include "recsys/errors.hpp"
#include "recsys/core/run_directory.hpp"
#include "recsys/core/runtime_info.hpp"
#include "recsys/core/seed.hpp"

namespace recsys::core {

namespace {

/// The plugin a section names with `key` (`plugin`, or `architecture` for models).
std::string plugin_name(const Config& section, const std::vector<std::string>& keys) {
  if (keys.size() == 2 && section.contains(keys[0]) && section.contains(keys[1])) {
    section.fail(keys[1], "give either '" + keys[0] + "' or '" + keys[1] + "', not both");
  }
  for (const auto& key : keys) {
    if (section.contains(key)) return section.get_string(key);
  }
  section.fail(keys.front(), "required key is missing (the " + section.path() + " plugin to use)");
}

/// Runs `create` for the plugin that `section.key` names. Re-throws "no such plugin" as a
/// config error pointing at that key; when the plugin rejects its table, a misspelled key
/// in it is the likelier cause, so that is reported first ("data_dri" before "data_dir
/// does not exist").
template <typename Create>
auto create_plugin(const Config& section, const std::string& key, Create create) {
  try {
    return create();
  } catch (const PluginNotFoundError& error) {
    throw PluginNotFoundError(section.where(key) + ": " + error.what());
  } catch (const ConfigError&) {
    section.check_misspelled_keys();
    throw;
  }
}

std::string key_of(const Config& section, const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    if (section.contains(key)) return key;
  }
  return keys.front();
}

/// A metric plugin; "hr@10" is plugin "hr@k" with `k = 10` in its config table.
std::shared_ptr<Metric> create_metric(const PluginRegistry& registry, const std::string& name,
                                      const std::string& source) {
  const MetricName parsed = parse_metric_name(name);
  auto table = std::make_shared<toml::table>();
  if (parsed.k > 0) table->insert("k", parsed.k);
  const toml::table* root = table.get();
  const Config metric_config = make_config(std::move(table), root, "evaluation.metrics." + name, source);
  return registry.create<PluginKind::metric>(parsed.plugin, metric_config);
}

/// One line that says what the figures mean: protocol, split, negatives, candidates, ties.
std::string describe_protocol(const EvaluationOptions& evaluation, const SplitOptions& split,
                              const std::string& sampler, const Config& sampler_section) {
  std::ostringstream out;
  out << "protocol " << evaluation.protocol_name() << "; split " << split.describe() << "; training negatives: "
      << sampler << " sampler";
  if (sampler_section.contains("num_negatives")) {
    out << ", " << sampler_section.get_int("num_negatives") << " per positive";
  }
  out << ", redrawn every epoch; ";
  switch (evaluation.protocol) {
    case Protocol::pointwise:
      out << "validation/test: held-out positives with negatives drawn once per seed, same sampler";
      break;
    case Protocol::sampled:
      out << "validation/test: one list per held-out positive with " << evaluation.num_candidates
          << " candidates drawn once per seed among the user's non-positive items";
      break;
    case Protocol::full:
      out << "validation/test: one list per user over every item, earlier splits' positives masked";
      break;
  }
  out << "; ties: pessimistic (a tied negative ranks above the positive)";
  return out.str();
}

std::string default_run_name(const std::string& model) {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  localtime_r(&now, &tm);
  std::ostringstream name;
  name << std::put_time(&tm, "%Y%m%d-%H%M%S") << "-" << model;
  return name.str();
}

std::string metrics_line(const Evaluation& evaluation) {
  std::ostringstream line;
  line << std::fixed << std::setprecision(4) << "loss " << evaluation.loss;
  for (const auto& [name, value] : evaluation.metrics) line << "  " << name << " " << value;
  return line.str();
}

}  // namespace

void discover_plugins(PluginRegistry& registry, const PipelineConfig& config) {
  const Config& plugins = config.section("plugins");
  for (const auto& directory : plugins.get_string_list("paths", {})) registry.scan_directory(directory);
  for (const auto& directory : default_plugin_directories()) registry.scan_directory(directory);
  for (const auto& library : registry.libraries()) {
    if (!library.ok) spdlog::warn("plugin library refused: {}: {}", library.path, library.error);
    else if (!library.error.empty()) spdlog::warn("plugin library {}: {}", library.path, library.error);
  }
}

RunOutcome run_pipeline(const PipelineConfig& config, PluginRegistry& registry) {
  // Everything that does not need the data is built and checked first, so a bad config
  // fails before any file is read.
  const Config& dataset_section = config.section("dataset");
  const Config& sampler_section = config.section("sampler");
  const Config& model_section = config.section("model");
  const Config& loss_section = config.section("loss");
  const Config& evaluation_section = config.section("evaluation");

  const SplitOptions split_options = SplitOptions::from_config(config.section("split"));
  const TrainerOptions trainer_options = TrainerOptions::from_config(config.section("training"));
  const LoggingOptions logging_options = LoggingOptions::from_config(config.section("logging"));

  const std::vector<std::string> model_keys{"plugin", "architecture"};
  const std::string dataset_name = plugin_name(dataset_section, {"plugin"});
  auto dataset = create_plugin(dataset_section, "plugin", [&] {
    return registry.create<PluginKind::dataset>(dataset_name, dataset_section);
  });
  const std::string sampler_name =
      sampler_section.contains("plugin") ? sampler_section.get_string("plugin") : "uniform";
  auto sampler = create_plugin(sampler_section, "plugin", [&] {
    return registry.create<PluginKind::sampler>(sampler_name, sampler_section);
  });
  const std::string loss_name =
      loss_section.contains("plugin") ? loss_section.get_string("plugin") : "mse";
  auto loss = create_plugin(loss_section, "plugin", [&] {
    return registry.create<PluginKind::loss>(loss_name, loss_section);
  });

  const EvaluationOptions evaluation = EvaluationOptions::from_config(evaluation_section);
  std::vector<NamedMetric> metrics;
  for (const auto& name : evaluation.metrics) {
    metrics.push_back({name, create_plugin(evaluation_section, "metrics", [&] {
                         return create_metric(registry, name, config.source());
                       })});
  }
  const EarlyStoppingOptions early_stopping = EarlyStoppingOptions::from_config(
      config.section("early_stopping"), evaluation.metrics, [&](const std::string& name) {
        for (const auto& m : metrics) {
          if (m.name == name) return m.metric->higher_is_better();
        }
        return true;
      });
  const std::string model_name = plugin_name(model_section, model_keys);
  // The model is built after the data (it needs the schema), but its name is checked now.
  create_plugin(model_section, key_of(model_section, model_keys),
                [&] { return registry.find(PluginKind::model, model_name).factory; });
  // The model table is checked once the model is built from it (it needs the schema).
  for (const auto& name : pipeline_sections()) {
    if (name != "model") config.section(name).check_unknown_keys();
  }
  config.check_unknown_sections();

  const int threads = configure_threads(static_cast<int>(trainer_options.threads));
  const BlasInfo blas = detect_blas();
  if (blas.family == "reference") {
    spdlog::warn("BLAS: {} is the reference BLAS, 10-20x slower on MLP models; select OpenBLAS "
                 "(apt-get install libopenblas0-pthread; update-alternatives --config libblas.so.3-x86_64-linux-gnu)",
                 blas.library);
  } else {
    spdlog::info("BLAS: {} ({}{}), torch intra-op threads: {}", blas.family,
                 blas.library.empty() ? std::string("not mapped") : blas.library,
                 blas.threads > 0 ? ", " + std::to_string(blas.threads) + " threads" : std::string(),
                 threads);
  }

  auto load_start = std::chrono::steady_clock::now();
  InteractionData interactions = dataset->load();
  const FeatureSchema schema = interactions.schema;
  spdlog::info("dataset {}: {} users, {} items, {} positives ({:.2f} s)", dataset_name,
               schema.user.num_ids, schema.item.num_ids, interactions.num_interactions(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count());

  torch::manual_seed(derive_seed(trainer_options.seed, static_cast<std::uint64_t>(SeedStream::model_init)));
  auto model = create_plugin(model_section, key_of(model_section, model_keys), [&] {
    return registry.create<PluginKind::model>(model_name, model_section, &schema);
  });
  model_section.check_unknown_keys();
  std::int64_t num_parameters = 0;
  for (const auto& p : model->parameters()) num_parameters += p.numel();
  spdlog::info("model {}: {} parameters", model_name, num_parameters);

  RunOutcome outcome;
  outcome.num_users = schema.user.num_ids;
  outcome.num_items = schema.item.num_ids;
  outcome.num_positives = interactions.num_interactions();

  TrainingData data = prepare_training_data(std::move(interactions), split_options, evaluation, *sampler,
                                            trainer_options.seed);
  spdlog::info("split: {} train / {} validation / {} test positives; evaluation rows: {} validation in {} lists, "
               "{} test in {} lists",
               data.train_user_id.size(0), data.split.validation.size(0), data.split.test.size(0),
               data.validation->num_rows(), data.validation->num_lists(), data.test->num_rows(),
               data.test->num_lists());
  outcome.protocol = describe_protocol(evaluation, split_options, sampler_name, sampler_section);
  spdlog::info("{}", outcome.protocol);

  RunDirectory run_directory(logging_options, default_run_name(model_name));
  run_directory.write_config(config.to_toml());
  if (evaluation.protocol == Protocol::sampled) {
    // The candidates go with the run, so a later evaluation or another model can be checked
    // against exactly the same lists.
    run_directory.write_candidates("validation", static_cast<const MaterializedSet&>(*data.validation), data.interactions);
    run_directory.write_candidates("test", static_cast<const MaterializedSet&>(*data.test), data.interactions);
  }
  outcome.run_directory = run_directory.path();

  Trainer trainer(trainer_options, model, loss, sampler, std::move(metrics), early_stopping);
  std::vector<EpochResult> history;
  outcome.result = trainer.fit(data, [&](const EpochResult& epoch) {
    if (epoch.validated) {
      spdlog::info("epoch {}/{}: train loss {:.5f}, {:.1f}k samples/s | validation {}", epoch.epoch,
                   trainer_options.epochs, epoch.train_loss, epoch.samples_per_second / 1000.0,
                   metrics_line(epoch.validation));
    } else {
      spdlog::info("epoch {}/{}: train loss {:.5f}, {:.1f}k samples/s", epoch.epoch, trainer_options.epochs,
                   epoch.train_loss, epoch.samples_per_second / 1000.0);
    }
    history.push_back(epoch);
    run_directory.write_metrics(history);
  });
  run_directory.write_summary(outcome.result, outcome.protocol);
  spdlog::info("test (epoch {}): {}", outcome.result.best_epoch, metrics_line(outcome.result.test));
  return outcome;
}

}  // namespace recsys::core
