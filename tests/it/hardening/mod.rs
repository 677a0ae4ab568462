//! Hardening, one file per area of the security review: logins that cannot be turned into a
//! lockout, bounded work, trustworthy client addresses, bounded anonymous marking, identifiers
//! that are what they look like, cookies and headers, connections, the student path under a
//! Firestore stall, sessions that follow the account, receipts without personal data, and
//! security events in the log.

mod login;
