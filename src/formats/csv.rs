//! CSV/TSV reading and writing (placeholder until the formats work lands).
