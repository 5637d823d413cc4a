//! The rendering pipeline. It never talks to a cluster: lookup and post-rendering are traits it owns.
