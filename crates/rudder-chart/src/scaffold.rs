//! Writing a new v3 chart scaffold (`rudder create`).
