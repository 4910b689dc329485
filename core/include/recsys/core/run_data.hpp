#pragma once
/// @file
/// The data a run was trained on, as run.json records it, and the check that evaluate,
/// recommend and resume use the same data.

#include "recsys/core/run_directory.hpp"
#include "recsys/core/run_records.hpp"
#include "recsys/dataset.hpp"

namespace recsys::core {

/// The fingerprint (SHA-256 of the tensors and ids) and counts of `data`.
DataRecord data_record(const InteractionData& data);

/// Refuses to evaluate, recommend or resume on data other than the run's: the files changed
/// since training (run.json's "data"). Runs recorded before the fingerprint pass unchecked.
/// Throws recsys::Error naming the run directory and both counts.
void check_same_data(const RunDirectory& directory, const DataRecord& now);

}  // namespace recsys::core
