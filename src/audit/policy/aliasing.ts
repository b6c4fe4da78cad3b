// kube-apiserver's YAML decoder (go-yaml, through sigs.k8s.io/yaml) refuses a document whose
// aliases expand it too much ("document contains excessive aliasing"): a small file that fans one
// anchor out a thousand times would otherwise cost gigabytes. The same rule here, counted on the
// parsed tree without expanding it into values, so such a file is refused as the apiserver
// refuses it, in milliseconds.
import {type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node} from 'yaml'

// go-yaml v2, decode.go: allowedAliasRatio and the check at the top of unmarshal.
const RATIO_RANGE_LOW = 400_000
const RATIO_RANGE_HIGH = 4_000_000

function allowedAliasRatio(decodeCount: number): number {
  if (decodeCount <= RATIO_RANGE_LOW) return 0.99
  if (decodeCount >= RATIO_RANGE_HIGH) return 0.1
  return 0.99 - (0.89 * (decodeCount - RATIO_RANGE_LOW)) / (RATIO_RANGE_HIGH - RATIO_RANGE_LOW)
}

/**
 * True when decoding `document` as go-yaml does would fail with "document contains excessive
 * aliasing". Walks with a stack of its own (no recursion), and stops as soon as the rule trips.
 */
export function hasExcessiveAliasing(document: Document.Parsed): boolean {
  const targets = aliasTargets(document.contents)
  let decodeCount = 0
  let aliasCount = 0
  const stack: Array<{node: unknown; inAlias: boolean}> = [{node: document.contents, inAlias: false}]
  while (stack.length > 0) {
    const {node, inAlias} = stack.pop()!
    if (node === null || node === undefined) continue
    decodeCount++
    if (inAlias) aliasCount++
    if (aliasCount > 100 && decodeCount > 1000 && aliasCount / decodeCount > allowedAliasRatio(decodeCount)) return true
    if (isAlias(node)) stack.push({node: targets.get(node), inAlias: true})
    else if (isMap(node)) {
      for (const pair of node.items) stack.push({node: pair.value, inAlias}, {node: pair.key, inAlias})
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push({node: isPair(item) ? item.value : item, inAlias})
    }
  }
  return false
}

/** What each alias stands for: the last node before it with its anchor (YAML's rule), in one pass in document order. */
function aliasTargets(root: unknown): Map<unknown, Node> {
  const anchors = new Map<string, Node>()
  const targets = new Map<unknown, Node>()
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const node = stack.pop()
    if (isAlias(node)) {
      const target = anchors.get(node.source)
      if (target) targets.set(node, target)
      continue
    }
    if (!isScalar(node) && !isMap(node) && !isSeq(node)) continue
    if (node.anchor) anchors.set(node.anchor, node)
    const children: unknown[] = isMap(node)
      ? node.items.flatMap((pair) => [pair.key, pair.value])
      : isSeq(node)
        ? node.items
        : []
    // Reversed onto the stack, so they come off in document order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i])
  }
  return targets
}
