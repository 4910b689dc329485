// The `files` dataset plugin: load() reads and prepares the user's files; the fit on the
// training split (fit_on_training_split) finishes the feature tables.
#include "files.hpp"

#include <chrono>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "cache.hpp"
#include "features.hpp"
#include "prepare.hpp"
#include "recsys/errors.hpp"

namespace recsys::files {

/// What load() leaves for the fit: each side's tables with their missing numbers.
struct LoadState {
  SideTables users, items, context;
};

namespace {

/// The distinct values of `codes` (int64, in [0, size)), ascending: a count per value instead of
/// torch's CPU unique, which builds a hash set (seconds at 25M rows).
torch::Tensor distinct(const torch::Tensor& codes, std::size_t size) {
  return torch::bincount(codes, {}, static_cast<std::int64_t>(size)).nonzero().squeeze(1);
}

/// The distinct values of `ids` (int64 [N], in [0, size)) over the rows `rows`, ascending,
/// without a copy of the N x 0.8 values a training split selects.
torch::Tensor distinct_in_rows(const torch::Tensor& ids, const torch::Tensor& rows, std::int64_t size) {
  return counts_in_rows(ids, rows, size).nonzero().squeeze(1);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// For each contiguous id (of `ids`, a map from the interactions' dictionary index), the row of
/// `side` that describes it, or -1. Throws DataError for an id listed twice.
torch::Tensor side_rows(const ParsedTable& side, Role id_role, const RawColumn& interaction_ids,
                        const torch::Tensor& ids, std::int64_t num_ids) {
  std::vector<std::int64_t> rows(static_cast<std::size_t>(num_ids), -1);
  const RawColumn& column = *side.find(id_role);
  const auto map = ids.accessor<std::int64_t, 1>();
  for (std::int64_t r = 0; r < side.rows; ++r) {
    const std::int32_t index = interaction_ids.find(column.dictionary()[column.codes()[r]]);
    if (index < 0 || map[index] < 0) continue;  // not in the interactions kept
    std::int64_t& row = rows[static_cast<std::size_t>(map[index])];
    if (row >= 0) {
      throw DataError(side.file.string(), side.lines[r],
                      std::string(to_string(id_role)) + " '" + column.dictionary()[column.codes()[r]] +
                          "' is listed twice (first on line " + std::to_string(side.lines[row]) + ")");
    }
    row = r;
  }
  const auto missing = std::count(rows.begin(), rows.end(), -1);
  if (missing > 0) {
    spdlog::warn("files: {} of {} ids have no row in {}: their fields take the missing value", missing, num_ids,
                 side.file.string());
  }
  return torch::tensor(rows, torch::kInt64);
}

/// The file of one side (users or items) when it has one, and for each contiguous id its row
/// in that file (all -1 without a file).
torch::Tensor read_side(const std::filesystem::path& file, const FilesOptions& o, TableKind kind,
                        const RawColumn& interaction_ids, const torch::Tensor& ids, std::int64_t num_ids,
                        ParsedTable& parsed) {
  if (file.empty()) return torch::full({num_ids}, -1, torch::kInt64);
  parsed = read_table(file, o, kind);
  const Role id_role = kind == TableKind::users ? Role::user_id : Role::item_id;
  return side_rows(parsed, id_role, interaction_ids, ids, num_ids);
}

/// The items' titles from `title_column` (default: a column named title or movie_title).
std::vector<std::string> titles(const ParsedTable& items, const FilesOptions& o, const torch::Tensor& rows) {
  const RawColumn* column = nullptr;
  for (const auto& c : items.columns) {
    const bool named = o.title_column.empty() ? c.spec().name == "title" || c.spec().name == "movie_title"
                                              : c.spec().name == o.title_column;
    if (named && c.spec().kind != Kind::numeric && c.spec().kind != Kind::vector) column = &c;
  }
  std::vector<std::string> out;
  if (!column) return out;
  const auto r = rows.accessor<std::int64_t, 1>();
  for (std::int64_t i = 0; i < rows.size(0); ++i) {
    std::string title;
    if (r[i] >= 0 && column->spec().kind == Kind::categorical && column->codes()[r[i]] >= 0) {
      title = column->dictionary()[column->codes()[r[i]]];
    } else if (r[i] >= 0 && column->spec().kind == Kind::multi_categorical) {
      for (auto v = column->offsets()[r[i]]; v < column->offsets()[r[i] + 1]; ++v) {
        title += (title.empty() ? "" : " ") + column->dictionary()[column->codes()[v]];
      }
    }
    out.push_back(std::move(title));
  }
  return out;
}

void set_schema(InteractionData& d, const LoadState& s) {
  const std::int64_t users = d.schema.user.num_ids, items = d.schema.item.num_ids;
  d.schema.user = s.users.schema;
  d.schema.item = s.items.schema;
  d.schema.context = s.context.schema;
  d.schema.user.num_ids = users;
  d.schema.item.num_ids = items;
  d.schema.context.num_ids = 0;
  d.user_features = s.users.features;
  d.item_features = s.items.features;
  d.context_features = s.context.features;
  d.context_values = s.context.values;
  d.context_transforms = s.context.transforms;
}

/// Every declared feature column is in the users or the items file.
void check_features_found(const FilesOptions& o, const ParsedTable& users, const ParsedTable& items) {
  for (const auto& column : o.columns) {
    const std::string& name = column.first;
    const ColumnSpec& spec = column.second;
    if (spec.role != Role::feature) continue;
    const auto in = [&](const ParsedTable& t) {
      return std::any_of(t.columns.begin(), t.columns.end(), [&](const RawColumn& c) { return c.spec().name == name; });
    };
    if (!in(users) && !in(items)) {
      throw DataError((o.items.empty() ? o.interactions : o.items).string(), 1,
                      "no column '" + name + "' in the users or items file (declared in [dataset.columns." + name +
                          "] with role feature)");
    }
  }
}

/// The context tables of the interactions kept; the parsed context columns and `kept.row` are
/// freed after (at 25M rows each is 0.1-0.2 GB: the load's peak otherwise).
SideTables context_of(ParsedTable& inter, KeptRows& kept) {
  SideTables context = gather_features(inter, Role::context, kept.row);
  kept.row = torch::Tensor();
  for (RawColumn& c : inter.columns) {
    if (c.spec().role != Role::context) continue;
    c.take_codes();
    c.take_numbers();
  }
  return context;
}

/// The interactions' contiguous ids (numbered as contiguous_ids says), ratings, times, labels
/// and splits, `kept`'s columns freed as they are used. Returns the maps from the user and item
/// columns' dictionary indices to the contiguous ids.
std::pair<torch::Tensor, torch::Tensor> set_interactions(KeptRows& kept, const ParsedTable& inter, InteractionData& d) {
  const RawColumn& user_column = *inter.find(Role::user_id);
  const RawColumn& item_column = *inter.find(Role::item_id);
  torch::Tensor user_map = contiguous_ids(distinct(kept.user, user_column.dictionary().size()),
                                          user_column.dictionary(), d.user_original_id);
  torch::Tensor item_map = contiguous_ids(distinct(kept.item, item_column.dictionary().size()),
                                          item_column.dictionary(), d.item_original_id);
  d.user_id = user_map.index_select(0, kept.user);
  kept.user = torch::Tensor();
  d.item_id = item_map.index_select(0, kept.item);
  kept.item = torch::Tensor();
  d.rating = std::move(kept.rating);
  d.timestamp = std::move(kept.timestamp);
  d.label = std::move(kept.label);
  d.split = std::move(kept.split);
  return {user_map, item_map};
}

/// The files read and prepared: the interactions and each side's tables, before the fit.
Parsed parse_files(const FilesOptions& o) {
  auto start = std::chrono::steady_clock::now();
  std::vector<std::filesystem::path> files{o.interactions};
  if (!o.validation.empty()) files.insert(files.end(), {o.validation, o.test});
  std::vector<std::int64_t> rows_per_file;
  ParsedTable inter = read_table(files, o, TableKind::interactions, &rows_per_file);
  spdlog::info("files: {}: {} rows read ({:.2f} s)", o.interactions.string(), inter.rows, seconds_since(start));
  start = std::chrono::steady_clock::now();
  KeptRows kept = prepare_rows(inter, o, files.size() > 1 ? rows_per_file : std::vector<std::int64_t>{});
  spdlog::info("files: {} interactions kept ({:.2f} s)", kept.row.size(0), seconds_since(start));
  start = std::chrono::steady_clock::now();
  Parsed p;
  InteractionData& d = p.data;
  p.context = context_of(inter, kept);
  const auto [user_map, item_map] = set_interactions(kept, inter, d);
  const auto num_users = static_cast<std::int64_t>(d.user_original_id.size());
  const auto num_items = static_cast<std::int64_t>(d.item_original_id.size());
  ParsedTable users, items;
  const RawColumn& user_column = *inter.find(Role::user_id);
  const RawColumn& item_column = *inter.find(Role::item_id);
  const torch::Tensor user_rows = read_side(o.users, o, TableKind::users, user_column, user_map, num_users, users);
  const torch::Tensor item_rows = read_side(o.items, o, TableKind::items, item_column, item_map, num_items, items);
  check_features_found(o, users, items);
  p.users = gather_features(users, Role::feature, user_rows);
  p.items = gather_features(items, Role::feature, item_rows);
  d.item_title = titles(items, o, item_rows);
  spdlog::info("files: ids and feature tables ({:.2f} s)", seconds_since(start));
  return p;
}

}  // namespace

FilesDataset::FilesDataset(const PluginArgs& args) : options_(FilesOptions::from_config(args.config)) {}
FilesDataset::~FilesDataset() {
  if (cache_written_.valid()) cache_written_.wait();  // the writer runs this library's code
}

InteractionData FilesDataset::load() {
  const std::string key = options_.cache ? cache_key(options_) : "";
  std::optional<Parsed> cached = options_.cache ? read_cache(key) : std::nullopt;
  Parsed p = cached ? std::move(*cached) : parse_files(options_);
  // Nothing partial is cached: only a parse that finished is written.
  if (options_.cache && !cached) cache_written_ = write_cache_in_background(key, p);
  InteractionData d = std::move(p.data);
  d.schema.user.num_ids = static_cast<std::int64_t>(d.user_original_id.size());
  d.schema.item.num_ids = static_cast<std::int64_t>(d.item_original_id.size());
  state_ = std::make_unique<LoadState>(LoadState{std::move(p.users), std::move(p.items), std::move(p.context)});
  set_schema(d, *state_);
  return d;
}

void FilesDataset::fit_on_training_split(InteractionData& data, const torch::Tensor& train_rows) {
  if (!state_) return;
  // The cache writer holds the tables by reference; the fit below changes them in place.
  if (cache_written_.valid()) cache_written_.wait();
  const torch::Tensor users = distinct_in_rows(data.user_id, train_rows, data.schema.user.num_ids);
  const torch::Tensor items = distinct_in_rows(data.item_id, train_rows, data.schema.item.num_ids);
  fit_side(state_->users, users, options_.min_count, options_.scaling);
  fit_side(state_->items, items, options_.min_count, options_.scaling);
  fit_side(state_->context, train_rows, options_.min_count, options_.scaling);
  set_schema(data, *state_);
}

}  // namespace recsys::files

RECSYS_EXPORT_PLUGIN(recsys::files::FilesDataset,
                     "Your own files: CSV, TSV or RecBole atomic files, implicit or labelled feedback", "");
