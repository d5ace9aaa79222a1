#include "engine/roofline.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "engine/op_plan.h"

namespace switchback {

double OpBytes(Op op, const Config& c) {
  const OpPlan p = PlanOf(op, c);
  if (p.kind != OpKind::kQuantize) return 0;
  // fp16 in (2 bytes), int8 codes out (1 byte), fp16 states out.
  const double elements = static_cast<double>(p.rows) * static_cast<double>(p.cols);
  const BufShape state = ShapeOf(p.state, c);
  return elements * 3.0 + static_cast<double>(state.elements) * 2.0;
}

double OpOperations(Op op, const Config& c) {
  const OpPlan p = PlanOf(op, c);
  if (p.kind == OpKind::kQuantize) return 0;
  return 2.0 * static_cast<double>(p.m) * static_cast<double>(p.n) * static_cast<double>(p.k);
}

OpRate RateOf(Op op, const Config& c, double mean_ms, const Ceilings& ceilings) {
  OpRate r;
  if (mean_ms <= 0) return r;
  const double seconds = mean_ms * 1e-3;
  switch (KindOf(op)) {
    case OpKind::kQuantize:
      r.value = OpBytes(op, c) / seconds / 1e9;
      r.unit = "GB/s";
      r.fraction = ceilings.copy_gbps > 0 ? r.value / ceilings.copy_gbps : 0;
      break;
    case OpKind::kFp16Product:
      r.value = OpOperations(op, c) / seconds / 1e12;
      r.unit = "TFLOP/s";
      r.fraction = ceilings.fp16_tflops > 0 ? r.value / ceilings.fp16_tflops : 0;
      break;
    case OpKind::kInt8Product:
      // Int8 tensor cores run twice the fp16 rate on every NVIDIA generation since Turing.
      r.value = OpOperations(op, c) / seconds / 1e12;
      r.unit = "TOP/s";
      r.fraction = ceilings.fp16_tflops > 0 ? r.value / (2 * ceilings.fp16_tflops) : 0;
      break;
  }
  return r;
}

std::string CeilingsCachePath() {
  std::filesystem::path dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    dir = xdg;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    dir = std::filesystem::path(home) / ".cache";
  } else {
    dir = std::filesystem::temp_directory_path();
  }
  return (dir / "switchback" / "ceilings.json").string();
}

namespace {
nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : nlohmann::json::object();
}
}  // namespace

std::optional<Ceilings> LoadCachedCeilings(const std::string& path, const std::string& device) {
  const nlohmann::json j = ReadJson(path);
  auto it = j.find(device);
  if (it == j.end() || !it->is_object()) return std::nullopt;
  const auto copy = it->find("copy_gbps"), fp16 = it->find("fp16_tflops");
  if (copy == it->end() || fp16 == it->end() || !copy->is_number() || !fp16->is_number()) {
    return std::nullopt;
  }
  return Ceilings{copy->get<double>(), fp16->get<double>(), device};
}

absl::Status SaveCachedCeilings(const std::string& path, const Ceilings& ceilings) {
  nlohmann::json j = ReadJson(path);
  j[ceilings.device] = {{"copy_gbps", ceilings.copy_gbps}, {"fp16_tflops", ceilings.fp16_tflops}};
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
    out << j.dump(2) << "\n";
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot replace ", path, ": ", ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<Ceilings> CeilingsFor(Backend& backend, bool refresh) {
  const BackendInfo info = backend.Info();
  const std::string device = absl::StrCat(info.device_name, " | ", info.driver_version);
  const std::string path = CeilingsCachePath();
  if (!refresh) {
    if (std::optional<Ceilings> cached = LoadCachedCeilings(path, device)) return *cached;
  }
  absl::StatusOr<Ceilings> measured = backend.MeasureCeilings();
  if (!measured.ok()) return measured;
  measured->device = device;
  (void)SaveCachedCeilings(path, *measured);  // a read-only home only costs a re-measure
  return measured;
}

}  // namespace switchback
