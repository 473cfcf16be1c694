//! Revenue workbook benchmark: `revenue_workbook` against the floor (the same cells written
//! straight with rust_xlsxwriter in constant-memory mode) and against openpyxl
//! (`scripts/openpyxl_report.py`), for a real month (300 charters) and a stress month (100,000).
//!
//! `cargo bench -p dispatch-reporting --bench report` (or `./scripts/bench`, which also installs
//! openpyxl in `.venv`). Every measurement runs in a child process (this binary re-executed with
//! `child KIND ROWS OUT`, or the Python script) so its peak RSS (`VmHWM`, `ru_maxrss`) is its own.
//! Each case runs several times; the table shows medians. Kinds:
//! - `ours`: `revenue_workbook(&[Charter])` (sorts, formats, names, totals) and the file write;
//! - `ours-streamed`: `RevenueReport::write_sorted` fed by a lazy iterator (the month never in
//!   memory at once; its write time includes generating the rows);
//! - `floor`: the same cells from pre-rendered rows, written directly with rust_xlsxwriter;
//! - `input only`: generating the charters and nothing else (the memory baseline of `ours`);
//! - `openpyxl` / `openpyxl write-only`: the Python process (standard and write-only workbooks).
//!
//! Environment: `DISPATCH_BENCH_PYTHON` (default `.venv/bin/python`, else `python3`),
//! `DISPATCH_BENCH_RUNS` (runs per case, default 5; openpyxl at 100k runs at most 3 times),
//! `DISPATCH_BENCH_ROWS` (comma-separated sizes, default `300,100000`).

mod check;
mod data;
mod floor;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use dispatch_core::domain::Charter;
use dispatch_reporting::revenue::{revenue_workbook, RevenueReport};
use rust_decimal::Decimal;

use data::{charters, month, names, python_input};
use floor::{floor, render, Rendered};

/// Child process: build the input (untimed), time the write, report time and peak RSS.
fn child(kind: &str, n: usize, out: &Path) {
    let names = names();
    let t = |f: &mut dyn FnMut() -> Vec<u8>| {
        let start = Instant::now();
        let bytes = f();
        std::fs::write(out, &bytes).expect("write output");
        (start.elapsed(), bytes.len())
    };
    let (took, size) = match kind {
        "ours" => {
            let input: Vec<Charter> = charters(n).collect();
            t(&mut || revenue_workbook(&input, month(), &names, None).expect("workbook"))
        }
        "ours-streamed" => {
            let start = Instant::now();
            let file = std::io::BufWriter::new(std::fs::File::create(out).expect("create"));
            RevenueReport::new(month(), &names)
                .write_sorted(charters(n), n, &mut |_, _| {}, file)
                .expect("workbook");
            (
                start.elapsed(),
                std::fs::metadata(out).map_or(0, |m| m.len() as usize),
            )
        }
        "floor" => {
            let mut sums = (0u64, Decimal::ZERO, Decimal::ZERO);
            let rows: Vec<Rendered> = charters(n)
                .map(|c| {
                    sums.0 += u64::from(c.guest_count);
                    sums.1 += c.reportable_revenue.decimal();
                    sums.2 += c.tips.decimal();
                    render(&c, &names)
                })
                .collect();
            let totals = [
                sums.0.to_string(),
                sums.1.normalize().to_string(),
                sums.2.normalize().to_string(),
            ];
            t(&mut || floor(&rows, &totals).expect("floor workbook"))
        }
        "input" => {
            let input: Vec<Charter> = charters(n).collect();
            std::hint::black_box(&input);
            (std::time::Duration::ZERO, 0)
        }
        other => panic!("unknown kind {other}"),
    };
    println!(
        "write_ns={} peak_kb={} bytes={size}",
        took.as_nanos(),
        peak_kb().unwrap_or(0)
    );
}

/// `VmHWM` of this process, in kB (Linux).
fn peak_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One measured run: in-process write seconds, whole-process seconds, peak kB.
#[derive(Clone, Copy)]
struct Run {
    write: f64,
    process: f64,
    peak_kb: u64,
}

/// `key=value` from a child's report line.
fn field(text: &str, key: &str) -> Option<f64> {
    text.split_whitespace().find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| v.parse().ok())?
    })
}

fn run_rust(kind: &str, n: usize, out: &Path) -> Run {
    let exe = std::env::current_exe().expect("own path");
    let start = Instant::now();
    let o = Command::new(exe)
        .args(["child", kind, &n.to_string()])
        .arg(out)
        .output()
        .expect("run child");
    let process = start.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "child {kind} {n} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    Run {
        write: field(&text, "write_ns").unwrap_or(f64::NAN) / 1e9,
        process,
        peak_kb: field(&text, "peak_kb").unwrap_or(0.0) as u64,
    }
}

fn run_python(python: &Path, script: &Path, data: &Path, out: &Path, write_only: bool) -> Run {
    let start = Instant::now();
    let mut cmd = Command::new(python);
    cmd.arg(script).arg(data).arg(out);
    if write_only {
        cmd.arg("--write-only");
    }
    let o = cmd.output().expect("run python");
    let process = start.elapsed().as_secs_f64();
    assert!(
        o.status.success(),
        "openpyxl failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("script prints JSON");
    Run {
        write: report["write_s"].as_f64().unwrap_or(f64::NAN),
        process,
        peak_kb: report["peak_kb"].as_u64().unwrap_or(0),
    }
}

/// One line of the table: a kind, its median run and its output file.
struct Line {
    label: &'static str,
    run: Run,
    out: Option<PathBuf>,
}

impl Line {
    fn new(label: &'static str, run: Run, out: Option<PathBuf>) -> Self {
        Self { label, run, out }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn medians(runs: &[Run]) -> Run {
    Run {
        write: median(runs.iter().map(|r| r.write).collect()),
        process: median(runs.iter().map(|r| r.process).collect()),
        peak_kb: median(runs.iter().map(|r| r.peak_kb as f64).collect()) as u64,
    }
}

fn python() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = std::env::var_os("DISPATCH_BENCH_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([root.join(".venv/bin/python"), PathBuf::from("python3")]);
    for p in candidates {
        let ok = Command::new(&p)
            .args(["-c", "import openpyxl"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(p);
        }
    }
    None
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        let n = args[3].parse().expect("row count");
        return child(&args[2], n, Path::new(&args[4]));
    }
    let runs: usize = std::env::var("DISPATCH_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
        .max(1);
    let sizes: Vec<usize> = std::env::var("DISPATCH_BENCH_ROWS")
        .unwrap_or_else(|_| "300,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/openpyxl_report.py");
    let python = python();
    let dir = std::env::temp_dir().join(format!("dispatch-report-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");

    println!("revenue workbook benchmark: median of {runs} runs per case (openpyxl at most 3 above 10k rows); peak = max RSS of the child process");
    if python.is_none() {
        println!("openpyxl: not found (set DISPATCH_BENCH_PYTHON or run ./scripts/bench); its rows are skipped");
    }
    println!(
        "{:>7} {:<20} {:>10} {:>10} {:>9} {:>8}  same cells as ours",
        "rows", "kind", "write", "process", "peak MB", "xlsx KB"
    );
    for &n in &sizes {
        let mut table: Vec<Line> = Vec::new();
        let rust_kinds = [
            ("ours", "ours"),
            ("ours-streamed", "ours streamed"),
            ("floor", "floor (xlsxwriter)"),
            ("input", "input only"),
        ];
        let mut samples: HashMap<&str, Vec<Run>> = HashMap::new();
        for _ in 0..runs {
            // Interleaved, so a busy moment on the shared cores hits every kind alike.
            for (kind, _) in rust_kinds {
                let out = dir.join(format!("{kind}-{n}.xlsx"));
                samples
                    .entry(kind)
                    .or_default()
                    .push(run_rust(kind, n, &out));
            }
        }
        for (kind, label) in rust_kinds {
            let out = (kind != "input").then(|| dir.join(format!("{kind}-{n}.xlsx")));
            table.push(Line::new(label, medians(&samples[kind]), out));
        }
        if let Some(py) = &python {
            let data = dir.join(format!("input-{n}.json"));
            python_input(n, &data);
            let py_runs = if n > 10_000 { runs.min(3) } else { runs };
            for (write_only, label) in [(false, "openpyxl"), (true, "openpyxl write-only")] {
                let out = dir.join(format!("openpyxl-{write_only}-{n}.xlsx"));
                let r: Vec<Run> = (0..py_runs)
                    .map(|_| run_python(py, &script, &data, &out, write_only))
                    .collect();
                table.push(Line::new(label, medians(&r), Some(out)));
            }
        }
        let reference = check::cells(&dir.join(format!("ours-{n}.xlsx"))).expect("ours readable");
        println!(
            "{n:>7} (the check compares {} cells and defined names of both tabs)",
            reference.len()
        );
        for line in &table {
            let (write, same, kb) = match &line.out {
                None => ("-".to_string(), "-".to_string(), 0),
                Some(out) => (
                    format!("{:.1} ms", line.run.write * 1e3),
                    check::same_as(&reference, out),
                    std::fs::metadata(out).map_or(0, |m| m.len() / 1024),
                ),
            };
            println!(
                "{n:>7} {:<20} {write:>10} {:>7.1} ms {:>9.1} {kb:>8}  {same}",
                line.label,
                line.run.process * 1e3,
                line.run.peak_kb as f64 / 1024.0,
            );
        }
        let get = |l: &str| table.iter().find(|x| x.label == l).map(|x| x.run);
        if let (Some(ours), Some(fl)) = (get("ours"), get("floor (xlsxwriter)")) {
            println!(
                "{n:>7} ours / floor (write): {:.2}x   (goal: <= 1.2x for big months)",
                ours.write / fl.write
            );
        }
        for py in ["openpyxl", "openpyxl write-only"] {
            if let (Some(ours), Some(p)) = (get("ours"), get(py)) {
                println!(
                    "{n:>7} {py} / ours: write {:.1}x, process {:.1}x   (goal: >= 20x at 300 rows)",
                    p.write / ours.write,
                    p.process / ours.process
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
