//! What one pass did, as the run record stores it and the command line prints it.

use std::collections::BTreeMap;

use crate::mirror::MirrorOutcome;
use crate::portal::ForwardOutcome;

#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub run_id: i64,
    pub mirror: MirrorOutcome,
    pub forward: ForwardOutcome,
    /// `false` when no Portal is configured.
    pub forwarding: bool,
    pub durations_ms: BTreeMap<&'static str, u64>,
    pub peak_rss_kb: Option<i64>,
}

impl Summary {
    /// Why the operator must act, if forwarding stopped on a configuration problem.
    pub fn needs_operator(&self) -> Option<String> {
        self.forward.halted.as_ref().filter(|h| h.needs_operator()).map(ToString::to_string)
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mirrored: Vec<String> = self.mirror.changed.iter().map(|(t, n)| format!("{t}={n}")).collect();
        write!(f, "run #{}: mirrored {}", self.run_id, mirrored.join(" "))?;
        let removed: Vec<String> =
            self.mirror.removed.iter().filter(|(_, n)| **n > 0).map(|(t, n)| format!("{t}={n}")).collect();
        if !removed.is_empty() {
            write!(f, "; removed {}", removed.join(" "))?;
        }
        if self.mirror.rejected > 0 {
            write!(f, "; rejected {} documents (see `reconciler status`)", self.mirror.rejected)?;
        }
        if self.forwarding {
            write!(
                f,
                "; delivered {}, retried {}, dead {}",
                self.forward.delivered, self.forward.retried, self.forward.dead
            )?;
            if let Some(halt) = &self.forward.halted {
                write!(f, "; forwarding stopped: {halt}")?;
            }
        } else {
            write!(f, "; forwarding off (PORTAL_API_URL unset)")?;
        }
        let total = self.durations_ms.get("total").copied().unwrap_or_default();
        write!(f, "; {:.2} s", total as f64 / 1000.0)?;
        if let Some(kb) = self.peak_rss_kb {
            write!(f, "; peak memory {:.1} MiB", kb as f64 / 1024.0)?;
        }
        Ok(())
    }
}
