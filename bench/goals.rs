//! A benchmark's goals: each ratio printed with its goal, and the run fails (exit 1) when one
//! is missed, so a regression shows as a red command, not a number nobody reads.

#[derive(Default)]
pub struct Goals {
    missed: Vec<String>,
}

impl Goals {
    /// `measured` must be at most `goal`.
    pub fn at_most(&mut self, what: &str, measured: f64, goal: f64) {
        self.judge(what, measured, goal, measured <= goal, "≤");
    }

    /// `measured` must be at least `goal`.
    pub fn at_least(&mut self, what: &str, measured: f64, goal: f64) {
        self.judge(what, measured, goal, measured >= goal, "≥");
    }

    fn judge(&mut self, what: &str, measured: f64, goal: f64, met: bool, sign: &str) {
        let verdict = if met { "ok" } else { "MISSED" };
        println!("  goal {what}: {measured:.2} (goal {sign} {goal}) {verdict}");
        if !met {
            self.missed.push(format!("{what}: {measured:.2}, goal {sign} {goal}"));
        }
    }

    /// Fails when any goal was missed.
    pub fn finish(self) -> anyhow::Result<()> {
        anyhow::ensure!(self.missed.is_empty(), "goals missed: {}", self.missed.join("; "));
        Ok(())
    }
}
