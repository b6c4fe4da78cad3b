// Process-wide settings applied at start, by bin/run.js and by the release bundle's entry alike.
import v8 from 'node:v8'

/**
 * What node should start with: a young generation of 4 MiB semi-spaces. Reading a multi-GB log
 * makes much short-lived garbage; V8's default grows the young generation to 16 MiB semi-spaces
 * (peak RSS on the 1 GiB bench log 7-19 MiB higher), 1 MiB ones cost 9% more CPU. V8 sizes a heap
 * when it creates it: for the main thread these flags must be on node's command line (set later,
 * as tuneHeap does, they change nothing there; measured), and the scan worker has its own limits.
 */
export const NODE_HEAP_FLAGS: readonly string[] = ['--max-semi-space-size=4']

/** Applies NODE_HEAP_FLAGS to the heaps created from now on. */
export function tuneHeap(): void {
  for (const flag of NODE_HEAP_FLAGS) v8.setFlagsFromString(flag)
}
