// Orderings the change pipeline waits in: a binary min-heap (the next deadline) and a queue kept
// in order (changes waiting their turn); nothing on the call stack grows with the items.

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

/**
 * Items taken out in order, put in nearly in order: an item not before the last goes at the end
 * (one comparison, the common case), any other is placed by binary search. Cheaper than a heap
 * for a stream whose items mostly come in time order.
 */
export class OrderedQueue<T> {
  private items: T[] = []
  private head = 0

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length - this.head
  }

  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined
  }

  push(item: T): void {
    const {items, compare} = this
    if (items.length === this.head || compare(items[items.length - 1]!, item) <= 0) {
      items.push(item)
      return
    }
    let low = this.head
    let high = items.length
    while (low < high) {
      const mid = (low + high) >> 1
      if (compare(items[mid]!, item) <= 0) low = mid + 1
      else high = mid
    }
    items.splice(low, 0, item)
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head++] = undefined as T
    // Taken items are dropped from the front now and then, not one by one.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }
}
