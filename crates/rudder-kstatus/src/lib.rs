//! kstatus readiness rules as pure functions. No I/O.
