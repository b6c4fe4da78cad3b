// A binary min-heap: what the ordered stages of the change pipeline wait in (the next deadline,
// the oldest change), with pushes and pops in O(log n) and nothing on the call stack per item.

export class MinHeap<T> {
  private readonly items: T[] = []

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length
  }

  peek(): T | undefined {
    return this.items[0]
  }

  push(item: T): void {
    const {items, compare} = this
    let at = items.length
    items.push(item)
    while (at > 0) {
      const parent = (at - 1) >> 1
      if (compare(items[parent]!, item) <= 0) break
      items[at] = items[parent]!
      at = parent
    }
    items[at] = item
  }

  pop(): T | undefined {
    const {items, compare} = this
    const top = items[0]
    const last = items.pop()
    if (items.length === 0 || last === undefined) return top
    let at = 0
    for (;;) {
      const left = 2 * at + 1
      if (left >= items.length) break
      const right = left + 1
      const child = right < items.length && compare(items[right]!, items[left]!) < 0 ? right : left
      if (compare(items[child]!, last) >= 0) break
      items[at] = items[child]!
      at = child
    }
    items[at] = last
    return top
  }
}
