#include "client/plot.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/results_file.h"

namespace switchback::client {
namespace {

std::string Terminal(const std::string& output) {
  if (absl::EndsWith(output, ".png")) return "pngcairo size 1600,640 font 'sans,11'";
  if (absl::EndsWith(output, ".svg")) return "svg size 1600,640 dynamic font 'sans,11'";
  if (absl::EndsWith(output, ".pdf")) return "pdfcairo size 16in,6.4in font 'sans,11'";
  return "";
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else out += c;
  }
  return out + "'";
}

}  // namespace

absl::Status Plot(const PlotOptions& options) {
  if (options.inputs.empty()) return absl::InvalidArgumentError("plot: no input files");
  const std::string terminal = Terminal(options.output);
  if (terminal.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("plot: -o ", options.output, ": must end in .png, .svg or .pdf"));
  }
  std::vector<std::vector<ResultRow>> files;
  for (const std::string& path : options.inputs) {
    absl::StatusOr<std::vector<ResultRow>> rows = ReadResultsFile(path);
    if (!rows.ok()) return rows.status();
    files.push_back(*std::move(rows));
  }
  int64_t batch = options.batch_size;
  if (batch == 0) {
    // The largest batch the left panel can show (switch off); a partial file, e.g. the
    // rest of a sweep timed in parts, may hold its largest batch with switch on only.
    for (const ResultRow& r : files[0]) {
      if (!r.switch_mode) batch = std::max(batch, r.batch_size);
    }
    if (batch == 0) {
      for (const ResultRow& r : files[0]) batch = std::max(batch, r.batch_size);
    }
  }

  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("switchback-plot-", getpid());
  std::filesystem::create_directories(dir);
  // Left panel data: one block per op of the first file, rows (dim, ms), switch off.
  std::vector<std::string> left_ops;
  {
    std::ofstream out(dir / "ops.dat");
    for (const std::string& op : OpKeys()) {
      std::vector<std::pair<int64_t, double>> points;
      for (const ResultRow& r : files[0]) {
        if (r.batch_size != batch || r.switch_mode) continue;
        if (auto v = r.Get(op)) points.emplace_back(r.dim(), *v);
      }
      if (points.empty()) continue;
      std::sort(points.begin(), points.end());
      for (auto [d, v] : points) out << d << " " << v << "\n";
      out << "\n\n";
      left_ops.push_back(op);
    }
  }
  if (left_ops.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "plot: ", options.inputs[0], " has no configuration with batch_size ", batch,
        " and switch off"));
  }
  // Right panel data: per input and batch size, rows (dim, rowwise %, global %), switch off.
  std::vector<std::string> right_plots;
  std::set<int64_t> batches;
  for (const auto& rows : files) {
    for (const ResultRow& r : rows) batches.insert(r.batch_size);
  }
  const std::vector<std::string> colors = {"#1b9e77", "#d95f02", "#7570b3", "#e7298a",
                                           "#66a61e", "#e6ab02", "#a6761d", "#666666"};
  int block = 0;
  {
    std::ofstream out(dir / "speedup.dat");
    for (size_t f = 0; f < files.size(); ++f) {
      const std::string label = f < options.labels.size()
                                    ? options.labels[f]
                                    : std::filesystem::path(options.inputs[f]).stem().string();
      int color = 0;
      for (int64_t b : batches) {
        std::map<int64_t, std::pair<double, double>> points;
        for (const ResultRow& r : files[f]) {
          if (r.batch_size != b || r.switch_mode) continue;
          auto s = r.Get("time_standard"), rw = r.Get("time_rowwise"), gl = r.Get("time_global");
          if (!s || !rw || !gl || *s <= 0) continue;
          points[r.dim()] = {100 * (*s - *rw) / *s, 100 * (*s - *gl) / *s};
        }
        const std::string c = colors[color++ % colors.size()];
        if (points.empty()) continue;
        for (auto& [d, v] : points) out << d << " " << v.first << " " << v.second << "\n";
        out << "\n\n";
        const std::string pt = absl::StrCat("pt ", 5 + 2 * static_cast<int>(f));
        right_plots.push_back(absl::StrCat(
            Quote((dir / "speedup.dat").string()), " index ", block, " using 1:2 with linespoints lc rgb '",
            c, "' lw 2 ", pt, " title ", Quote(absl::StrCat(label, " rowwise, batch ", b))));
        right_plots.push_back(absl::StrCat(
            Quote((dir / "speedup.dat").string()), " index ", block, " using 1:3 with linespoints lc rgb '",
            c, "' dt 2 lw 2 ", pt, " title ", Quote(absl::StrCat(label, " global, batch ", b))));
        ++block;
      }
    }
  }
  std::vector<std::string> left_plots;
  for (size_t i = 0; i < left_ops.size(); ++i) {
    left_plots.push_back(absl::StrCat(Quote((dir / "ops.dat").string()), " index ", i,
                                      " using 1:2 with linespoints lw 2 title ", Quote(left_ops[i])));
  }
  const std::string first_label = options.labels.empty()
                                      ? std::filesystem::path(options.inputs[0]).stem().string()
                                      : options.labels[0];
  std::ofstream script(dir / "plot.gp");
  script << "set terminal " << terminal << "\n"
         << "set output " << Quote(options.output) << "\n"
         << "set multiplot layout 1,2\n"
         << "set key outside right top vertical font ',8' noenhanced\n"
         << "set grid\nset logscale x 2\nset xlabel 'dim'\n"
         << "set title " << Quote(absl::StrCat("time per operation, batch ", batch, " (", first_label, ")")) << " noenhanced\n"
         << "set logscale y\nset ylabel 'ms'\n"
         << "plot " << absl::StrJoin(left_plots, ", \\\n  ") << "\n"
         << "unset logscale y\nset ylabel 'speedup over fp16 (%)'\n"
         << "set title 'SwitchBack speedup: rowwise (solid), global (dashed)'\n"
         << "plot 0 notitle lc rgb 'black' lw 1, " << absl::StrJoin(right_plots, ", \\\n  ") << "\n"
         << "unset multiplot\n";
  script.close();
  const std::string command =
      absl::StrCat("gnuplot ", Quote((dir / "plot.gp").string()), " 2>", Quote((dir / "err").string()));
  const int rc = std::system(command.c_str());
  std::string err;
  {
    std::ifstream e(dir / "err");
    std::getline(e, err, '\0');
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
    if (WIFEXITED(rc) && WEXITSTATUS(rc) == 127) {
      return absl::FailedPreconditionError(
          "plot: gnuplot not found (apt-get install gnuplot-nox)");
    }
    return absl::InternalError(absl::StrCat("plot: gnuplot failed: ", err));
  }
  return absl::OkStatus();
}

}  // namespace switchback::client
