//! A Go `text/template` engine. Standalone: depends on no Rudder crate and knows nothing of Helm or Sprig.
