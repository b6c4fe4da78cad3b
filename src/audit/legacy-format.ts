// The legacy text format of audit lines (`<time> AUDIT: id="…" ip="…" method="…"`, facts §1.4):
// recognised and counted, never summarised (no object reference, no bodies).

export const LEGACY_LINE = /^\S+ AUDIT: id="/

/** True when a line is in the legacy text format. */
export function isLegacyLine(bytes: Buffer): boolean {
  return LEGACY_LINE.test(bytes.toString('utf8', 0, Math.min(bytes.length, 200)))
}
