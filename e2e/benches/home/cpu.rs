//! CPU time of every process that serves a page, from `/proc/<pid>/stat` (utime + stime):
//! the bench's children (the four services and the web app), this bench's PostgreSQL
//! backends and the server's own processes, and `nats-server`; the bench itself (the load
//! generator, a browser's stand-in) apart. Also the whole machine's busy time from
//! `/proc/stat`, so a step can say how much of the machine others used meanwhile.

use std::{collections::BTreeMap, process::Command};

/// Which processes count, and how `/proc` measures them.
pub struct Probe {
    /// Clock ticks per second of utime/stime.
    hz: f64,
    /// This bench's database names: only their backends count.
    databases: Vec<String>,
    me: u32,
}

/// CPU seconds per group of processes, and the machine's busy and total seconds.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Group -> CPU seconds so far.
    pub groups: BTreeMap<String, f64>,
    /// All CPUs' busy seconds (not idle, not iowait) since boot.
    pub machine_busy: f64,
}

/// The groups that serve pages, in the order printed.
pub const SERVING: [&str; 7] = [
    "web",
    "identity",
    "scheduling",
    "feed",
    "notifications",
    "postgres",
    "nats",
];

impl Probe {
    /// A probe counting the backends of `databases`.
    pub fn new(databases: Vec<String>) -> Self {
        let hz = Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0);
        Self {
            hz,
            databases,
            me: std::process::id(),
        }
    }

    /// Which group `pid` belongs to, if any.
    fn group(&self, pid: u32, comm: &str, ppid: u32) -> Option<String> {
        if pid == self.me {
            return Some("loadgen".into());
        }
        if ppid == self.me {
            return Some(comm.to_owned());
        }
        match comm {
            "nats-server" => Some("nats".into()),
            "postgres" => {
                let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
                let cmdline = String::from_utf8_lossy(&cmdline);
                // A backend reads `postgres: [<cluster>: ]<user> <database> <host>(<port>)
                // <state>`; the server's own processes have no client address.
                let words: Vec<&str> = cmdline.split_whitespace().collect();
                let backend = words.first() == Some(&"postgres:") && cmdline.contains('(');
                if !backend || words.iter().any(|w| self.databases.iter().any(|d| d == w)) {
                    Some("postgres".into())
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// CPU seconds of every group now.
    pub fn sample(&self) -> Sample {
        let mut sample = Sample::default();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return sample;
        };
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // `pid (comm) state ppid ...`: comm may hold spaces, so split at the last ')'.
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
                continue;
            };
            let comm = &stat[open + 1..close];
            let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
            let field = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
            let (Some(ppid), Some(utime), Some(stime)) = (field(1), field(11), field(12)) else {
                continue;
            };
            if let Some(group) = self.group(pid, comm, ppid as u32) {
                *sample.groups.entry(group).or_default() += (utime + stime) / self.hz;
            }
        }
        if let Ok(stat) = std::fs::read_to_string("/proc/stat") {
            let cpu: Vec<f64> = stat
                .lines()
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .skip(1)
                .filter_map(|v| v.parse().ok())
                .collect();
            let total: f64 = cpu.iter().take(8).sum();
            let idle = cpu.get(3).copied().unwrap_or(0.0) + cpu.get(4).copied().unwrap_or(0.0);
            sample.machine_busy = (total - idle) / self.hz;
        }
        sample
    }
}

/// What a stretch of time cost, from two samples.
pub struct Spent {
    /// Group -> CPU seconds in the stretch.
    pub groups: BTreeMap<String, f64>,
    /// The machine's busy seconds in the stretch.
    pub machine_busy: f64,
}

impl Spent {
    /// `after - before`.
    pub fn between(before: &Sample, after: &Sample) -> Self {
        let groups = after
            .groups
            .iter()
            .map(|(g, s)| (g.clone(), s - before.groups.get(g).copied().unwrap_or(0.0)))
            .collect();
        Self {
            groups,
            machine_busy: after.machine_busy - before.machine_busy,
        }
    }

    /// CPU seconds of a group.
    pub fn of(&self, group: &str) -> f64 {
        self.groups.get(group).copied().unwrap_or(0.0)
    }

    /// CPU seconds of every process that serves pages.
    pub fn serving(&self) -> f64 {
        SERVING.iter().map(|g| self.of(g)).sum()
    }

    /// One line: CPU ms per page of each serving group and in all, the load generator's,
    /// and what the rest of the machine used in the same time.
    pub fn per_page(&self, pages: usize, seconds: f64) -> String {
        let ms = |s: f64| s * 1e3 / pages.max(1) as f64;
        let parts: Vec<String> = SERVING
            .iter()
            .map(|g| format!("{g} {:.2}", ms(self.of(g))))
            .collect();
        let others = self.machine_busy - self.serving() - self.of("loadgen");
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        format!(
            "CPU ms/page: {} = {:.2} in all (load generator {:.2}); machine {:.0}% busy, others {:.0}%",
            parts.join(", "),
            ms(self.serving()),
            ms(self.of("loadgen")),
            100.0 * self.machine_busy / (cores * seconds),
            100.0 * others.max(0.0) / (cores * seconds),
        )
    }
}
