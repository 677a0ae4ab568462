//! Forwarding attendance records to the university's Portal API.
//!
//! Every change of a mark is its own record, POSTed with `Idempotency-Key: <attendance id>:
//! <version>`, so a retry after a lost answer cannot create a second record on a Portal that
//! honours the header. Each attempt's outcome is written as soon as it is known: a crash never
//! causes a record we know was delivered to be sent again.

mod client;
mod forward;
pub mod queue;

pub use client::{Attempt, Portal, PortalRecord, Verdict, classify};
pub use forward::{ForwardOutcome, Halt, forward, now, retry_dead};
