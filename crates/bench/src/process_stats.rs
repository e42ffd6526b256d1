//! This process' memory and CPU time, read from `/proc/self` (Linux): resident set size now
//! and at its peak, resetting the peak between phases, and CPU seconds used (by the process
//! or the calling thread).

/// A `kB` field of `/proc/self/status` (e.g. `VmRSS`, `VmHWM`), in MB.
fn status_mb(field: &str) -> f64 {
    status_mb_of("self", field)
}

/// A `kB` field of `/proc/<process>/status`, in MB (0 when unreadable).
fn status_mb_of(process: &str, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{process}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resident set size now, in MB.
pub fn rss_mb() -> f64 {
    status_mb("VmRSS")
}

/// Peak resident set size of another process (e.g. a `pinsync serve` child), in MB.
pub fn peak_rss_mb_of(pid: u32) -> f64 {
    status_mb_of(&pid.to_string(), "VmHWM")
}

/// Peak resident set size since start (or the last [`reset_peak_rss`]), in MB.
pub fn peak_rss_mb() -> f64 {
    status_mb("VmHWM")
}

/// Starts a new peak from the current RSS (`echo 5 > /proc/self/clear_refs`, Linux ≥ 4.0).
/// False when the kernel refused; the peak then still covers the whole run.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok() && peak_rss_mb() <= rss_mb() + 1.0
}

/// User plus system CPU time of the whole process, in seconds (clock ticks of 1/100 s).
pub fn cpu_seconds() -> f64 {
    cpu_seconds_of("/proc/self/stat")
}

/// User plus system CPU time of the calling thread, in seconds.
pub fn thread_cpu_seconds() -> f64 {
    cpu_seconds_of("/proc/thread-self/stat")
}

fn cpu_seconds_of(path: &str) -> f64 {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are
    // 3.. — utime and stime are fields 14 and 15.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / CLOCK_TICKS_PER_SECOND
}

/// `sysconf(_SC_CLK_TCK)`: 100 on every Linux platform pinsync targets.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_figures_are_read_and_consistent() {
        let rss = rss_mb();
        assert!(rss > 1.0, "{rss}");
        assert!(peak_rss_mb() >= rss - 1.0);
    }

    #[test]
    fn cpu_time_grows_with_work() {
        let before = cpu_seconds();
        let mut x = 0u64;
        let started = std::time::Instant::now();
        while started.elapsed().as_millis() < 300 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        assert!(cpu_seconds() > before, "{x}");
        assert!(thread_cpu_seconds() > 0.0);
    }
}
