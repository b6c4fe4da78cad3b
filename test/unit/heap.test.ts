// The orderings the change stream waits in: whatever order items are put in, and however puts and
// takes interleave, they come out as a sort would give them (ties in the order they were put in,
// for the queue), also after the queue dropped the items it had given out.
import assert from 'node:assert/strict'

import {MinHeap, OrderedQueue} from '../../src/audit/heap.js'

interface Item {
  key: number
  /** The order it was put in: tells apart items with one key. */
  n: number
}

const byKey = (a: Item, b: Item) => a.key - b.key

function random(seed: number): () => number {
  let s = seed
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31
    return s / 2 ** 31
  }
}

/** Puts `count` items in (keys: `keyOf`), taking one out now and then; every item taken, and the model's answer. */
function exercise(
  queue: {push(item: Item): void; peek(): Item | undefined; size: number},
  take: () => Item | undefined,
  count: number,
  keyOf: (i: number, rnd: () => number) => number,
  seed: number,
) {
  const rnd = random(seed)
  const model: Item[] = []
  const got: Item[] = []
  const expected: Item[] = []
  const takeBoth = () => {
    model.sort((a, b) => a.key - b.key || a.n - b.n)
    const want = model.shift()
    assert.equal(queue.peek()?.key, want?.key)
    const item = take()
    assert.equal(item?.key, want?.key)
    if (item && want) {
      got.push(item)
      expected.push(want)
    }
  }
  for (let i = 0; i < count; i++) {
    const item = {key: keyOf(i, rnd), n: i}
    queue.push(item)
    model.push(item)
    if (rnd() < 0.4) takeBoth()
    assert.equal(queue.size, model.length)
  }
  while (model.length > 0) takeBoth()
  assert.equal(take(), undefined)
  assert.equal(queue.size, 0)
  return {got, expected}
}

const orders: Array<[string, (i: number, rnd: () => number) => number]> = [
  ['in order', (i) => i],
  ['nearly in order', (i, rnd) => i + Math.floor(rnd() * 50)],
  ['in reverse', (i) => -i],
  ['at random, with many ties', (_, rnd) => Math.floor(rnd() * 20)],
]

describe('MinHeap', () => {
  for (const [name, keyOf] of orders) {
    it(`takes out the least first, put in ${name}`, () => {
      const heap = new MinHeap<Item>(byKey)
      const {got, expected} = exercise(heap, () => heap.pop(), 3000, keyOf, 11)
      assert.deepEqual(
        got.map((i) => i.key),
        expected.map((i) => i.key),
      )
      assert.equal(got.length, 3000)
    })
  }
})

describe('OrderedQueue', () => {
  for (const [name, keyOf] of orders) {
    it(`takes out in order, ties first in first out, put in ${name}`, () => {
      const queue = new OrderedQueue<Item>(byKey)
      const {got, expected} = exercise(queue, () => queue.shift(), 3000, keyOf, 23)
      assert.deepEqual(got, expected)
      assert.equal(got.length, 3000)
    })
  }

  it('puts an item before the ones still waiting when it is the least, after others were taken', () => {
    const queue = new OrderedQueue<Item>(byKey)
    for (let n = 0; n < 5000; n++) queue.push({key: n, n})
    for (let n = 0; n < 4000; n++) assert.equal(queue.shift()?.key, n)
    queue.push({key: -1, n: 5000})
    queue.push({key: 4500, n: 5001})
    const rest = [...Array(queue.size)].map(() => queue.shift()!)
    assert.deepEqual(
      rest.map((i) => i.n),
      [5000, ...Array.from({length: 501}, (_, k) => 4000 + k), 5001, ...Array.from({length: 499}, (_, k) => 4501 + k)],
    )
  })
})
