#include "engine/result.h"

#include <nlohmann/json.hpp>

#include "engine/roofline.h"

namespace switchback {

void ComputeTotals(ConfigResult& result) {
  for (size_t t = 0; t < kTotals.size(); ++t) {
    const Total& total = kTotals[t];
    double sum = 0;
    bool complete = true;
    for (int i = 0; i < total.num_ops; ++i) {
      const OpResult& op = result.at(total.ops[i]);
      if (!op.measured) {
        complete = false;
        break;
      }
      sum += op.FlatMs();
    }
    result.totals[t] = complete ? std::optional<double>(sum) : std::nullopt;
  }
}

std::string ToJsonLine(const ConfigResult& result) {
  // ordered_json keeps insertion order: the original's keys first, in its order.
  nlohmann::ordered_json line;
  const Config& c = result.config;
  line["repeat"] = c.repeat;
  line["batch_size"] = c.batch_size;
  line["dim_out"] = c.dim_out;
  line["dim_in"] = c.dim_in;
  line["wm"] = c.wm;
  line["switch"] = c.switch_mode;
  for (Op op : kAllOps) {
    const OpResult& r = result.at(op);
    if (r.measured) line[std::string(OpName(op))] = r.FlatMs();
  }
  for (size_t t = 0; t < kTotals.size(); ++t) {
    if (result.totals[t]) line[std::string(kTotals[t].name)] = *result.totals[t];
  }
  // Extras, after every original key.
  const std::optional<double>& standard = result.totals[0];
  if (standard && *standard > 0) {
    if (result.totals[1]) {
      line["speedup_rowwise_pct"] = 100.0 * (*standard - *result.totals[1]) / *standard;
    }
    if (result.totals[2]) {
      line["speedup_global_pct"] = 100.0 * (*standard - *result.totals[2]) / *standard;
    }
  }
  line["config_index"] = c.index;
  line["dim"] = c.dim;
  line["seed"] = c.seed;
  line["mode"] = std::string(ModeName(c.measure.mode));
  line["adaptive"] = c.measure.stop.adaptive;
  line["unit"] = "ms";
  line["backend"] = result.device.backend;
  line["device"] = result.device.device_name;
  if (!result.device.driver_version.empty()) {
    line["driver_version"] = result.device.driver_version;
  }
  if (!result.device.cuda_version.empty()) line["cuda_version"] = result.device.cuda_version;
  line["elapsed_s"] = result.elapsed_s;
  nlohmann::ordered_json stats = nlohmann::ordered_json::object();
  nlohmann::ordered_json variants = nlohmann::ordered_json::object();
  for (Op op : kAllOps) {
    const OpResult& r = result.at(op);
    if (!r.measured) continue;
    const Summary& s = r.summary;
    nlohmann::ordered_json& o = stats[std::string(OpName(op))];
    o = {{"count", s.count}, {"mean", s.mean}, {"median", s.median}, {"min", s.min},
         {"max", s.max},     {"stddev", s.stddev}, {"p05", s.p05}, {"p95", s.p95},
         {"cv", s.cv}};
    if (r.back_to_back_ms) o["back_to_back_mean"] = *r.back_to_back_ms;
    if (c.measure.stop.adaptive) o["converged"] = r.converged;
    if (r.after && r.after->available) {
      o["sm_clock_mhz_after"] = r.after->sm_clock_mhz;
      o["power_w_after"] = r.after->power_w;
    }
    variants[std::string(OpName(op))] = r.variant;
  }
  line["stats"] = std::move(stats);
  line["variants"] = std::move(variants);
  if (c.verify) {
    nlohmann::ordered_json verification = nlohmann::ordered_json::object();
    for (Op op : kAllOps) {
      const OpResult& r = result.at(op);
      if (!r.verified) continue;
      verification[std::string(OpName(op))] = {{"max_error", r.max_error},
                                               {"tolerance", r.tolerance}};
    }
    line["verification"] = std::move(verification);
  }
  if (result.ceilings) {
    nlohmann::ordered_json roofline = nlohmann::ordered_json::object();
    for (Op op : kAllOps) {
      const OpResult& r = result.at(op);
      if (!r.measured) continue;
      const OpRate rate = RateOf(op, c, r.FlatMs(), *result.ceilings);
      roofline[std::string(OpName(op))] = {
          {"value", rate.value}, {"unit", rate.unit}, {"fraction", rate.fraction}};
    }
    line["roofline"] = std::move(roofline);
    line["ceilings"] = {{"copy_gbps", result.ceilings->copy_gbps},
                        {"fp16_tflops", result.ceilings->fp16_tflops},
                        {"device", result.ceilings->device}};
  }
  line["throttled"] = result.flags.throttled;
  line["shared"] = result.flags.shared;
  line["unstable"] = result.unstable;
  line["attempts"] = result.attempts;
  const TelemetrySample& b = result.telemetry_before;
  const TelemetrySample& a = result.telemetry_after;
  if (b.available || a.available) {
    std::vector<uint32_t> pids;
    for (const TelemetrySample* s : {&b, &a}) {
      for (const GpuProcess& p : s->other_processes) pids.push_back(p.pid);
    }
    line["telemetry"] = {{"sm_clock_mhz", {b.sm_clock_mhz, a.sm_clock_mhz}},
                         {"memory_clock_mhz", {b.memory_clock_mhz, a.memory_clock_mhz}},
                         {"temperature_c", {b.temperature_c, a.temperature_c}},
                         {"power_w", {b.power_w, a.power_w}},
                         {"reasons", result.flags.reasons},
                         {"other_pids", pids}};
  } else {
    line["telemetry"] = {{"available", false}, {"reason", a.unavailable_reason}};
  }
  if (!result.error.empty()) line["error"] = result.error;
  // Replace invalid UTF-8 (e.g. in a driver message) instead of throwing.
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace switchback
