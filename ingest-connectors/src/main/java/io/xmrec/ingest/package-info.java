/** Replays XMarket files into the per-market review topics (streaming work). */
package io.xmrec.ingest;
