#include "recsys/core/run_data.hpp"

#include <nlohmann/json.hpp>

#include "recsys/core/digest.hpp"
#include "recsys/errors.hpp"

namespace recsys::core {

DataRecord data_record(const InteractionData& data) {
  return {data_fingerprint(data), data.schema.user.num_ids, data.schema.item.num_ids, data.num_interactions()};
}

void check_same_data(const RunDirectory& directory, const DataRecord& now) {
  const nlohmann::ordered_json info = directory.read_run_info();
  const auto data = info.find("data");
  if (data == info.end() || !data->is_object() || data->value("sha256", "") == now.sha256) return;
  const auto counts = [](std::int64_t users, std::int64_t items, std::int64_t positives) {
    return std::to_string(users) + " users, " + std::to_string(items) + " items, " + std::to_string(positives) +
           " positives";
  };
  throw Error(directory.path().string() + ": the data differs from the data this run was trained on (then " +
              counts(data->value("users", 0), data->value("items", 0), data->value("positives", 0)) + ", now " +
              counts(now.users, now.items, now.positives) +
              "): the dataset's files changed since training; restore them, or train a new run on these");
}

}  // namespace recsys::core
