//! One line per measure, against its target; `make bench` fails when any target is missed.

pub struct Report {
    all_ok: bool,
}

impl Report {
    pub fn new() -> Self {
        println!(
            "{:<58} {:>10} {:<16} {:<14}",
            "MEASURE", "VALUE", "UNIT", "TARGET"
        );
        Report { all_ok: true }
    }

    pub fn measure(&mut self, name: &str, value: f64, unit: &str, target: &str, ok: bool) {
        println!(
            "{name:<58} {value:>10.1} {unit:<16} {target:<14} {}",
            if ok { "ok" } else { "MISSED" }
        );
        self.all_ok &= ok;
    }

    /// A figure printed for comparison, with no target of its own.
    pub fn note(&mut self, name: &str, value: f64, unit: &str) {
        println!("{name:<58} {value:>10.1} {unit:<16} (for comparison)");
    }

    /// A measure that could not be taken: a missed target, saying why.
    pub fn missing(&mut self, name: &str, why: &str) {
        println!("{name:<58} {:>10} {why}", "—");
        self.all_ok = false;
    }

    pub fn all_ok(&self) -> bool {
        self.all_ok
    }
}
