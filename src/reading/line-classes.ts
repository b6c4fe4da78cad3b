// Sorts runs of complete lines into plain lines and the others with the WebAssembly SIMD module in
// line-classes.wat: one instance per thread and set of strings, made synchronously. Where
// WebAssembly or its SIMD is missing (an old engine, --jitless), create() answers null and the
// caller judges every line itself.
import {LINE_CLASSES_WASM} from './line-classes.wasm.js'

/**
 * What makes a line plain: it starts with `prefix`, holds `key`, holds none of the `needles`,
 * and its last byte that is not a space (space, tab, CR) is `}`. Strings are matched as latin1
 * bytes, one character to a byte, as the line scanner reads lines.
 */
export interface PlainLines {
  readonly prefix: string
  readonly key: string
  readonly needles: readonly string[]
}

/** What this file needs of the WebAssembly API; absent where the engine runs without it. */
interface WasmApi {
  validate(bytes: Uint8Array): boolean
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => {exports: Record<string, unknown>}
}

interface WasmGlobal {
  value: number
}

interface ClassesExports {
  memory: {buffer: ArrayBuffer}
  configure(needles: number, prefixLength: number, keyLength: number): void
  classify(from: number, to: number): number
}

let compiled: object | null | undefined

/** The compiled module, once per thread; null when this engine cannot run it. */
function compiledModule(): object | null {
  if (compiled !== undefined) return compiled
  compiled = null
  const wasm = (globalThis as {WebAssembly?: WasmApi}).WebAssembly
  const bytes = new Uint8Array(Buffer.from(LINE_CLASSES_WASM, 'base64'))
  try {
    if (wasm?.validate(bytes)) compiled = new wasm.Module(bytes)
  } catch {
    // The engine refused it: the caller's own code does the work.
  }
  return compiled
}

/**
 * A classifier for one kind of plain line. `classify` copies a run of lines into the module's
 * memory, lists the other lines to the caller in order, and leaves `lines` (all lines of the run)
 * and the last plain line's place. One run at a time: `busy` while its callback runs.
 */
export class LineClasses {
  /** The most bytes one call to `classify` takes. */
  readonly capacity: number
  /** Lines in the run last classified. */
  lines = 0
  /** Where the last plain line of that run starts and its newline lies (offsets in its buffer); -1: none. */
  lastPlainStart = -1
  lastPlainNewline = -1
  /** A run is being classified (its callback is running): the memory holds it. */
  busy = false
  private readonly exports: ClassesExports
  private readonly memory: Uint8Array
  private readonly words: Int32Array
  private readonly input: number
  private readonly results: number
  private readonly others: number

  /** A classifier for `plain`, or null when this engine cannot run the module or the strings do not fit it. */
  static create(plain: PlainLines): LineClasses | null {
    const module = compiledModule()
    if (module === null) return null
    try {
      const wasm = (globalThis as {WebAssembly?: WasmApi}).WebAssembly!
      const instance = new wasm.Instance(module, {})
      return new LineClasses(instance.exports, plain)
    } catch {
      return null
    }
  }

  private constructor(exports: Record<string, unknown>, plain: PlainLines) {
    const at = (name: string) => (exports[name] as WasmGlobal).value
    this.exports = exports as unknown as ClassesExports
    this.memory = new Uint8Array(this.exports.memory.buffer)
    this.words = new Int32Array(this.exports.memory.buffer)
    this.input = at('INPUT')
    this.results = at('RESULTS')
    this.others = at('OTHERS')
    this.capacity = this.memory.length - this.input - at('PAD')
    const prefix = latin1(plain.prefix, at('MAX_PREFIX'), 0)
    const key = latin1(plain.key, at('MAX_KEY'), 4)
    const needles = plain.needles.map((needle) => latin1(needle, at('MAX_NEEDLE'), 1))
    // A line ends at its newline: what holds one could never be found within a line.
    if (needles.length > at('MAX_NEEDLES') || [prefix, key, ...needles].some((bytes) => bytes.includes(0x0a)))
      throw new RangeError('strings the module cannot take')
    this.memory.set(prefix, at('PREFIX'))
    this.memory.set(key, at('KEY'))
    needles.forEach((needle, i) => {
      const slot = at('NEEDLES') + i * at('NEEDLE_SLOT')
      this.words[slot / 4] = needle.length
      this.memory.set(needle, slot + 16)
    })
    this.exports.configure(needles.length, prefix.length, key.length)
  }

  /**
   * Classifies the lines of bytes[from, to), which ends with a newline and holds at most
   * `capacity` bytes, calling `onOther` for each line that is not plain, in order: its index among
   * the run's lines, where it starts, where its newline lies (offsets in `bytes`), and true when
   * it holds a needle (false: none, or not looked for).
   */
  classify(
    bytes: Uint8Array,
    from: number,
    to: number,
    onOther: (line: number, start: number, newline: number, needle: boolean) => void,
  ): void {
    const length = to - from
    if (this.busy) throw new Error('a run is being classified')
    if (length > this.capacity) throw new RangeError(`${length} bytes: more than the ${this.capacity} a call takes`)
    this.busy = true
    try {
      this.memory.set(bytes.subarray(from, to), this.input)
      this.lastPlainStart = -1
      this.lastPlainNewline = -1
      const {words} = this
      const results = this.results / 4
      let lines = 0
      for (let pos = 0; pos < length;) {
        pos = this.exports.classify(pos, length)
        if (words[results + 2]! !== -1) {
          this.lastPlainStart = from + words[results + 2]!
          this.lastPlainNewline = from + words[results + 3]!
        }
        const end = this.others / 4 + 4 * words[results + 1]!
        for (let i = this.others / 4; i < end; i += 4)
          onOther(lines + words[i]!, from + words[i + 1]!, from + words[i + 2]!, words[i + 3] === 1)
        lines += words[results]!
      }
      this.lines = lines
    } finally {
      this.busy = false
    }
  }
}

/** A string's latin1 bytes, when it has `min` to `max` of them and no character beyond latin1. */
function latin1(text: string, max: number, min: number): Uint8Array {
  if (text.length < min || text.length > max || /[^\x00-\xff]/.test(text))
    throw new RangeError(`${JSON.stringify(text)} does not fit the module`)
  return new Uint8Array(Buffer.from(text, 'latin1'))
}
