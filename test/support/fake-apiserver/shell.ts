// Just enough of `sh -c` for the fake exec: words with single/double quotes and backslashes,
// $0..$9 and "$@" from the positional arguments, pipelines, and `2>/dev/null`.

export interface Stage {
  argv: string[]
  discardStderr: boolean
}

/** Splits a script into pipeline stages; throws on syntax the fake does not speak. */
export function parsePipeline(script: string, positional: string[]): Stage[] {
  const stages: Stage[] = [{argv: [], discardStderr: false}]
  let word: string | undefined
  let i = 0
  const current = () => stages.at(-1)!
  const finishWord = () => {
    if (word === undefined) return
    if (word === '2>/dev/null') current().discardStderr = true
    else current().argv.push(word)
    word = undefined
  }
  const expand = (): string => {
    const next = script[i + 1]
    if (next !== undefined && /[0-9]/.test(next)) {
      i += 2
      return positional[Number(next)] ?? ''
    }
    if (next === '@') {
      i += 2
      return positional.slice(1).join(' ')
    }
    i++
    return '$'
  }
  while (i < script.length) {
    const c = script[i]!
    if (c === ' ' || c === '\t' || c === '\n') {
      finishWord()
      i++
    } else if (c === '|') {
      finishWord()
      if (current().argv.length === 0) throw new Error('sh: syntax error near |')
      stages.push({argv: [], discardStderr: false})
      i++
    } else if (c === "'") {
      const close = script.indexOf("'", i + 1)
      if (close === -1) throw new Error('sh: unterminated quote')
      word = (word ?? '') + script.slice(i + 1, close)
      i = close + 1
    } else if (c === '"') {
      word ??= ''
      i++
      while (i < script.length && script[i] !== '"') {
        if (script[i] === '\\' && i + 1 < script.length && '"\\$`'.includes(script[i + 1]!)) {
          word += script[i + 1]
          i += 2
        } else if (script[i] === '$') {
          word += expand()
        } else {
          word += script[i]
          i++
        }
      }
      if (i >= script.length) throw new Error('sh: unterminated quote')
      i++
    } else if (c === '\\') {
      word = (word ?? '') + (script[i + 1] ?? '')
      i += 2
    } else if (c === '$') {
      word = (word ?? '') + expand()
    } else if (';&<>()`'.includes(c) && !(c === '>' && word === '2')) {
      throw new Error(`sh: the fake shell does not support "${c}"`)
    } else {
      word = (word ?? '') + c
      i++
    }
  }
  finishWord()
  if (current().argv.length === 0) throw new Error('sh: empty command')
  return stages
}
